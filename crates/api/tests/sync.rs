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
