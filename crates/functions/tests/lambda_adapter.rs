//! The Lambda adapter turns real API Gateway HTTP API (v2) events into the shared handler's
//! requests, within the same body limit as every other host.

use std::sync::Arc;

use clockwork_api::auth::Auth;
use clockwork_api::router::MAX_BODY_BYTES;
use clockwork_api::{App, Endpoint};
use clockwork_cache::memory::MemoryCache;
use clockwork_clients::{HttpClient, HttpOptions};
use clockwork_core::config::{AuthConfig, ClockworkConfig, JiraConfig};
use clockwork_functions::{Handler, Host, lambda};
use clockwork_queue::in_process::{InProcessQueue, Receiver};
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use secrecy::SecretString;
use serde_json::Value;

const GET_HEALTH: &str = include_str!("fixtures/apigw_v2_get_health.json");
const POST_TIMERS_START: &str = include_str!("fixtures/apigw_v2_post_timers_start.json");
/// The discard port: nothing listens there.
const UNUSED_URL: &str = "http://127.0.0.1:9";

/// Embedded cache and queue; the upstream clients point at a loopback port nothing serves,
/// because none of these requests reaches Jira or Clockwork.
fn app() -> (Arc<App>, Receiver) {
    let jira = JiraConfig {
        base_url: UNUSED_URL.parse().expect("URL"),
        email: "bot@acme.example".into(),
        api_token: SecretString::from("jira-token"),
    };
    let clockwork =
        ClockworkConfig { api_base_url: UNUSED_URL.parse().expect("URL"), api_token: None };
    let (queue, receiver) = InProcessQueue::new();
    let app = Arc::new(App::new(
        &jira,
        &clockwork,
        Arc::new(MemoryCache::new()),
        Some(Arc::new(queue)),
        Auth::new(&AuthConfig::Disabled),
        HttpClient::new(HttpOptions::default()),
    ));
    (app, receiver)
}

fn event(json: &str) -> lambda_http::Request {
    lambda_http::request::from_str(json).expect("an API Gateway v2 event")
}

fn json_body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("a JSON body")
}

#[tokio::test]
async fn api_gateway_health_event_is_answered_by_the_shared_handler() {
    let (app, _receiver) = app();

    let response = lambda::respond(&app, Endpoint::HEALTH, event(GET_HEALTH)).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body = json_body(&response);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["cache"], "ok");
    assert_eq!(body["checks"]["queue"], "ok");
}

#[tokio::test]
async fn wrong_method_is_refused_with_405_naming_the_allowed_one() {
    let (app, _receiver) = app();

    let response = lambda::respond(&app, Endpoint::TIMERS_START, event(GET_HEALTH)).await;

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()[header::ALLOW], "POST");
    assert_eq!(json_body(&response)["error"], "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn body_over_64_kib_is_refused_with_413() {
    let (app, _receiver) = app();
    let mut json: Value = serde_json::from_str(POST_TIMERS_START).expect("fixture JSON");
    let comment = "x".repeat(MAX_BODY_BYTES);
    json["body"] = Value::String(format!(r#"{{"issueKey":"KAN-1","comment":"{comment}"}}"#));

    let response = lambda::respond(&app, Endpoint::TIMERS_START, event(&json.to_string())).await;

    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = json_body(&response);
    assert_eq!(body["error"], "PAYLOAD_TOO_LARGE");
    assert_eq!(body["statusCode"], 413);
}

#[tokio::test]
async fn a_host_function_gets_the_whole_request_within_the_limit() {
    let (app, _receiver) = app();
    // Echoes what it was handed: the path and the body the event carried.
    let echo: Host = |_, request| {
        Box::pin(async move {
            let answer = serde_json::json!({
                "path": request.uri().path(),
                "body": String::from_utf8_lossy(request.body()),
            });
            Response::new(bytes::Bytes::from(answer.to_string()))
        })
    };

    let response = lambda::respond(&app, Handler::Host(echo), event(POST_TIMERS_START)).await;

    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(&response);
    assert_eq!(body["path"], "/api/timers/start");
    assert!(body["body"].as_str().is_some_and(|b| b.contains("issueKey")), "{body}");

    let mut json: Value = serde_json::from_str(POST_TIMERS_START).expect("fixture JSON");
    json["body"] = Value::String("x".repeat(MAX_BODY_BYTES + 1));
    let response = lambda::respond(&app, Handler::Host(echo), event(&json.to_string())).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
