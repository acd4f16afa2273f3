//! `GET /api/worklogs`: a user's worklogs for a day or a range, with issue names.

mod common;

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use clockwork_core::contract::CachedJiraUser;
use clockwork_testkit::clockwork::FakeWorklog;
use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::FakeIssue;
use common::{ANN, BOB, BOB_CLOCKWORK_TOKEN, Harness, assert_error};
use http::{Method, StatusCode};

const SEARCH: &str = "POST /rest/api/3/search/jql";
const WORKLOGS: &str = "GET /worklogs";

fn at(timestamp: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(timestamp).unwrap()
}

/// Ann logged 5 worklogs on 2026-02-10 across 4 issues, and one the day after.
fn seed(h: &Harness) {
    for n in 1..=4 {
        h.jira.add_issue(FakeIssue::new(
            &format!("1000{n}"),
            &format!("KAN-{n}"),
            &format!("Issue {n}"),
        ));
    }
    for (id, issue, started, secs) in [
        ("1", "10001", "2026-02-10T09:00:00+07:00", 1800),
        ("2", "10002", "2026-02-10T10:00:00+07:00", 600),
        ("3", "10003", "2026-02-10T11:00:00+07:00", 3600),
        ("4", "10004", "2026-02-10T12:00:00+07:00", 60),
        ("5", "10001", "2026-02-10T13:00:00+07:00", 1200),
        ("6", "10002", "2026-02-11T09:00:00+07:00", 900),
    ] {
        h.clockwork.add_worklog(FakeWorklog::new(id, issue, ANN, at(started), secs));
    }
}

#[tokio::test]
async fn a_days_worklogs_have_a_total_and_issue_names() {
    let h = Harness::start().await;
    seed(&h);
    let (status, body) = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1800 + 600 + 3600 + 60 + 1200);
    assert_eq!(body["date"], "2026-02-10");
    assert_eq!(body["accountId"], ANN);
    let worklogs = body["worklogs"].as_array().unwrap();
    assert_eq!(worklogs.len(), 5);
    let first = worklogs.iter().find(|w| w["id"] == 1).unwrap();
    assert_eq!(first["issueId"], 10001);
    assert_eq!(first["issueKey"], "KAN-1");
    assert_eq!(first["issueName"], "Issue 1");
    assert_eq!(first["projectName"], "Kanban Team");
    assert_eq!(first["timeSpentSeconds"], 1800);
    assert_eq!(first["author"]["accountId"], ANN);
}

#[tokio::test]
async fn a_range_includes_both_ends() {
    let h = Harness::start().await;
    seed(&h);
    let (status, body) = h.get("/api/worklogs?date=2026-02-10&to=2026-02-11", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["worklogs"].as_array().unwrap().len(), 6);
    assert_eq!(body["to"], "2026-02-11");
}

#[tokio::test]
async fn missing_issues_are_fetched_in_one_batched_search_then_cached() {
    let h = Harness::start().await;
    seed(&h);
    h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_eq!(h.jira.requests(SEARCH), 1);
    assert_eq!(h.jira.requests("GET /rest/api/3/issue/{issueIdOrKey}"), 0);
    assert!(h.redis.ttl("jira:issue:10003").await > 86_000);
    let (status, body) = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["worklogs"][0]["projectName"], "Kanban Team");
    assert_eq!(h.jira.requests(SEARCH), 1, "the second read is served from the cache");
}

#[tokio::test]
async fn jira_failing_still_answers_the_worklogs_without_names() {
    let h = Harness::start().await;
    seed(&h);
    h.jira.inject(SEARCH, Fault::Status(500), 3);
    let (status, body) = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["worklogs"].as_array().unwrap().len(), 5);
    assert!(body["worklogs"][0].get("issueKey").is_none());
}

#[tokio::test]
async fn bad_dates_and_ranges_are_400_naming_the_field() {
    let h = Harness::start().await;
    for (query, field) in [
        ("date=tomorrow", "date"),
        ("tz=Mars%2FOlympus", "tz"),
        ("date=today&tz=UTC%2B7", "tz"),
        ("date=2026-02-30", "date"),
        ("date=10-02-2026", "date"),
        ("date=2026-02-10&to=2026-02-09", "to"),
        ("date=2026-01-01&to=2026-02-01", "to"),
        ("date=2026-01-01&to=soon", "to"),
    ] {
        let answer = h.get(&format!("/api/worklogs?{query}"), Some(&h.ann())).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
        assert!(
            answer.1["message"].as_str().unwrap().contains(&format!("`{field}`")),
            "{query}: {}",
            answer.1
        );
    }
    assert_eq!(h.clockwork.total_requests(), 0);
}

#[tokio::test]
async fn another_users_worklogs_are_forbidden() {
    let h = Harness::start().await;
    let answer =
        h.get(&format!("/api/worklogs?accountId={BOB}&date=2026-02-10"), Some(&h.ann())).await;
    assert_error(&answer, StatusCode::FORBIDDEN, "FORBIDDEN");
}

