//! The fake Clockwork API's rules, checked over HTTP with a plain client.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use clockwork_testkit::http_client;
use clockwork_testkit::{FakeClockwork, FakeTimer, FakeWorklog};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "mai-token";
const MAI: &str = "acc-mai";
const LIAM: &str = "acc-liam";

/// reqwest brings no crypto provider of its own; the process's is installed first.
async fn clockwork() -> FakeClockwork {
    let clockwork = FakeClockwork::start().await;
    clockwork.add_token(TOKEN, MAI);
    clockwork.add_issue("10009", "KAN-9", "Fix the timer widget");
    clockwork.add_issue("10010", "KAN-10", "Export CSV");
    clockwork
}

fn started(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test timestamp")
}

async fn get_worklogs(clockwork: &FakeClockwork, query: &str) -> (StatusCode, Value) {
    let response = http_client()
        .get(format!("{}/worklogs?{query}", clockwork.base_url()))
        .header("Authorization", format!("Token {TOKEN}"))
        .send()
        .await
        .expect("worklogs request");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

async fn post(clockwork: &FakeClockwork, path: &str, body: Value) -> (StatusCode, Value) {
    let response = http_client()
        .post(format!("{}{path}", clockwork.base_url()))
        .header("Authorization", format!("Token {TOKEN}"))
        .json(&body)
        .send()
        .await
        .expect("timer request");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

fn ids(worklogs: &Value) -> Vec<&str> {
    worklogs.as_array().expect("a bare array").iter().map(|w| w["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn base_url_ends_in_v1_and_unknown_tokens_are_401() {
    let clockwork = clockwork().await;
    assert!(clockwork.base_url().ends_with("/v1"));
    let url =
        format!("{}/worklogs?starting_at=2026-02-01&ending_at=2026-02-02", clockwork.base_url());
    for auth in [Some("Token wrong"), Some("Bearer mai-token"), None] {
        let mut request = http_client().get(&url);
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({ "messages": [{ "body": "Invalid token" }] }));
    }
}

#[tokio::test]
async fn worklogs_are_filtered_by_account_and_inclusive_dates() {
    let clockwork = clockwork().await;
    clockwork.add_worklog(FakeWorklog::new(
        "1",
        "10009",
        MAI,
        started("2026-02-09T23:30:00+07:00"),
        600,
    ));
    clockwork.add_worklog(FakeWorklog::new(
        "2",
        "10009",
        MAI,
        started("2026-02-10T09:00:00+07:00"),
        1800,
    ));
    clockwork.add_worklog(FakeWorklog::new(
        "3",
        "10010",
        MAI,
        started("2026-02-11T23:59:00+07:00"),
        900,
    ));
    clockwork.add_worklog(FakeWorklog::new(
        "4",
        "10010",
        MAI,
        started("2026-02-12T00:00:00+07:00"),
        900,
    ));
    clockwork.add_worklog(FakeWorklog::new(
        "5",
        "10009",
        LIAM,
        started("2026-02-10T10:00:00+00:00"),
        300,
    ));
    let (status, worklogs) = get_worklogs(
        &clockwork,
        &format!("account_id={MAI}&starting_at=2026-02-10&ending_at=2026-02-11"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&worklogs), ["2", "3"]);
    let first = &worklogs[0];
    assert_eq!(first["issueId"], "10009");
    assert_eq!(first["timeSpentSeconds"], 1800);
    assert_eq!(first["started"], "2026-02-10T09:00:00.000+0700");
    assert_eq!(first["comment"], Value::Null);
    assert_eq!(first["author"], json!({ "accountId": MAI }));
    assert!(first.get("issue").is_none());
}

#[tokio::test]
async fn worklogs_need_valid_dates() {
    let clockwork = clockwork().await;
    for query in
        ["account_id=x", "starting_at=2026-02-10", "starting_at=10/02/2026&ending_at=2026-02-11"]
    {
        let (status, body) = get_worklogs(&clockwork, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(body["messages"][0]["body"].is_string());
    }
}

#[tokio::test]
async fn expansions_add_authors_emails_and_issues() {
    let clockwork = clockwork().await;
    clockwork.add_author(MAI, "Mai Nguyen", Some("mai@acme.example"));
    clockwork.add_author(LIAM, "Liam O'Connor", None);
    clockwork.add_worklog(FakeWorklog::new(
        "1",
        "10009",
        MAI,
        started("2026-02-10T09:00:00+07:00"),
        60,
    ));
    clockwork.add_worklog(FakeWorklog::new(
        "2",
        "10010",
        LIAM,
        started("2026-02-10T11:00:00+07:00"),
        60,
    ));
    let range = "starting_at=2026-02-10&ending_at=2026-02-10";
    let (_, authors) = get_worklogs(&clockwork, &format!("{range}&expand=authors")).await;
    assert_eq!(authors[0]["author"], json!({ "accountId": MAI, "displayName": "Mai Nguyen" }));
    let (_, full) =
        get_worklogs(&clockwork, &format!("{range}&expand=issues,authors,emails")).await;
    assert_eq!(full[0]["author"]["emailAddress"], "mai@acme.example");
    assert!(full[1]["author"].get("emailAddress").is_none(), "hidden email stays hidden");
    assert_eq!(
        full[0]["issue"],
        json!({ "key": "KAN-9", "fields": { "summary": "Fix the timer widget" } })
    );
    let (_, by_email) =
        get_worklogs(&clockwork, &format!("{range}&user_query[]=MAI@acme.example")).await;
    assert_eq!(ids(&by_email), ["1"]);
}

#[tokio::test]
async fn start_timer_twice_on_one_issue_is_422() {
    let clockwork = clockwork().await;
    let (status, body) =
        post(&clockwork, "/start_timer", json!({ "issue_key": "KAN-9", "comment": "pairing" }))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["messages"][0]["title"], "Timer started");
    let running = clockwork.running_timers();
    assert_eq!(running.len(), 1);
    assert_eq!((running[0].running_for.as_str(), running[0].issue_key.as_str()), (MAI, "KAN-9"));
    assert_eq!(running[0].comment.as_deref(), Some("pairing"));

    let (status, body) = post(&clockwork, "/start_timer", json!({ "issue_key": "KAN-9" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["messages"][0]["body"].is_string());
    // Another issue is fine: one person may run several timers.
    let (status, _) = post(&clockwork, "/start_timer", json!({ "issue_key": "KAN-10" })).await;
    assert_eq!(status, StatusCode::OK);
    let running = clockwork.running_timers();
    assert_eq!(running.len(), 2);
    assert!(running[0].id < running[1].id);
}

#[tokio::test]
async fn start_timer_on_an_unknown_issue_is_422() {
    let clockwork = clockwork().await;
    let (status, body) = post(&clockwork, "/start_timer", json!({ "issue_key": "KAN-99" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, json!({ "messages": [{ "body": "Issue KAN-99 not found" }] }));
}

#[tokio::test]
async fn stop_without_running_timer_is_422() {
    let clockwork = clockwork().await;
    // Liam's timer on the same issue is not Mai's to stop.
    clockwork.add_timer(FakeTimer::running("KAN-9", "10009", LIAM, Utc::now()));
    let (status, body) = post(&clockwork, "/stop_timer", json!({ "issue_key": "KAN-9" })).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body, json!({ "messages": [{ "body": "There is no running timer for KAN-9" }] }));
    assert_eq!(clockwork.running_timers().len(), 1);
}

#[tokio::test]
async fn stopping_a_timer_finishes_it_and_logs_the_time() {
    let clockwork = clockwork().await;
    let begun = Utc::now() - Duration::minutes(90);
    let id = clockwork.add_timer(FakeTimer::running("KAN-9", "10009", MAI, begun));
    let (status, body) = post(&clockwork, "/stop_timer", json!({ "issue_key": "kan-9" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["messages"][0]["title"], "Timer stopped");
    assert!(clockwork.running_timers().iter().all(|t| t.id != id));
    let worklogs = clockwork.worklogs();
    assert_eq!(worklogs.len(), 1);
    assert_eq!((worklogs[0].issue_id.as_str(), worklogs[0].account_id.as_str()), ("10009", MAI));
    assert!((5400..5460).contains(&worklogs[0].time_spent_seconds));
}

#[tokio::test]
async fn timers_render_as_the_report_apps_raw_timers() {
    let begun = Utc::now() - Duration::seconds(754);
    let timer =
        FakeTimer { id: 123, worklog_count: 2, ..FakeTimer::running("KAN-9", "10009", MAI, begun) };
    let raw = timer.to_raw_json(begun + Duration::seconds(754));
    assert_eq!(raw["id"], 123);
    assert_eq!(raw["finished_at"], Value::Null);
    assert_eq!(raw["running_for"], MAI);
    assert_eq!(raw["issue"], json!({ "key": "KAN-9", "id": 10009 }));
    assert_eq!(raw["till_now"], 754);
    assert_eq!(raw["worklog_count"], 2);
    assert!(raw.get("author").is_none());
    for field in [
        "started_at",
        "error_messages",
        "comment",
        "started_within_working_hours",
        "within_working_hours",
    ] {
        assert!(raw.get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn endpoints_are_counted_without_the_base_path() {
    let clockwork = clockwork().await;
    post(&clockwork, "/start_timer", json!({ "issue_key": "KAN-9" })).await;
    post(&clockwork, "/stop_timer", json!({ "issue_key": "KAN-9" })).await;
    get_worklogs(&clockwork, "starting_at=2026-02-10&ending_at=2026-02-10").await;
    assert_eq!(clockwork.requests("POST /start_timer"), 1);
    assert_eq!(clockwork.requests("POST /stop_timer"), 1);
    assert_eq!(clockwork.requests("GET /worklogs"), 1);
    assert_eq!(clockwork.total_requests(), 3);
}
