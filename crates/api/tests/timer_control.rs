//! `POST /api/timers/start` and `/stop`: forwarded to Clockwork, then the cache catches up.

mod common;

use chrono::Utc;
use clockwork_core::contract::{Author, CachedTimers, Timer, keys};
use clockwork_core::event::TIMERS_SYNC_REQUESTED;
use clockwork_testkit::clockwork::FakeTimer;
use clockwork_testkit::faults::Fault;
use common::{ANN, ANN_EMAIL, BOB, Harness, assert_error, timer};
use http::{Method, StatusCode};
use redis::AsyncCommands;

const START: &str = "POST /start_timer";
const STOP: &str = "POST /stop_timer";

fn register_issues(h: &Harness) {
    h.clockwork.add_issue("10001", "KAN-1", "Login page");
    h.clockwork.add_issue("10002", "KAN-2", "Reports");
}

fn with_email(mut timer: Timer, email: &str) -> Timer {
    timer.author = Some(Author {
        account_id: timer.running_for.clone(),
        email_address: Some(email.into()),
        ..Author::default()
    });
    timer
}

#[tokio::test]
async fn start_runs_a_timer_upstream_and_enqueues_a_sync() {
    let h = Harness::start().await;
    register_issues(&h);
    let (status, body) = h
        .post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"kan-1","comment":"pairing"}"#)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "started");
    assert_eq!(body["issueKey"], "KAN-1");
    let running = h.clockwork.running_timers();
    assert_eq!(running.len(), 1);
    assert_eq!(running[0].running_for, ANN);
    let events = h.enqueued().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["name"], TIMERS_SYNC_REQUESTED);
    assert_eq!(events[0]["id"], body["syncRunId"]);
}

#[tokio::test]
async fn starting_twice_on_one_issue_is_409_timer_invalid_state() {
    let h = Harness::start().await;
    register_issues(&h);
    h.post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    let answer = h.post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_error(&answer, StatusCode::CONFLICT, "TIMER_INVALID_STATE");
}