#[tokio::test]
async fn the_callers_own_clockwork_token_is_forwarded() {
    let h = Harness::start_with(None).await;
    h.clockwork.add_worklog(FakeWorklog::new("9", "10001", BOB, at("2026-02-10T09:00:00Z"), 60));
    let token = h.token(BOB, None, clockwork_api::auth::Role::User);
    let mut request =
        common::request(Method::GET, "/api/worklogs?date=2026-02-10", Some(&token), "");
    request.headers_mut().insert("x-clockwork-token", BOB_CLOCKWORK_TOKEN.parse().unwrap());
    let (status, body, _) = h.send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 60);
    let answer = h.get("/api/worklogs?date=2026-02-10", Some(&token)).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "CLOCKWORK_TOKEN_MISSING");
}

#[tokio::test]
async fn clockwork_rejecting_the_token_is_401() {
    let h = Harness::start().await;
    h.clockwork.inject(WORKLOGS, Fault::Status(401), 1);
    let answer = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "CLOCKWORK_UNAUTHORIZED");
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_then_answered() {
    let h = Harness::start().await;
    seed(&h);
    h.clockwork.inject(WORKLOGS, Fault::RateLimited { retry_after_secs: 1 }, 1);
    let started = std::time::Instant::now();
    let (status, body) = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(h.clockwork.requests(WORKLOGS), 2);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1), "Retry-After was honoured");
}

#[tokio::test]
async fn a_long_rate_limit_is_passed_on_as_429() {
    let h = Harness::start().await;
    h.clockwork.inject(WORKLOGS, Fault::RateLimited { retry_after_secs: 60 }, 1);
    let answer = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "UPSTREAM_RATE_LIMITED");
    assert!(answer.1["message"].as_str().unwrap().contains("60 s"));
    assert_eq!(h.clockwork.requests(WORKLOGS), 1);
}

#[tokio::test]
async fn upstream_errors_and_timeouts_are_503_after_bounded_retries() {
    let h = Harness::start().await;
    h.clockwork.inject(WORKLOGS, Fault::Status(500), 3);
    let answer = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_UNAVAILABLE");
    assert_eq!(h.clockwork.requests(WORKLOGS), 3);

    h.clockwork.inject(WORKLOGS, Fault::Delay(std::time::Duration::from_secs(3)), 3);
    let answer = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_UNAVAILABLE");
    assert!(answer.1["message"].as_str().unwrap().contains("timed out"));
}

fn today_in(zone: Tz) -> chrono::NaiveDate {
    Utc::now().with_timezone(&zone).date_naive()
}

#[tokio::test]
async fn without_a_date_the_day_is_today_in_the_tz_parameter() {
    let h = Harness::start().await;
    for zone in [Tz::Pacific__Kiritimati, Tz::Pacific__Pago_Pago] {
        let path = format!("/api/worklogs?tz={}", zone.name());
        let (status, body) = h.get(&path, Some(&h.ann())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["date"], today_in(zone).to_string(), "{zone}");
        let (_, body) = h.get(&format!("{path}&date=yesterday"), Some(&h.ann())).await;
        assert_eq!(body["date"], (today_in(zone) - Days::new(1)).to_string(), "{zone}");
        let (_, body) = h.get(&format!("{path}&date=today"), Some(&h.ann())).await;
        assert_eq!(body["date"], today_in(zone).to_string(), "{zone}");
    }
    assert_eq!(h.jira.requests("GET /rest/api/3/user"), 0, "the parameter needs no lookup");
}

#[tokio::test]
async fn without_tz_today_is_in_the_jira_users_zone_cached_or_asked() {
    let h = Harness::start().await;
    h.jira.update_user(ANN, |user| user.time_zone = "Pacific/Kiritimati".into());
    let (status, body) = h.get("/api/worklogs", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["date"], today_in(Tz::Pacific__Kiritimati).to_string());
    let cached: CachedJiraUser =
        serde_json::from_str(&h.redis.get(&format!("jira:user:{ANN}")).await.unwrap()).unwrap();
    assert_eq!(cached.time_zone.as_deref(), Some("Pacific/Kiritimati"));
    h.get("/api/worklogs", Some(&h.ann())).await;
    assert_eq!(h.jira.requests("GET /rest/api/3/user"), 1, "the second day comes from the cache");

    let (_, body) = h.get("/api/worklogs?accountId=acc-nobody", Some(&h.admin())).await;
    assert_eq!(body["date"], today_in(Tz::UTC).to_string(), "an unknown user's day is UTC's");
}

#[tokio::test]
async fn worklog_ids_are_answered_as_numbers() {
    let h = Harness::start().await;
    seed(&h);
    let (status, body) = h.get("/api/worklogs?date=2026-02-10", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["worklogs"][0]["id"], 1);
    assert_eq!(body["worklogs"][0]["issueId"], 10001);
}
