//! The in-process queue of `clockwork-local`: the same engine and retry rules as SQS.

use std::collections::HashMap;
use std::sync::Arc;

use clockwork_durable::Engine;
use clockwork_durable::backoff::redelivery_delay;
use clockwork_queue::Queue;
use clockwork_queue::in_process::Receiver;

use crate::MAX_RECEIVES;

/// Handles events as they arrive; a retryable failure is sent again after the back-off,
/// at most [`MAX_RECEIVES`] deliveries in all, then dropped with an error (the local
/// stand-in for the dead-letter queue).
pub async fn consume(engine: Arc<Engine>, mut receiver: Receiver, queue: Arc<dyn Queue>) {
    let mut deliveries: HashMap<String, u32> = HashMap::new();
    while let Some(event) = receiver.recv().await {
        let delivery = deliveries.entry(event.id.clone()).or_insert(0);
        *delivery += 1;
        let count = *delivery;
        let outcome = engine.handle(&event).await;
        if !outcome.should_retry() {
            deliveries.remove(&event.id);
            continue;
        }
        if count >= MAX_RECEIVES {
            tracing::error!(run_id = %event.id, deliveries = count, ?outcome, "giving up on the event");
            deliveries.remove(&event.id);
            continue;
        }
        let queue = queue.clone();
        let delay = redelivery_delay(count);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Err(error) = queue.send(&event).await {
                tracing::warn!(%error, "could not re-enqueue the event");
            }
        });
    }
}
