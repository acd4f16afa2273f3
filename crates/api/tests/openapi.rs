//! The OpenAPI document (`crates/api/openapi.json`, served at `GET /api/openapi.json`) held
//! to the routes: every route is in it and nothing else, and every route's real answers,
//! accepted and refused, have a status it documents and a body its schema for that status
//! accepts. Bodies the routes accept are also accepted by the documented request schemas.

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use clockwork_api::Route;
use clockwork_api::routes::openapi::DOCUMENT;
use clockwork_queue::sqs::SqsSender;
use clockwork_testkit::clockwork::FakeWorklog;
use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::FakeIssue;
use clockwork_testkit::moto;
use common::{ANN, ANN_CLOCKWORK_TOKEN, BOB, Harness, request, timer};
use http::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

/// The committed document, read as JSON Schema 2020-12 (as OpenAPI 3.1 defines its schemas).
struct Document(Value);

impl Document {
    fn load() -> Self {
        Self(serde_json::from_str(DOCUMENT).expect("openapi.json is JSON"))
    }

    /// Every (method, path template) the document describes.
    fn operations(&self) -> Vec<(Method, String)> {
        let paths = self.0["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object().expect("a path item").keys().map(move |method| {
                    (method.to_uppercase().parse::<Method>().expect("a method"), path.clone())
                })
            })
            .collect()
    }

    /// The template of the documented path `path` falls under: its own, else the one whose
    /// fixed segments match and whose `{…}` segments take the rest.
    fn template(&self, path: &str) -> String {
        let paths = self.0["paths"].as_object().expect("paths");
        if paths.contains_key(path) {
            return path.to_owned();
        }
        let segments: Vec<&str> = path.split('/').collect();
        let matches = |template: &&String| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s)
        };
        paths.keys().find(matches).unwrap_or_else(|| panic!("{path} is not documented")).clone()
    }

    /// A validator of the schema at `pointer`, with its `$ref`s resolved in the document.
    fn validator(&self, pointer: &str) -> jsonschema::Validator {
        let mut root = self.0.clone();
        // A URI fragment: the braces of path templates are percent-encoded.
        let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
        root["$ref"] = json!(format!("#{fragment}"));
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the schema at {pointer} does not compile: {e}"))
    }

    /// The pointer of `pointer`'s target when it is a `$ref`, else `pointer` itself.
    fn follow(&self, pointer: String) -> String {
        match self.0.pointer(&pointer).and_then(|v| v["$ref"].as_str()) {
            Some(target) => target.trim_start_matches('#').to_owned(),
            None => pointer,
        }
    }

    fn operation_pointer(method: &Method, template: &str) -> String {
        format!("/paths/{}/{}", escape(template), method.as_str().to_lowercase())
    }

    /// Asserts that the operation documents `status` and that `body` matches its schema.
    fn assert_answer(&self, method: &Method, template: &str, status: StatusCode, body: &Value) {
        let operation = Self::operation_pointer(method, template);
        let response = format!("{operation}/responses/{}", status.as_u16());
        assert!(
            self.0.pointer(&response).is_some(),
            "{method} {template} answered {status}, which the document does not list: {body}"
        );
        let schema = format!("{}/content/application~1json/schema", self.follow(response));
        let errors: Vec<String> =
            self.validator(&schema).iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: the body does not match {schema}: {errors:?}\n{body}"
        );
    }

    /// Asserts that the operation's request schema accepts `body`.
    fn assert_request(&self, method: &Method, template: &str, body: &Value) {
        let operation = Self::operation_pointer(method, template);
        let schema = format!("{operation}/requestBody/content/application~1json/schema");
        assert!(self.0.pointer(&schema).is_some(), "{method} {template} documents no body");
        let errors: Vec<String> =
            self.validator(&schema).iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{method} {template}: {body} does not match {schema}: {errors:?}"
        );
    }
}

/// A JSON pointer's escaping of one reference token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// One request with the status it must get, so each case proves the path it means to.
struct Case {
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<Value>,
    clockwork_token: Option<&'static str>,
    status: StatusCode,
}