#[tokio::test]
async fn stopping_without_a_running_timer_is_409() {
    let h = Harness::start().await;
    register_issues(&h);
    let answer = h.post("/api/timers/stop", Some(&h.ann()), r#"{"issueKey":"KAN-2"}"#).await;
    assert_error(&answer, StatusCode::CONFLICT, "TIMER_INVALID_STATE");
    assert!(answer.1["message"].as_str().unwrap().contains("KAN-2"));
}

#[tokio::test]
async fn stop_removes_user_from_every_key() {
    let h = Harness::start().await;
    register_issues(&h);
    h.clockwork.add_timer(FakeTimer::running("KAN-1", "10001", ANN, Utc::now()));
    let ann = with_email(timer(1, ANN, "KAN-1"), ANN_EMAIL);
    let bob = timer(2, BOB, "KAN-2");
    h.seed_timers(ANN, vec![ann.clone()]).await;
    h.seed_timers(ANN_EMAIL, vec![ann.clone()]).await;
    h.seed_timers("all", vec![ann, bob]).await;
    let mut redis = h.redis.connection().await;
    let _: () = redis.sadd(keys::ACTIVE_USERS, &[ANN, BOB]).await.unwrap();

    let (status, body) =
        h.post("/api/timers/stop", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(h.clockwork.running_timers().is_empty());
    assert_eq!(h.redis.get(&keys::timers(ANN)).await, None);
    assert_eq!(h.redis.get(&keys::timers(ANN_EMAIL)).await, None);
    let all: CachedTimers =
        serde_json::from_str(&h.redis.get(keys::TIMERS_ALL).await.unwrap()).unwrap();
    assert_eq!(all.timers.iter().map(|t| t.running_for.as_str()).collect::<Vec<_>>(), [BOB]);
    let active: Vec<String> = redis.smembers(keys::ACTIVE_USERS).await.unwrap();
    assert_eq!(active, [BOB]);
    assert_eq!(h.enqueued().await.len(), 1, "a sync refreshes the cache afterwards");
}

#[tokio::test]
async fn stop_keeps_the_users_other_running_timers() {
    let h = Harness::start().await;
    register_issues(&h);
    h.clockwork.add_timer(FakeTimer::running("KAN-1", "10001", ANN, Utc::now()));
    h.seed_timers(ANN, vec![timer(1, ANN, "KAN-1"), timer(2, ANN, "KAN-2")]).await;
    let mut redis = h.redis.connection().await;
    let _: () = redis.sadd(keys::ACTIVE_USERS, ANN).await.unwrap();

    let (status, _) =
        h.post("/api/timers/stop", Some(&h.ann()), r#"{"issueKey":"KAN-1","timerId":1}"#).await;
    assert_eq!(status, StatusCode::OK);
    let left: CachedTimers =
        serde_json::from_str(&h.redis.get(&keys::timers(ANN)).await.unwrap()).unwrap();
    assert_eq!(left.timers.iter().map(|t| t.id).collect::<Vec<_>>(), [2]);
    assert!(h.redis.ttl(&keys::timers(ANN)).await > 590);
    let active: Vec<String> = redis.smembers(keys::ACTIVE_USERS).await.unwrap();
    assert_eq!(active, [ANN]);
}

#[tokio::test]
async fn stopping_for_another_account_is_forbidden() {
    let h = Harness::start().await;
    let answer = h
        .post(
            "/api/timers/stop",
            Some(&h.ann()),
            &format!(r#"{{"issueKey":"KAN-1","accountId":"{BOB}"}}"#),
        )
        .await;
    assert_error(&answer, StatusCode::FORBIDDEN, "FORBIDDEN");
    assert_eq!(h.clockwork.total_requests(), 0);
}

#[tokio::test]
async fn a_comment_is_limited_in_characters_not_bytes() {
    let h = Harness::start().await;
    register_issues(&h);
    // 10 000 characters of two bytes each: at the limit, not over it.
    let body = serde_json::json!({ "issueKey": "KAN-1", "comment": "ệ".repeat(10_000) });
    let (status, answer) = h.post("/api/timers/start", Some(&h.ann()), &body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let body = serde_json::json!({ "issueKey": "KAN-2", "comment": "x".repeat(10_001) });
    let answer = h.post("/api/timers/start", Some(&h.ann()), &body.to_string()).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
}

#[tokio::test]
async fn a_timer_id_written_with_a_decimal_point_is_still_that_timer() {
    let h = Harness::start().await;
    register_issues(&h);
    h.seed_timers(ANN, vec![timer(7, ANN, "KAN-1")]).await;
    let body = r#"{"issueKey":"KAN-1","timerId":7.0}"#;
    h.post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    let (status, answer) = h.post("/api/timers/stop", Some(&h.ann()), body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, active) = h.get("/api/timers/active", Some(&h.ann())).await;
    assert_eq!(active["timers"], serde_json::json!([]), "timer 7 is forgotten at once");
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_field() {
    let h = Harness::start().await;
    for (path, body, code, needle) in [
        ("/api/timers/start", "", "INVALID_JSON", "JSON object"),
        ("/api/timers/start", "{\"issueKey\":", "INVALID_JSON", "not valid JSON"),
        ("/api/timers/start", "[1]", "INVALID_JSON", "JSON object"),
        ("/api/timers/start", "{}", "INVALID_INPUT", "`issueKey` is required"),
        ("/api/timers/start", r#"{"issueKey":9}"#, "INVALID_INPUT", "`issueKey` must be a string"),
        ("/api/timers/start", r#"{"issueKey":"../KAN-1"}"#, "INVALID_INPUT", "`issueKey`"),
        ("/api/timers/start", r#"{"issueKey":"KAN%2F1"}"#, "INVALID_INPUT", "`issueKey`"),
        ("/api/timers/start", r#"{"issueKey":"KAN-1","comment":3}"#, "INVALID_INPUT", "`comment`"),
        ("/api/timers/stop", r#"{"issueKey":"KAN-1","timerId":"x"}"#, "INVALID_INPUT", "`timerId`"),
        (
            "/api/timers/stop",
            r#"{"issueKey":"KAN-1","accountId":"a b"}"#,
            "INVALID_INPUT",
            "`accountId`",
        ),
    ] {
        let answer = h.post(path, Some(&h.ann()), body).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, code);
        assert!(answer.1["message"].as_str().unwrap().contains(needle), "{body}: {}", answer.1);
    }
    assert_eq!(h.clockwork.total_requests(), 0);
}

#[tokio::test]
async fn a_rejected_clockwork_token_is_401() {
    let h = Harness::start().await;
    let mut request = common::request(
        Method::POST,
        "/api/timers/start",
        Some(&h.ann()),
        r#"{"issueKey":"KAN-1"}"#,
    );
    request.headers_mut().insert("x-clockwork-token", "stolen-or-typoed".parse().unwrap());
    let (status, body, _) = h.send(request).await;
    assert_error(&(status, body), StatusCode::UNAUTHORIZED, "CLOCKWORK_UNAUTHORIZED");
}

#[tokio::test]
async fn start_and_stop_are_never_retried_blindly() {
    let h = Harness::start().await;
    register_issues(&h);
    h.clockwork.inject(START, Fault::Status(500), 1);
    let answer = h.post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_UNAVAILABLE");
    assert_eq!(h.clockwork.requests(START), 1);

    h.clockwork.inject(STOP, Fault::RateLimited { retry_after_secs: 1 }, 1);
    let answer = h.post("/api/timers/stop", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_error(&answer, StatusCode::TOO_MANY_REQUESTS, "UPSTREAM_RATE_LIMITED");
    assert_eq!(h.clockwork.requests(STOP), 1);

    h.clockwork.inject(START, Fault::Delay(std::time::Duration::from_secs(3)), 1);
    let answer = h.post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "UPSTREAM_UNAVAILABLE");
    assert_eq!(h.clockwork.requests(START), 2);
}
