//! Every call the shipped desktop client makes (`desktop-client.md`), sent exactly as it
//! sends them, against a private deployment (`AUTH_DISABLED=true`, a server-wide Clockwork
//! token), asserting the fields the client reads.
//!
//! The client puts `Content-Type: application/json` on every request, GETs included, sends
//! no `Authorization`, and `X-Clockwork-Token` only on start and stop.

mod common;

use bytes::Bytes;
use chrono::Utc;
use clockwork_testkit::jira::FakeIssue;
use common::{ANN, ANN_CLOCKWORK_TOKEN, ANN_EMAIL, Harness, timer};
use http::{Method, Request, StatusCode};
use serde_json::{Value, json};

/// A request as the client builds it.
fn client(method: Method, path: &str, body: Option<Value>, clockwork: bool) -> Request<Bytes> {
    let mut builder =
        Request::builder().method(method).uri(path).header("content-type", "application/json");
    if clockwork {
        builder = builder.header("x-clockwork-token", ANN_CLOCKWORK_TOKEN);
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    builder.body(Bytes::from(body)).expect("request")
}

async fn call(h: &Harness, request: Request<Bytes>) -> (StatusCode, Value) {
    let (status, body, headers) = h.send(request).await;
    assert_eq!(headers["content-type"], "application/json", "every answer is JSON");
    (status, body)
}

async fn shipped_client() -> Harness {
    let h = Harness::start_private().await;
    h.jira.add_issue(FakeIssue {
        status: "In Progress".into(),
        assignee: Some(ANN.into()),
        ..FakeIssue::new("10001", "KAN-1", "Fix the login page")
    });
    h.clockwork.add_issue("10001", "KAN-1", "Fix the login page");
    h
}

#[tokio::test]
async fn the_timer_card_and_tray_read_running_timers() {
    let h = shipped_client().await;
    let mut running = timer(1, ANN, "KAN-1");
    running.started_within_working_hours = true;
    h.seed_timers(ANN, vec![running]).await;
    let path = format!("/api/timers/active?accountId={ANN}");
    let (status, body) = call(&h, client(Method::GET, &path, None, false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["timers"][0];
    assert_eq!(first["id"], 1);
    assert!(first["startedAt"].is_string());
    assert_eq!(first["tillNow"], 754);
    assert_eq!(first["issue"]["key"], "KAN-1");
    assert_eq!(first["withinWorkingHours"], true);
    assert!(body["cachedAt"].is_string());

    let (status, body) = call(&h, client(Method::GET, "/api/issues/KAN-1", None, false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["issue"]["summary"], "Fix the login page");
    assert_eq!(body["issue"]["project"]["name"], "Kanban Team");
}

#[tokio::test]
async fn start_stop_and_todays_worklogs_work_as_the_client_sends_them() {
    let h = shipped_client().await;
    let start = json!({ "issueKey": "KAN-1", "comment": "pairing" });
    let (status, body) =
        call(&h, client(Method::POST, "/api/timers/start", Some(start), true)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = call(
        &h,
        client(Method::POST, "/api/timers/start", Some(json!({ "issueKey": "KAN-1" })), true),
    )
    .await;
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "the client shows it: {body}");

    let stop = json!({ "issueKey": "KAN-1", "accountId": ANN });
    let (status, body) = call(&h, client(Method::POST, "/api/timers/stop", Some(stop), true)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Worklogs carry no X-Clockwork-Token: the server-wide one reads them.
    let today = Utc::now().date_naive();
    let path = format!("/api/worklogs?accountId={ANN}&date={today}");
    let (status, body) = call(&h, client(Method::GET, &path, None, false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let worklog = &body["worklogs"][0];
    assert!(worklog["id"].is_u64(), "the client's type is a number: {body}");
    assert_eq!(worklog["issueKey"], "KAN-1");
    assert_eq!(worklog["issueName"], "Fix the login page");
    assert_eq!(worklog["projectName"], "Kanban Team");
    assert_eq!(worklog["comment"], "pairing");
    assert_eq!(worklog["timeSpentSeconds"], 60);
    assert_eq!(body["total"], 60);
}

#[tokio::test]
async fn the_issue_picker_searches_as_the_client_sends_it() {
    let h = shipped_client().await;
    for q in ["", "login", "KAN-1"] {
        let path = format!("/api/issues/search?accountId={ANN}&maxResults=10&q={q}");
        let (status, body) = call(&h, client(Method::GET, &path, None, false)).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
        let issue = &body["issues"][0];
        assert_eq!(issue["key"], "KAN-1", "{q}");
        assert_eq!(issue["id"], "10001");
        assert_eq!(issue["summary"], "Fix the login page");
        assert_eq!(issue["status"], "In Progress");
        assert_eq!(issue["project"]["name"], "Kanban Team");
    }
}

#[tokio::test]
async fn the_settings_screen_validates_as_the_client_sends_it() {
    let h = shipped_client().await;
    let good = json!({ "accountId": ANN, "clockworkApiToken": ANN_CLOCKWORK_TOKEN });
    let (status, body) =
        call(&h, client(Method::POST, "/api/settings/validate", Some(good), false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["valid"], true);
    let user = &body["user"];
    assert_eq!(user["accountId"], ANN);
    assert_eq!(user["displayName"], "Ann Example");
    assert_eq!(user["emailAddress"], ANN_EMAIL);
    assert!(user["avatarUrl"].is_string());

    let bad = json!({ "accountId": ANN, "clockworkApiToken": "typo" });
    let (status, body) =
        call(&h, client(Method::POST, "/api/settings/validate", Some(bad), false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["valid"], false);
    assert_eq!(body["field"], "clockworkApiToken");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn the_health_probe_reads_status_service_and_timestamp() {
    let h = shipped_client().await;
    let (status, body) = call(&h, client(Method::GET, "/api/health", None, false)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "clockwork-backend");
    assert!(body["timestamp"].is_string());
}
