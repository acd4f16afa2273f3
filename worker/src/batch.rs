//! One SQS batch, as Lambda delivers it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use clockwork_durable::backoff::redelivery_delay;
use clockwork_durable::{Engine, Outcome};
use clockwork_queue::sqs::SqsQueue;
use tracing::Instrument;

/// What becomes of a message after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Done, already done, or failed for good: remove it from the queue.
    Delete,
    /// Leave it on the queue, invisible for this long.
    RetryAfter(Duration),
}

pub fn disposition(outcome: &Outcome, receive_count: u32) -> Disposition {
    if outcome.should_retry() {
        Disposition::RetryAfter(redelivery_delay(receive_count))
    } else {
        Disposition::Delete
    }
}

/// The instant of a Lambda invocation's deadline (milliseconds since the epoch).
pub fn deadline_from_epoch_ms(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_millis();
    let left = u64::try_from(u128::from(deadline_ms).saturating_sub(now_ms)).unwrap_or(u64::MAX);
    Instant::now() + Duration::from_millis(left)
}

/// Handles every message of a batch before `deadline` (the invocation's end); the answer
/// lists the ones to deliver again. Their visibility is pushed out with back-off (best
/// effort: without it SQS redelivers after the queue's own visibility timeout).
pub async fn handle(
    engine: &Engine,
    queue: Option<&SqsQueue>,
    event: SqsEvent,
    deadline: Option<Instant>,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %id);
        let retry = handle_message(engine, queue, &message, deadline).instrument(span).await;
        if retry {
            response.add_failure(id);
        }
    }
    response
}

/// Returns whether the message must be delivered again.
async fn handle_message(
    engine: &Engine,
    queue: Option<&SqsQueue>,
    message: &SqsMessage,
    deadline: Option<Instant>,
) -> bool {
    let receive_count = message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1);
    let outcome = engine.handle_body(message.body.as_deref().unwrap_or_default(), deadline).await;
    match disposition(&outcome, receive_count) {
        Disposition::Delete => false,
        Disposition::RetryAfter(delay) => {
            if let (Some(queue), Some(handle)) = (queue, message.receipt_handle.as_deref()) {
                let seconds = i32::try_from(delay.as_secs()).unwrap_or(i32::MAX);
                if let Err(error) = queue.change_visibility(handle, seconds).await {
                    tracing::warn!(%error, "could not push the message's visibility out");
                }
            }
            tracing::warn!(receive_count, delay_s = delay.as_secs(), "message left for redelivery");
            true
        }
    }
}