fn get(path: impl Into<String>, token: Option<&str>, status: StatusCode) -> Case {
    Case {
        method: Method::GET,
        path: path.into(),
        token: token.map(str::to_owned),
        body: None,
        clockwork_token: None,
        status,
    }
}

fn post(path: &str, token: Option<&str>, body: Value, status: StatusCode) -> Case {
    Case { method: Method::POST, body: Some(body), ..get(path, token, status) }
}

/// Sends each case and checks its answer against the document; returns what was answered.
async fn run(h: &Harness, document: &Document, cases: Vec<Case>) -> BTreeSet<(String, u16)> {
    let mut seen = BTreeSet::new();
    for case in cases {
        let body = case.body.as_ref().map(Value::to_string).unwrap_or_default();
        let mut sent = request(case.method.clone(), &case.path, case.token.as_deref(), &body);
        if let Some(token) = case.clockwork_token {
            sent.headers_mut().insert("x-clockwork-token", token.parse().expect("header"));
        }
        let (status, answer, headers) = h.send(sent).await;
        let what = format!("{} {}", case.method, case.path);
        assert_eq!(status, case.status, "{what}: {answer}");
        assert_eq!(headers["content-type"], "application/json", "{what}");
        let template = document.template(case.path.split('?').next().unwrap_or_default());
        document.assert_answer(&case.method, &template, status, &answer);
        if let (true, Some(body)) = (status.is_success(), &case.body) {
            document.assert_request(&case.method, &template, body);
        }
        seen.insert((format!("{} {template}", case.method), status.as_u16()));
    }
    seen
}

#[test]
fn every_route_is_in_the_document_and_nothing_else() {
    let document = Document::load();
    let mut documented = Vec::new();
    for (method, template) in document.operations() {
        let concrete = template.replace("{key}", "KAN-1").replace("{id}", "run-1");
        let route = Route::from_path(&concrete)
            .unwrap_or_else(|| panic!("{method} {template} is documented but no route serves it"));
        assert_eq!(route.method(), method, "{template} is documented with another method");
        documented.push(route);
    }
    for route in Route::ALL {
        let times = documented.iter().filter(|r| **r == route).count();
        assert_eq!(times, 1, "{route:?} is documented {times} times");
    }
    assert_eq!(documented.len(), Route::ALL.len());
}

/// Each documented route is deployed on both hosts: a route of `vercel.json` (a function, or
/// the committed document itself) and an HTTP API event of a Lambda function in
/// `template.yaml` (for the cron routes, a schedule enqueueing their event).
#[test]
fn every_documented_route_is_deployed_on_vercel_and_on_lambda() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let template = std::fs::read_to_string(format!("{root}/template.yaml")).expect("template.yaml");
    let lambda_paths: BTreeSet<&str> =
        template.lines().filter_map(|line| line.trim().strip_prefix("Path: ")).collect();
    let vercel: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/vercel.json")).expect("vercel.json"),
    )
    .expect("vercel.json is JSON");
    let vercel_sources: BTreeSet<&str> = vercel["routes"]
        .as_array()
        .expect("routes")
        .iter()
        .filter_map(|route| route["src"].as_str())
        .collect();
    for (_, template_path) in Document::load().operations() {
        // On AWS the scheduler enqueues the cron routes' events itself.
        let scheduled = match template_path.as_str() {
            "/api/cron/timers-sync" => Some(clockwork_core::event::TIMERS_SYNC_REQUESTED),
            "/api/cron/jira-sync" => Some(clockwork_core::event::SCHEDULES_TICK),
            _ => None,
        };
        match scheduled {
            Some(event) => assert!(
                template.contains(&format!("Input: '{{\"name\":\"{event}\"")),
                "no schedule in template.yaml enqueues {event} in place of {template_path}"
            ),
            None => assert!(
                lambda_paths.contains(template_path.as_str()),
                "{template_path} has no Lambda function in template.yaml"
            ),
        }
        let pattern = format!(
            "{}/?",
            template_path.replace("{key}", "[^/]+").replace("{id}", "[^/]+").replace('.', "\\.")
        );
        let exact = pattern.trim_end_matches("/?");
        assert!(
            vercel_sources.contains(pattern.as_str()) || vercel_sources.contains(exact),
            "{template_path} has no route in vercel.json (looked for {pattern})"
        );
    }
}

