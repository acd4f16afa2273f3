//! What every route shares: unknown paths, methods, body size, authentication, health.

mod common;

use common::{ANN, Harness, assert_error, request};
use http::{Method, StatusCode};

#[tokio::test]
async fn unknown_path_is_a_json_404() {
    let h = Harness::start().await;
    let answer = h.get("/api/nope", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "ROUTE_NOT_FOUND");
}

#[tokio::test]
async fn wrong_method_is_405_naming_the_allowed_one() {
    let h = Harness::start().await;
    let (status, body, headers) =
        h.send(request(Method::DELETE, "/api/timers/active", Some(&h.ann()), "")).await;
    assert_error(&(status, body), StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    assert_eq!(headers["allow"], "GET");
    let (status, _, headers) =
        h.send(request(Method::GET, "/api/timers/start", Some(&h.ann()), "")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers["allow"], "POST");
}

#[tokio::test]
async fn body_over_64_kib_is_413() {
    let h = Harness::start().await;
    let comment = "x".repeat(70 * 1024);
    let body = format!(r#"{{"issueKey":"KAN-1","comment":"{comment}"}}"#);
    let answer = h.post("/api/timers/start", Some(&h.ann()), &body).await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    assert_eq!(h.clockwork.total_requests(), 0);
}

#[tokio::test]
async fn every_route_but_health_requires_a_token() {
    let h = Harness::start().await;
    for (method, path) in [
        (Method::GET, "/api/timers/active"),
        (Method::GET, "/api/worklogs?date=2026-01-01"),
        (Method::POST, "/api/timers/start"),
        (Method::POST, "/api/timers/stop"),
        (Method::GET, "/api/issues/KAN-1"),
        (Method::POST, "/api/timers/sync"),
    ] {
        let (status, body, _) = h.send(request(method, path, None, "{}")).await;
        assert_error(&(status, body), StatusCode::UNAUTHORIZED, "AUTH_REQUIRED");
    }
    assert_eq!(h.get("/api/health", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn expired_token_is_401_auth_expired() {
    let h = Harness::start().await;
    let claims = serde_json::json!({ "sub": ANN, "role": "user", "exp": 1_000_000_000u64 });
    let expired = forge_with_secret(&claims, common::SECRET);
    let answer = h.get("/api/timers/active", Some(&expired)).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "AUTH_EXPIRED");
}

#[tokio::test]
async fn forged_or_garbled_tokens_are_401_auth_invalid() {
    let h = Harness::start().await;
    let exp = chrono::Utc::now().timestamp() + 600;
    let claims = serde_json::json!({ "sub": ANN, "role": "admin", "exp": exp });
    for token in [
        forge_with_secret(&claims, "not-the-server-secret-at-all-000000"),
        "garbage".to_owned(),
        "a.b.c".to_owned(),
    ] {
        let answer = h.get("/api/timers/active?accountId=all", Some(&token)).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "AUTH_INVALID");
    }
}

#[tokio::test]
async fn health_reports_each_check() {
    let h = Harness::start().await;
    let (status, body) = h.get("/api/health", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "clockwork-backend");
    assert_eq!(body["checks"], serde_json::json!({ "cache": "ok", "queue": "ok" }));
    let timestamp = body["timestamp"].as_str().expect("timestamp");
    let at = chrono::DateTime::parse_from_rfc3339(timestamp).expect("RFC 3339");
    assert!((chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 5, "{timestamp}");
}

#[tokio::test]
async fn health_names_what_is_down() {
    let h = Harness::start().await;
    h.sqs.delete_queue().queue_url(&h.queue_url).send().await.unwrap();
    let (status, body) = h.get("/api/health", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["checks"]["cache"], "ok");
    assert_ne!(body["checks"]["queue"], "ok");
    assert_eq!(body["error"], "SERVICE_UNAVAILABLE");
    assert_eq!(body["service"], "clockwork-backend");
    assert!(body["message"].as_str().unwrap().contains("queue"));
}

fn forge_with_secret(claims: &serde_json::Value, secret: &str) -> String {
    clockwork_api::token::Key::new(secret.as_bytes()).sign(claims).unwrap()
}
