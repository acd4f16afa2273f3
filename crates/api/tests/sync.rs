//! `POST /api/timers/sync`: one queued run per burst.

mod common;

use clockwork_core::event::TIMERS_SYNC_REQUESTED;
use common::Harness;
use http::StatusCode;

#[tokio::test]
async fn sync_is_accepted_with_the_run_id_it_enqueued() {
    let h = Harness::start().await;
    let (status, body) = h.post("/api/timers/sync", Some(&h.ann()), "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let events = h.enqueued().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["name"], TIMERS_SYNC_REQUESTED);
    assert_eq!(events[0]["id"], body["runId"]);
}

#[tokio::test]
async fn a_burst_within_ten_seconds_shares_one_run() {
    let h = Harness::start().await;
    let mut run_ids = Vec::new();
    for _ in 0..5 {
        let (status, body) = h.post("/api/timers/sync", Some(&h.ann()), "").await;
        assert_eq!(status, StatusCode::ACCEPTED);
        run_ids.push(body["runId"].as_str().unwrap().to_owned());
    }
    run_ids.dedup();
    assert_eq!(run_ids.len(), 1, "{run_ids:?}");
    assert_eq!(h.enqueued().await.len(), 1);
}

#[tokio::test]
async fn a_lost_enqueue_does_not_hold_the_window() {
    let h = Harness::start().await;
    h.sqs.delete_queue().queue_url(&h.queue_url).send().await.unwrap();
    let (status, body) = h.post("/api/timers/sync", Some(&h.ann()), "").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(h.redis.get("run:timers-sync:window").await, None);
}

/// What the worker writes when it begins a run, before its first step.
async fn begin(h: &Harness, run_id: &str) {
    let record = serde_json::json!({
        "id": run_id, "function": "sync-active-timers", "event": TIMERS_SYNC_REQUESTED,
        "status": "running", "attempts": 1, "startedAt": "2026-11-23T08:00:00Z",
        "updatedAt": "2026-11-23T08:00:00Z", "steps": [],
    });
    let key = clockwork_durable::record::record_key(run_id);
    h.app.cache.set(&key, &record.to_string(), None).await.unwrap();
}

#[tokio::test]
async fn a_timer_started_right_after_a_run_began_gets_a_run_that_fetches_after_it() {
    let h = Harness::start().await;
    let (_, body) = h.post("/api/timers/sync", Some(&h.ann()), "").await;
    let first = body["runId"].as_str().unwrap().to_owned();
    begin(&h, &first).await;

    let start = r#"{"issueKey":"KAN-1"}"#;
    h.clockwork.add_issue("10001", "KAN-1", "Issue 1");
    let (status, body) = h.post("/api/timers/start", Some(&h.ann()), start).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["syncRunId"].as_str().unwrap().to_owned();
    assert_ne!(second, first, "the started run may have fetched already");

    // Until the worker begins the new run, requests join it.
    let (_, body) = h.post("/api/timers/sync", Some(&h.ann()), "").await;
    assert_eq!(body["runId"], second.as_str());
    let events = h.enqueued().await;
    let ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()]);

    // Once it has begun too, a stop gets a third.
    begin(&h, &second).await;
    let (status, body) = h.post("/api/timers/stop", Some(&h.ann()), start).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_ne!(body["syncRunId"], second.as_str());
    assert_eq!(h.enqueued().await.len(), 1);
}

#[tokio::test]
async fn a_timer_started_before_the_run_began_joins_it() {
    let h = Harness::start().await;
    let (_, body) = h.post("/api/timers/sync", Some(&h.ann()), "").await;
    h.clockwork.add_issue("10001", "KAN-1", "Issue 1");
    let (_, started) = h.post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_eq!(started["syncRunId"], body["runId"], "the queued run fetches after the start");
    assert_eq!(h.enqueued().await.len(), 1);
}