#[test]
fn the_document_is_openapi_3_1_with_the_bearer_scheme_and_the_error_envelope() {
    let document = Document::load();
    assert_eq!(document.0["openapi"], "3.1.0");
    assert_eq!(document.0["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
    let envelope = &document.0["components"]["schemas"]["Error"];
    assert_eq!(envelope["required"], json!(["error", "message", "statusCode"]));
    // Every documented refusal carries the envelope.
    for (method, template) in document.operations() {
        let operation = Document::operation_pointer(&method, &template);
        let responses = document.0.pointer(&format!("{operation}/responses")).expect("responses");
        for (status, _) in responses.as_object().expect("responses").iter() {
            if status.starts_with('4') || template != "/api/health" && status.starts_with('5') {
                let response = document.follow(format!("{operation}/responses/{status}"));
                let schema = document
                    .0
                    .pointer(&format!("{response}/content/application~1json/schema/$ref"));
                assert_eq!(
                    schema,
                    Some(&json!("#/components/schemas/Error")),
                    "{method} {template} {status}"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_served_document_is_the_committed_file() {
    let h = Harness::start().await;
    let response =
        clockwork_api::handle(&h.app, request(Method::GET, "/api/openapi.json", None, "")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_ref(), DOCUMENT.as_bytes());
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

/// Vercel serves the committed file as it is (`vercel.json`), with the local route's headers.
#[test]
fn vercel_serves_the_committed_document_as_a_static_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../vercel.json");
    let config: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("vercel.json")).expect("JSON");
    let builds = config["builds"].as_array().expect("builds");
    let src = "crates/api/openapi.json";
    assert!(
        builds.iter().any(|b| b["src"] == src && b["use"] == "@vercel/static"),
        "{src} is a static build"
    );
    let routes = config["routes"].as_array().expect("routes");
    let route = routes.iter().find(|r| r["dest"] == format!("/{src}")).expect("a route to it");
    let pattern = route["src"].as_str().expect("a pattern");
    assert_eq!(pattern, r"/api/openapi\.json");
    assert_eq!(route["headers"]["Content-Type"], "application/json");
    assert_eq!(route["headers"]["Cache-Control"], "no-store");
}

/// Ann with a running timer, an issue in Jira and Clockwork, and a worklog on 2026-11-23.
async fn world() -> Harness {
    let h = Harness::start().await;
    h.jira.add_issue(FakeIssue {
        status: "In Progress".into(),
        assignee: Some(ANN.into()),
        priority: Some("High".into()),
        ..FakeIssue::new("10001", "KAN-1", "Fix the login page")
    });
    h.clockwork.add_issue("10001", "KAN-1", "Fix the login page");
    let started = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap().fixed_offset();
    h.clockwork.add_worklog(FakeWorklog::new("20001", "10001", ANN, started, 3600));
    h.seed_timers(ANN, vec![timer(1, ANN, "KAN-1")]).await;
    h.app.cache.set("run:run-1:record", RUN_RECORD, None).await.expect("seed");
    h
}

const RUN_RECORD: &str = r#"{"id":"run-1","function":"sync-active-timers","event":"clockwork/timers.sync.requested","status":"failed","attempts":2,"startedAt":"2026-11-23T08:00:00Z","updatedAt":"2026-11-23T08:00:01Z","steps":[{"name":"acquire-jwt","status":"failed","durationMs":3}],"error":{"code":"AUTH_EXPIRED","message":"renew the cookie","retryable":false}}"#;

#[tokio::test]
async fn every_answer_of_every_route_matches_the_document() {
    let mut h = world().await;
    let document = Document::load();
    let (ann, admin) = (h.ann(), h.admin());
    let (ann, admin) = (Some(ann.as_str()), Some(admin.as_str()));
    let cron_secret = "cron-secret-for-the-document";
    h.app.cron_secret = Some(SecretString::from(cron_secret));
    let start = json!({ "issueKey": "KAN-1", "comment": "pairing" });
    let stop = json!({ "issueKey": "kan-1", "accountId": ANN, "timerId": 1 });
    let settings = json!({ "accountId": ANN, "clockworkApiToken": ANN_CLOCKWORK_TOKEN });
    let webhook_secret = "webhook-secret-for-the-document";
    let webhook = format!("/api/webhooks/jira?secret={webhook_secret}");
    h.app.webhook_secret = Some(SecretString::from(webhook_secret));
    let delivery = json!({
        "timestamp": 1_735_000_000_000_i64,
        "webhookEvent": "jira:issue_updated",
        "issue": { "id": "10001", "key": "KAN-1", "fields": { "project": { "key": "KAN" } } }
    });
    let sprint = json!({ "webhookEvent": "sprint_started", "sprint": { "id": 3 } });
    let mut cases = vec![
        get("/api/openapi.json", None, StatusCode::OK),
        get("/api/health", None, StatusCode::OK),
        get("/api/timers/active", ann, StatusCode::OK),
        get("/api/timers/active?accountId=all", admin, StatusCode::OK),
        get("/api/timers/active?userEmail=nobody@acme.example", admin, StatusCode::OK),
        get("/api/timers/active?accountId=a%20b", ann, StatusCode::BAD_REQUEST),
        get(format!("/api/timers/active?accountId={BOB}"), ann, StatusCode::FORBIDDEN),
        get("/api/timers/active", None, StatusCode::UNAUTHORIZED),
        get("/api/worklogs?date=2026-11-23", ann, StatusCode::OK),
        get("/api/worklogs?date=2026-11-20&to=2026-11-23&tz=Asia/Ho_Chi_Minh", ann, StatusCode::OK),
        get("/api/worklogs?date=23.11.2026", ann, StatusCode::BAD_REQUEST),
        get("/api/worklogs?date=2026-01-01&to=2026-03-01", ann, StatusCode::BAD_REQUEST),
        get("/api/issues/KAN-1", ann, StatusCode::OK),
        get("/api/issues/KAN-404", ann, StatusCode::NOT_FOUND),
        get("/api/issues/not-a-key", ann, StatusCode::BAD_REQUEST),
        get("/api/issues/search?q=KAN-1&maxResults=5", ann, StatusCode::OK),
        get("/api/issues/search", ann, StatusCode::OK),
        get("/api/issues/search?maxResults=51", ann, StatusCode::BAD_REQUEST),
        get("/api/users/resolve?email=ann@acme.example", ann, StatusCode::OK),
        get("/api/users/resolve?query=Bob", ann, StatusCode::OK),
        get("/api/users/resolve", ann, StatusCode::BAD_REQUEST),
        get("/api/runs/run-1", admin, StatusCode::OK),
        get("/api/runs/run-404", admin, StatusCode::NOT_FOUND),
        get("/api/runs/run-1", ann, StatusCode::FORBIDDEN),
        get("/api/runs/run%2A1", admin, StatusCode::BAD_REQUEST),
        get("/api/cron/timers-sync", Some(cron_secret), StatusCode::ACCEPTED),
        get("/api/cron/jira-sync", Some(cron_secret), StatusCode::ACCEPTED),
        get("/api/cron/jira-sync", ann, StatusCode::UNAUTHORIZED),
        post("/api/timers/start", ann, start.clone(), StatusCode::OK),
        post("/api/timers/start", ann, json!({ "issueKey": 5 }), StatusCode::BAD_REQUEST),
        post("/api/timers/start", ann, json!([]), StatusCode::BAD_REQUEST),
        post("/api/timers/stop", ann, stop, StatusCode::OK),
        post("/api/timers/stop", ann, json!({ "issueKey": "KAN-1", "accountId": BOB }), {
            StatusCode::FORBIDDEN
        }),
        Case { method: Method::POST, ..get("/api/timers/sync", ann, StatusCode::ACCEPTED) },
        post("/api/settings/validate", ann, settings, StatusCode::OK),
        post(
            "/api/settings/validate",
            ann,
            json!({ "accountId": ANN, "clockworkApiToken": "typo" }),
            StatusCode::OK,
        ),
        post("/api/settings/validate", ann, json!({ "accountId": ANN }), StatusCode::BAD_REQUEST),
        post(&webhook, None, delivery, StatusCode::ACCEPTED),
        post(&webhook, None, sprint, StatusCode::OK),
        post(&webhook, None, json!([]), StatusCode::BAD_REQUEST),
        post("/api/webhooks/jira?secret=guess", None, json!({}), StatusCode::UNAUTHORIZED),
    ];
    let huge = json!({ "issueKey": "KAN-1", "comment": "x".repeat(70 * 1024) });
    cases.push(post("/api/timers/start", ann, huge, StatusCode::PAYLOAD_TOO_LARGE));
    let mut wrong_token = post("/api/timers/start", ann, start, StatusCode::UNAUTHORIZED);
    wrong_token.clockwork_token = Some("typoed-clockwork-token");
    cases.push(wrong_token);
    let mut seen = run(&h, &document, cases).await;

    // The upstreams' failures, as the routes pass them on.
    h.jira.inject("GET /rest/api/3/issue/{issueIdOrKey}", Fault::Status(401), 1);
    h.jira.inject("GET /rest/api/3/user/search", Fault::RateLimited { retry_after_secs: 1 }, 3);
    h.clockwork.inject("POST /start_timer", Fault::Status(500), 1);
    h.clockwork.inject("POST /stop_timer", Fault::Status(422), 1);
    let refused = vec![
        get("/api/issues/KAN-2", ann, StatusCode::BAD_GATEWAY),
        get("/api/users/resolve?query=Ann", ann, StatusCode::TOO_MANY_REQUESTS),
        post("/api/timers/start", ann, json!({ "issueKey": "KAN-1" }), {
            StatusCode::SERVICE_UNAVAILABLE
        }),
        post("/api/timers/stop", ann, json!({ "issueKey": "KAN-1" }), StatusCode::CONFLICT),
    ];
    seen.extend(run(&h, &document, refused).await);
    // The three checks above and seven more are the minute's ten; the eleventh is refused.
    let rate_limited: Vec<Case> = (0..7)
        .map(|_| post("/api/settings/validate", ann, json!({}), StatusCode::BAD_REQUEST))
        .chain([post("/api/settings/validate", ann, json!({}), StatusCode::TOO_MANY_REQUESTS)])
        .collect();
    seen.extend(run(&h, &document, rate_limited).await);
    // A queue that does not answer: health names it, a sync cannot be requested.
    h.app.queue = Some(Arc::new(SqsSender::from_lookup(
        "http://127.0.0.1:9/000000000000/gone",
        Some("us-east-1"),
        Some("http://127.0.0.1:9"),
        &moto::credentials,
    )));
    // The sync window of the requests above has to close first, or the new request shares its run.
    h.app.cache.del(&["run:timers-sync:window".to_owned()]).await.expect("del");
    let down = vec![
        get("/api/health", None, StatusCode::SERVICE_UNAVAILABLE),
        Case {
            method: Method::POST,
            ..get("/api/timers/sync", ann, StatusCode::SERVICE_UNAVAILABLE)
        },
    ];
    seen.extend(run(&h, &document, down).await);

    // Each operation's success was seen (health's degraded answer too).
    for (method, template) in document.operations() {
        let operation = Document::operation_pointer(&method, &template);
        let responses = document.0.pointer(&format!("{operation}/responses")).expect("responses");
        let success = responses.as_object().expect("responses").keys().find(|s| s.starts_with('2'));
        let status: u16 = success.expect("a success").parse().expect("a status");
        let operation = format!("{method} {template}");
        assert!(seen.contains(&(operation.clone(), status)), "{operation} {status} unseen");
    }
}
