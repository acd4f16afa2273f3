//! `GET /api/issues/search`: the issue picker, one JQL search a query, injection-proof.

mod common;

use chrono::{Duration, Utc};
use clockwork_testkit::jira::FakeIssue;
use common::{ANN, BOB, Harness, assert_error};
use http::StatusCode;
use serde_json::Value;

const SEARCH: &str = "POST /rest/api/3/search/jql";
const ISSUE: &str = "GET /rest/api/3/issue/{issueIdOrKey}";

/// Adds an issue updated `minutes_ago`.
fn issue(h: &Harness, id: &str, key: &str, summary: &str, status: &str, assignee: &str, ago: i64) {
    h.jira.add_issue(FakeIssue {
        status: status.into(),
        assignee: Some(assignee.into()),
        updated: Utc::now() - Duration::minutes(ago),
        ..FakeIssue::new(id, key, summary)
    });
}

fn keys(body: &Value) -> Vec<&str> {
    body["issues"]
        .as_array()
        .unwrap_or_else(|| panic!("no issues in {body}"))
        .iter()
        .map(|issue| issue["key"].as_str().expect("key"))
        .collect()
}

fn path(q: &str) -> String {
    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    format!("/api/issues/search?accountId={ANN}&maxResults=10&q={q}")
}

#[tokio::test]
async fn empty_query_lists_the_callers_issues_in_progress() {
    let h = Harness::start().await;
    issue(&h, "10001", "KAN-1", "Older work", "In Progress", ANN, 30);
    issue(&h, "10002", "KAN-2", "Newer work", "In Review", ANN, 5);
    issue(&h, "10003", "KAN-3", "Not started", "To Do", ANN, 1);
    issue(&h, "10004", "KAN-4", "Bob's work", "In Progress", BOB, 1);
    let (status, body) = h.get("/api/issues/search?q=", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(&body), ["KAN-2", "KAN-1"], "in progress, most recently updated first");
    let first = &body["issues"][0];
    assert_eq!(first["id"], "10002");
    assert_eq!(first["summary"], "Newer work");
    assert_eq!(first["status"], "In Review");
    assert_eq!(first["project"]["key"], "KAN");
    assert_eq!(first["project"]["name"], "Kanban Team");
    assert_eq!(h.jira.requests(SEARCH), 1);
}

#[tokio::test]
async fn a_key_query_finds_that_issue_first_then_text_matches() {
    let h = Harness::start().await;
    issue(&h, "10009", "KAN-9", "Fix the login page", "To Do", BOB, 60);
    issue(&h, "10012", "KAN-12", "Follow-up to KAN-9", "To Do", BOB, 1);
    issue(&h, "10013", "KAN-13", "Unrelated", "To Do", BOB, 1);
    let (status, body) = h.get(&path("kan-9"), Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(&body), ["KAN-9", "KAN-12"]);
    assert_eq!(h.jira.requests(SEARCH), 1, "the key and the text in one search");

    let (_, body) = h.get(&path("LOGIN"), Some(&h.ann())).await;
    assert_eq!(keys(&body), ["KAN-9"], "text matches any case");
}

#[tokio::test]
async fn jql_injection_in_q_returns_only_matching_issues() {
    let h = Harness::start().await;
    issue(&h, "10001", "KAN-1", "Fix login page", "To Do", BOB, 2);
    issue(&h, "10002", "KAN-2", "Other thing", "In Progress", ANN, 1);
    issue(&h, "10003", "KAN-3", "Login or project KAN order by key", "To Do", BOB, 3);
    let attempts = [
        (r#"login" OR project = KAN OR summary ~ "x"#, vec![]),
        (r#"login") OR (project = KAN"#, vec!["KAN-3"]),
        ("login ORDER BY key", vec!["KAN-3"]),
        (r#"login\" OR key = KAN-2 OR summary ~ \"x"#, vec![]),
        ("login OR other", vec![]),
        ("login*", vec!["KAN-1", "KAN-3"]),
        (r#"""#, vec![]),
        ("(", vec![]),
    ];
    for (q, expected) in attempts {
        let (status, body) = h.get(&path(q), Some(&h.ann())).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        assert_eq!(keys(&body), expected, "{q}");
    }
    let (_, body) = h.get(&path("login"), Some(&h.ann())).await;
    assert_eq!(keys(&body), ["KAN-1", "KAN-3"], "the plain word still finds both");
}

#[tokio::test]
async fn results_are_cached_for_a_minute_and_fill_the_issue_cache() {
    let h = Harness::start().await;
    issue(&h, "10009", "KAN-9", "Fix the login page", "In Progress", ANN, 1);
    h.get(&path("login"), Some(&h.ann())).await;
    let (status, body) = h.get(&path("login"), Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&body), ["KAN-9"]);
    assert_eq!(h.jira.requests(SEARCH), 1, "the second search is a cache hit");
    let ttl = h.redis.ttl(&format!("jira:search:{ANN}:10:login")).await;
    assert!((1..=60).contains(&ttl), "{ttl}");

    let (status, body) = h.get("/api/issues/KAN-9", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["issue"]["summary"], "Fix the login page");
    assert_eq!(body["issue"]["assignee"]["accountId"], ANN);
    assert_eq!(h.jira.requests(ISSUE), 0, "the issue route reads what the search cached");
    let ttl = h.redis.ttl("jira:issue:10009").await;
    assert!((86_000..=86_400).contains(&ttl), "cached by id for worklogs: {ttl}");
}

#[tokio::test]
async fn max_results_out_of_range_is_400_naming_the_field() {
    let h = Harness::start().await;
    for value in ["0", "51", "x"] {
        let answer =
            h.get(&format!("/api/issues/search?q=a&maxResults={value}"), Some(&h.ann())).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
        assert!(answer.1["message"].as_str().unwrap().contains("maxResults"), "{}", answer.1);
    }
    let long = "a".repeat(201);
    let answer = h.get(&format!("/api/issues/search?q={long}"), Some(&h.ann())).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
    assert_eq!(h.jira.total_requests(), 0);
}

#[tokio::test]
async fn only_an_admin_may_search_as_another_user() {
    let h = Harness::start().await;
    issue(&h, "10004", "KAN-4", "Bob's work", "In Progress", BOB, 1);
    let as_bob = format!("/api/issues/search?accountId={BOB}");
    let answer = h.get(&as_bob, Some(&h.ann())).await;
    assert_error(&answer, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, body) = h.get(&as_bob, Some(&h.admin())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(keys(&body), ["KAN-4"]);
    let answer = h.get("/api/issues/search", None).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "AUTH_REQUIRED");
}
