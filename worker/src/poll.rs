//! The long-polling worker for hosts without Lambda: the same handling as a Lambda batch.

use std::future::Future;

use clockwork_durable::Engine;
use clockwork_queue::sqs::SqsQueue;
use tracing::Instrument;

use crate::batch::{Disposition, disposition};

/// Receives and handles messages until `shutdown` resolves; a batch being handled when it
/// does is finished first, so no work is cut off halfway.
pub async fn run(engine: &Engine, queue: &SqsQueue, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let received = tokio::select! {
            () = &mut shutdown => break,
            received = queue.receive(10, 20) => received,
        };
        let messages = match received {
            Ok(messages) => messages,
            Err(error) => {
                tracing::warn!(%error, "receive failed; retrying in 5 s");
                tokio::select! {
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(std::time::Duration::from_secs(5)) => continue,
                }
            }
        };
        for message in messages {
            let span = tracing::info_span!("message", message_id = %message.message_id);
            async {
                let outcome = engine.handle_body(&message.body, None).await;
                let result = match disposition(&outcome, message.receive_count) {
                    Disposition::Delete => queue.delete(&message.receipt_handle).await,
                    Disposition::RetryAfter(delay) => {
                        let seconds = i32::try_from(delay.as_secs()).unwrap_or(i32::MAX);
                        queue.change_visibility(&message.receipt_handle, seconds).await
                    }
                };
                if let Err(error) = result {
                    tracing::warn!(%error, "could not settle the message; SQS will redeliver it");
                }
            }
            .instrument(span)
            .await;
        }
    }
    tracing::info!("worker stopped");
}
