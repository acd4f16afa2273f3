//! `GET /api/issues/{key}`: issue details, cached for a day.

mod common;

use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::FakeIssue;
use common::{ANN, Harness, assert_error};
use http::StatusCode;
use serde_json::json;

const ISSUE: &str = "GET /rest/api/3/issue/{issueIdOrKey}";

fn seed(h: &Harness) {
    h.jira.add_issue(FakeIssue {
        assignee: Some(ANN.into()),
        priority: Some("High".into()),
        status: "In Progress".into(),
        ..FakeIssue::new("10009", "KAN-9", "Fix the login page")
    });
}

#[tokio::test]
async fn issue_details_have_the_contract_shape() {
    let h = Harness::start().await;
    seed(&h);
    let (status, body) = h.get("/api/issues/kan-9", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let issue = &body["issue"];
    assert_eq!(issue["key"], "KAN-9");
    assert_eq!(issue["id"], "10009");
    assert_eq!(issue["summary"], "Fix the login page");
    assert_eq!(issue["status"], "In Progress");
    assert_eq!(issue["priority"], "High");
    assert_eq!(issue["project"]["key"], "KAN");
    assert_eq!(issue["project"]["name"], "Kanban Team");
    assert_eq!(issue["assignee"]["accountId"], ANN);
    assert_eq!(issue["url"], json!(format!("{}/browse/KAN-9", h.jira.base_url())));
}

#[tokio::test]
async fn an_issue_is_cached_for_a_day() {
    let h = Harness::start().await;
    seed(&h);
    h.get("/api/issues/KAN-9", Some(&h.ann())).await;
    let (status, _) = h.get("/api/issues/KAN-9", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h.jira.requests(ISSUE), 1);
    let ttl = h.redis.ttl("jira:issue:KAN-9").await;
    assert!((86_000..=86_400).contains(&ttl), "{ttl}");
    assert!(h.redis.get("jira:issue:10009").await.is_some(), "also cached by id for worklogs");
}

#[tokio::test]
async fn an_unknown_issue_is_404() {
    let h = Harness::start().await;
    let answer = h.get("/api/issues/KAN-404", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "ISSUE_NOT_FOUND");
}

#[tokio::test]
async fn keys_that_could_escape_the_url_are_400_and_never_sent() {
    let h = Harness::start().await;
    for path in
        ["/api/issues/KAN%2F9", "/api/issues/..", "/api/issues/KAN-9%3Fx", "/api/issues/9-KAN"]
    {
        let answer = h.get(path, Some(&h.ann())).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
    }
    assert_eq!(h.jira.total_requests(), 0);
}

#[tokio::test]
async fn jira_failures_map_to_clear_answers() {
    let h = Harness::start().await;
    seed(&h);
    h.jira.inject(ISSUE, Fault::RateLimited { retry_after_secs: 1 }, 1);
    assert_eq!(
        h.get("/api/issues/KAN-9", Some(&h.ann())).await.0,
        StatusCode::OK,
        "429 then success"
    );
    assert_eq!(h.jira.requests(ISSUE), 2);

    h.jira.inject(ISSUE, Fault::Status(401), 1);
    let answer = h.get("/api/issues/KAN-1", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::BAD_GATEWAY, "JIRA_AUTH_FAILED");

    h.jira.inject(ISSUE, Fault::Status(500), 3);
    let answer = h.get("/api/issues/KAN-2", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_UNAVAILABLE");

    h.jira.inject(ISSUE, Fault::Delay(std::time::Duration::from_secs(3)), 3);
    let answer = h.get("/api/issues/KAN-3", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_UNAVAILABLE");
}
