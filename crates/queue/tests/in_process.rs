//! The local runner's channel queue.

use clockwork_core::event::{Event, PROJECT_SYNC_REQUESTED, TIMERS_SYNC_REQUESTED};
use clockwork_queue::in_process::InProcessQueue;
use clockwork_queue::{Queue, QueueError};
use serde_json::json;

#[tokio::test]
async fn in_process_events_arrive_in_order() {
    let (queue, mut receiver) = InProcessQueue::new();
    let events: Vec<Event> = (0..5)
        .map(|n| Event::with_id(PROJECT_SYNC_REQUESTED, format!("run-{n}"), json!({"n": n})))
        .collect();

    for event in &events {
        queue.send(event).await.expect("send");
    }
    drop(queue);

    let mut received = Vec::new();
    while let Some(event) = receiver.recv().await {
        received.push(event);
    }
    assert_eq!(received, events);
}

#[tokio::test]
async fn in_process_send_after_receiver_dropped_is_unavailable() {
    let (queue, receiver) = InProcessQueue::new();
    queue.ping().await.expect("ping while the receiver lives");

    drop(receiver);

    let err = queue.send(&Event::new(TIMERS_SYNC_REQUESTED, json!({}))).await.unwrap_err();
    assert!(matches!(err, QueueError::Unavailable(_)), "{err:?}");
    assert!(matches!(queue.ping().await, Err(QueueError::Unavailable(_))));
}

#[tokio::test(start_paused = true)]
async fn a_delayed_event_arrives_after_its_delay_and_not_before() {
    let (queue, mut receiver) = InProcessQueue::new();
    let later = Event::with_id(PROJECT_SYNC_REQUESTED, "later", json!({}));
    let now = Event::with_id(PROJECT_SYNC_REQUESTED, "now", json!({}));

    queue.send_after(&later, std::time::Duration::from_secs(4)).await.expect("send later");
    queue.send(&now).await.expect("send now");
    let started = tokio::time::Instant::now();

    assert_eq!(receiver.recv().await.expect("first").id, "now");
    assert_eq!(receiver.recv().await.expect("second").id, "later");
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(4));
}
