//! A tool's work is a REST call: the equivalent request, sent with the MCP request's own
//! headers (its bearer token, its `X-Clockwork-Token`) through [`handle_route`], so auth,
//! validation and the upstream calls are the routes' own. Their answer becomes the tool
//! result: the JSON as structured content with a short text for the model, or, for a
//! refusal, a tool error (`isError: true`) carrying the REST error body and its machine code.

use bytes::Bytes;
use clockwork_api::{App, Endpoint, handle_route};
use clockwork_core::ApiError;
use http::request::Parts;
use http::{Method, Request, Response, StatusCode, header};
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::Value;

/// Calls `endpoint` at `path_and_query` as the caller of the MCP request; a JSON body for a
/// POST. A refusal is already the tool error to answer.
pub async fn call(
    app: &App,
    endpoint: Endpoint,
    caller: &Parts,
    path_and_query: &str,
    body: Option<Value>,
) -> Result<Value, CallToolResult> {
    let method = endpoint.route().method();
    let body = body.map_or_else(Bytes::new, |body| Bytes::from(body.to_string()));
    let mut request = Request::builder()
        .method(method.clone())
        .uri(path_and_query)
        .body(body)
        .map_err(|_| refusal(internal("could not build the request")))?;
    let headers = request.headers_mut();
    *headers = caller.headers.clone();
    headers.remove(header::CONTENT_LENGTH);
    if method == Method::POST {
        headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    }
    let response = handle_route(app, endpoint, request).await;
    let status = response.status();
    let answer = serde_json::from_slice::<Value>(response.body())
        .map_err(|_| refusal(internal("the route answered something other than JSON")))?;
    if status.is_success() { Ok(answer) } else { Err(error_result(answer)) }
}

/// A refusal of ours (bad arguments) as the tool error the route would have answered.
pub fn refusal(error: ApiError) -> CallToolResult {
    answer_error(error.into_response())
}

/// A successful answer: `structured` for programs, `summary` for the model.
pub fn success(structured: Value, summary: String) -> CallToolResult {
    let mut result = CallToolResult::structured(structured);
    result.content = vec![ContentBlock::text(summary)];
    result
}

fn answer_error(response: Response<Bytes>) -> CallToolResult {
    error_result(serde_json::from_slice(response.body()).unwrap_or(Value::Null))
}

/// The REST error body as structured content, and `CODE: message` as the text.
fn error_result(body: Value) -> CallToolResult {
    let code = body["error"].as_str().unwrap_or("INTERNAL");
    let message = body["message"].as_str().unwrap_or("the call failed");
    let text = format!("{code}: {message}");
    let mut result = CallToolResult::structured_error(body.clone());
    result.content = vec![ContentBlock::text(text)];
    result
}

fn internal(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", message)
}

/// `path?name=value&…` with the present values, percent-encoded.
pub fn path_with_query<'a>(
    path: &str,
    params: impl IntoIterator<Item = (&'a str, Option<String>)>,
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        if let Some(value) = value {
            query.append_pair(name, &value);
        }
    }
    let query = query.finish();
    if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded_and_absent_ones_left_out() {
        let path = path_with_query(
            "/api/issues/search",
            [("q", Some("a&b \"c\"".to_owned())), ("maxResults", None)],
        );
        assert_eq!(path, "/api/issues/search?q=a%26b+%22c%22");
        assert_eq!(path_with_query("/api/x", [("q", None)]), "/api/x");
    }

    #[test]
    fn a_refusal_keeps_the_rest_code_and_message() {
        let result = refusal(ApiError::bad_field("from", "is required"));
        assert_eq!(result.is_error, Some(true));
        let body = result.structured_content.expect("structured");
        assert_eq!(body["error"], "INVALID_INPUT");
        assert_eq!(body["statusCode"], 400);
        let text = serde_json::to_value(&result.content).expect("content").to_string();
        assert!(text.contains("INVALID_INPUT: `from` is required"), "{text}");
    }
}
