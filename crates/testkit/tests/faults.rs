//! Request counting, injected faults and latency, shared by every fake.

use clockwork_testkit::http_client;
use std::time::{Duration, Instant};

use clockwork_testkit::{FakeClockwork, FakeIssue, FakeJira, Fault};
use reqwest::{Response, StatusCode};
use serde_json::Value;

const EMAIL: &str = "bot@acme.example";
const TOKEN: &str = "secret-token";

/// reqwest brings no crypto provider of its own; the process's is installed first.
async fn get(jira: &FakeJira, path: &str) -> Response {
    http_client()
        .get(format!("{}{path}", jira.base_url()))
        .basic_auth(EMAIL, Some(TOKEN))
        .send()
        .await
        .expect("request to fake Jira")
}

#[tokio::test]
async fn requests_are_counted_per_endpoint() {
    let jira = FakeJira::start(EMAIL, TOKEN).await;
    jira.add_issue(FakeIssue::new("1", "KAN-1", "x"));
    get(&jira, "/rest/api/3/issue/KAN-1").await;
    get(&jira, "/rest/api/3/issue/KAN-404").await;
    get(&jira, "/rest/api/3/myself").await;
    // Rejected credentials still reach the endpoint.
    http_client().get(format!("{}/rest/api/3/myself", jira.base_url())).send().await.unwrap();
    assert_eq!(jira.requests("GET /rest/api/3/issue/{issueIdOrKey}"), 2);
    assert_eq!(jira.requests("GET /rest/api/3/myself"), 2);
    assert_eq!(jira.requests("GET /rest/api/3/user/bulk"), 0);
    assert_eq!(jira.total_requests(), 4);
    jira.reset_counts();
    assert_eq!(jira.total_requests(), 0);
}

#[tokio::test]
async fn injected_rate_limit_carries_retry_after_then_recovers() {
    let jira = FakeJira::start(EMAIL, TOKEN).await;
    jira.inject("GET /rest/api/3/myself", Fault::RateLimited { retry_after_secs: 7 }, 2);
    for _ in 0..2 {
        let response = get(&jira, "/rest/api/3/myself").await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let header =
            |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("retry-after").as_deref(), Some("7"));
        assert_eq!(header("x-ratelimit-remaining").as_deref(), Some("0"));
        assert_eq!(header("ratelimit-reason").as_deref(), Some("jira-burst-based"));
        assert!(header("x-ratelimit-limit").is_some());
        let reset = header("x-ratelimit-reset").expect("reset time");
        assert!(chrono::DateTime::parse_from_rfc3339(&reset).is_ok(), "{reset}");
        let body: Value = response.json().await.unwrap();
        assert!(body["errorMessages"].is_array());
    }
    assert_eq!(get(&jira, "/rest/api/3/myself").await.status(), StatusCode::OK);
    assert_eq!(jira.requests("GET /rest/api/3/myself"), 3);
}

#[tokio::test]
async fn injected_status_uses_each_services_error_shape() {
    let jira = FakeJira::start(EMAIL, TOKEN).await;
    jira.inject("GET /rest/api/3/myself", Fault::Status(503), 1);
    let response = get(&jira, "/rest/api/3/myself").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert!(body["errorMessages"][0].is_string() && body["errors"].is_object(), "{body}");

    let clockwork = FakeClockwork::start().await;
    clockwork.inject("POST /start_timer", Fault::Status(500), 1);
    let response = http_client()
        .post(format!("{}/start_timer", clockwork.base_url()))
        .header("authorization", "Token whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    assert!(body["messages"][0]["body"].is_string(), "{body}");
    assert_eq!(clockwork.requests("POST /start_timer"), 1);
}

#[tokio::test]
async fn injected_delay_and_latency_slow_answers_down() {
    let jira = FakeJira::start(EMAIL, TOKEN).await;
    jira.inject("GET /rest/api/3/myself", Fault::Delay(Duration::from_millis(150)), 1);
    let started = Instant::now();
    assert_eq!(get(&jira, "/rest/api/3/myself").await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(150));

    jira.set_latency(Duration::from_millis(100));
    let started = Instant::now();
    assert_eq!(get(&jira, "/status").await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(100));
}
