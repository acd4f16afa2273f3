//! `GET /api/runs/{id}` for admins, and the cron trigger guarded by `CRON_SECRET`.

mod common;

use clockwork_core::event::{SCHEDULES_TICK, TIMERS_SYNC_REQUESTED};
use common::{Harness, assert_error, request};
use http::{Method, StatusCode};
use secrecy::SecretString;

const RECORD: &str = r#"{"id":"run-1","function":"sync-active-timers","event":"clockwork/timers.sync.requested","status":"completed","attempts":1,"startedAt":"2026-11-23T08:00:00Z","updatedAt":"2026-11-23T08:00:01Z","steps":[{"name":"acquire-jwt","status":"done","durationMs":3}],"output":{"timers":2}}"#;

#[tokio::test]
async fn admins_read_a_run_record() {
    let h = Harness::start().await;
    h.app.cache.set("run:run-1:record", RECORD, None).await.unwrap();
    let (status, body) = h.get("/api/runs/run-1", Some(&h.admin())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["run"]["status"], "completed");
    assert_eq!(body["run"]["steps"][0]["name"], "acquire-jwt");
    let answer = h.get("/api/runs/run-404", Some(&h.admin())).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "RUN_NOT_FOUND");
    let answer = h.get("/api/runs/run%2A1", Some(&h.admin())).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
}

#[tokio::test]
async fn a_run_id_may_arrive_percent_encoded() {
    let h = Harness::start().await;
    h.app.cache.set("run:tick:42:record", RECORD, None).await.unwrap();
    let (status, body) = h.get("/api/runs/tick%3A42", Some(&h.admin())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let answer = h.get("/api/runs/tick%2F42", Some(&h.admin())).await;
    assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
}

#[tokio::test]
async fn users_may_not_read_run_records() {
    let h = Harness::start().await;
    let answer = h.get("/api/runs/run-1", Some(&h.ann())).await;
    assert_error(&answer, StatusCode::FORBIDDEN, "FORBIDDEN");
}

#[tokio::test]
async fn the_cron_trigger_needs_the_cron_secret() {
    let mut h = Harness::start().await;
    let cron = |secret: Option<&str>| {
        let mut req = request(Method::GET, "/api/cron/timers-sync", None, "");
        if let Some(secret) = secret {
            req.headers_mut().insert("authorization", format!("Bearer {secret}").parse().unwrap());
        }
        req
    };
    let (status, body, _) = h.send(cron(Some("anything"))).await;
    assert_error(&(status, body), StatusCode::SERVICE_UNAVAILABLE, "CRON_NOT_CONFIGURED");

    h.app.cron_secret = Some(SecretString::from("cron-secret-value"));
    let (status, body, _) = h.send(cron(Some("wrong"))).await;
    assert_error(&(status, body), StatusCode::UNAUTHORIZED, "CRON_UNAUTHORIZED");
    let (status, body, _) = h.send(cron(None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let (status, body, _) = h.send(cron(Some("cron-secret-value"))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let events = h.enqueued().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["name"], TIMERS_SYNC_REQUESTED);
}

#[tokio::test]
async fn the_jira_cron_asks_the_worker_for_one_schedule_tick_a_minute() {
    let mut h = Harness::start().await;
    let cron = |secret: &str| {
        let mut req = request(Method::GET, "/api/cron/jira-sync", None, "");
        req.headers_mut().insert("authorization", format!("Bearer {secret}").parse().unwrap());
        req
    };
    h.app.cron_secret = Some(SecretString::from("cron-secret-value"));
    let (status, body, _) = h.send(cron("wrong")).await;
    assert_error(&(status, body), StatusCode::UNAUTHORIZED, "CRON_UNAUTHORIZED");
    assert!(h.enqueued().await.is_empty());

    let (status, body, _) = h.send(cron("cron-secret-value")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let events = h.enqueued().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["name"], SCHEDULES_TICK);
    assert_eq!(events[0]["data"], serde_json::json!({}));
    // The id is the minute: the cron's retries within it are the same run of the worker.
    assert_eq!(events[0]["id"], body["runId"]);
    assert!(body["runId"].as_str().is_some_and(|id| id.starts_with("tick-")), "{body}");
}
