//! The admin console at `/admin`: one page, its script and its style, embedded in the binary
//! and served by the same router as `/api/graphql`. The page talks to the GraphQL API only;
//! these responses carry no data, so they need no auth (the page asks for a token itself).
//! On Vercel the same three files are static (`vercel.json` routes `/admin` to them with these
//! headers, checked by a test below) beside the GraphQL function.

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use serde_json::json;

const INDEX: &[u8] = include_bytes!("../console/index.html");
const SCRIPT: &[u8] = include_bytes!("../console/console.js");
const STYLE: &[u8] = include_bytes!("../console/console.css");

/// The page loads its script and style from this host and talks only to it.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' \
                      data:; connect-src 'self'; form-action 'none'; base-uri 'none'; \
                      frame-ancestors 'none'";

/// Whether `path` is the console's: `/admin` and what lies under it.
pub fn serves(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// The file `request` names, or a coded 404 / 405 as the REST API words them.
pub fn respond(request: &Request<Bytes>) -> Response<Bytes> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = failure(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "the console's files are read with GET",
        );
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let (body, kind) = match request.uri().path() {
        "/admin" | "/admin/" | "/admin/index.html" => (INDEX, "text/html; charset=utf-8"),
        "/admin/console.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "/admin/console.css" => (STYLE, "text/css; charset=utf-8"),
        other => {
            return failure(
                StatusCode::NOT_FOUND,
                "ROUTE_NOT_FOUND",
                &format!("the console has no file {other}; open /admin"),
            );
        }
    };
    let body = if request.method() == Method::HEAD { Bytes::new() } else { Bytes::from(body) };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    // Revalidated on every load, so a new binary's page is never mixed with an old script.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn failure(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    let body = json!({ "error": code, "message": message, "statusCode": status.as_u16() });
    let mut response = Response::new(Bytes::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Response<Bytes> {
        respond(&Request::get(path).body(Bytes::new()).expect("request"))
    }

    #[test]
    fn page_script_and_style_are_served_with_their_types_and_a_strict_policy() {
        for (path, kind, marker) in [
            ("/admin", "text/html", "<main"),
            ("/admin/", "text/html", "<main"),
            ("/admin/console.js", "text/javascript", "/api/graphql"),
            ("/admin/console.css", "text/css", "focus-visible"),
        ] {
            let response = get(path);
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let headers = response.headers();
            assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with(kind), "{path}");
            assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("'self'"));
            let body = std::str::from_utf8(response.body()).expect("utf-8");
            assert!(body.contains(marker), "{path} lacks {marker}");
        }
    }

    #[test]
    fn unknown_files_and_writes_are_refused_with_a_code() {
        let missing = get("/admin/../etc/passwd");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert!(std::str::from_utf8(missing.body()).unwrap().contains("ROUTE_NOT_FOUND"));
        let post = respond(&Request::post("/admin").body(Bytes::new()).expect("request"));
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[header::ALLOW], "GET, HEAD");
    }

    #[test]
    fn only_admin_paths_are_the_consoles() {
        assert!(serves("/admin") && serves("/admin/console.js"));
        assert!(!serves("/administrator") && !serves("/api/graphql"));
    }

    /// On Vercel the files are static (`vercel.json`): the same paths, the same headers.
    #[test]
    fn vercel_serves_the_same_files_with_the_same_headers() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vercel.json");
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("vercel.json")).unwrap();
        let routes: Vec<_> = config["routes"]
            .as_array()
            .expect("routes")
            .iter()
            .filter(|route| route["src"].as_str().is_some_and(|src| src.starts_with("/admin")))
            .collect();
        assert_eq!(routes.len(), 2, "/admin and its assets: {routes:?}");
        for route in routes {
            assert_eq!(route["headers"]["Content-Security-Policy"], POLICY, "{route}");
            assert_eq!(route["headers"]["Cache-Control"], "no-cache", "{route}");
        }
        let builds = config["builds"].as_array().expect("builds");
        for file in ["index.html", "console.js", "console.css"] {
            let src = format!("crates/graphql/console/{file}");
            assert!(
                builds.iter().any(|b| b["src"] == src.as_str() && b["use"] == "@vercel/static"),
                "{src} is a static build"
            );
        }
    }

    #[test]
    fn the_page_never_inserts_markup_from_strings() {
        let script = std::str::from_utf8(SCRIPT).expect("utf-8");
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("] {
            assert!(!script.contains(sink), "console.js uses {sink}");
        }
    }
}
