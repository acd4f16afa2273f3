//! The job-queue port.
//!
//! - [`Queue`]: send one [`Event`] (the architecture's `{ name, id, data }` envelope).
//! - [`sqs`]: Amazon SQS (`AWS_ENDPOINT_URL` for local servers): [`sqs::SqsSender`], the
//!   producers' small SigV4-signed client that the deployed routes link, and
//!   [`sqs::SqsQueue`], `aws-sdk-sqs` for the worker, which also receives and deletes.
//! - [`sdk_http`]: the SDK's requests sent by reqwest (rustls over *ring*), not by the
//!   SDK's own HTTP/2-capable client.
//! - [`in_process`]: a channel inside the local runner.
//!
//! [`from_config`] picks the producer named by [`QueueConfig`]; building one does no I/O.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use clockwork_core::config::QueueConfig;
use clockwork_core::event::Event;

pub mod in_process;
pub mod sdk_http;
pub mod sqs;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Down, throttled or out of reach: a later try may succeed.
    #[error("queue unreachable: {0}")]
    Unavailable(String),
    /// Refused (no such queue, a bad request): trying again cannot help.
    #[error("queue rejected the message: {0}")]
    Rejected(String),
    /// This process cannot reach the queue as configured (no credentials): trying again
    /// cannot help until the deployment is fixed.
    #[error("queue not configured: {0}")]
    Misconfigured(String),
}

/// The longest a message may wait before it is delivered (SQS's `DelaySeconds` maximum).
pub const MAX_DELAY: Duration = Duration::from_secs(900);

/// The queue port: producers only send; consumers are the worker's entry points.
#[async_trait]
pub trait Queue: Send + Sync + Debug {
    /// Sends `event` for delivery at once.
    async fn send(&self, event: &Event) -> Result<(), QueueError> {
        self.send_after(event, Duration::ZERO).await
    }

    /// Sends `event` for delivery once `delay` has passed (at most [`MAX_DELAY`]; SQS
    /// rounds it up to whole seconds).
    async fn send_after(&self, event: &Event, delay: Duration) -> Result<(), QueueError>;

    /// Checks the queue answers (health route).
    async fn ping(&self) -> Result<(), QueueError>;
}

/// Builds the producer the configuration names: for SQS the [`sqs::SqsSender`], so that a
/// binary calling this links no AWS SDK. The in-process backend's receiving end is
/// returned beside it so the local runner can consume it.
pub fn from_config(config: &QueueConfig) -> (Arc<dyn Queue>, Option<in_process::Receiver>) {
    match config {
        QueueConfig::Sqs { queue_url, region, endpoint_url } => {
            let queue =
                sqs::SqsSender::from_env(queue_url, region.as_deref(), endpoint_url.as_deref());
            (Arc::new(queue), None)
        }
        QueueConfig::InProcess => {
            let (queue, receiver) = in_process::InProcessQueue::new();
            (Arc::new(queue), Some(receiver))
        }
    }
}
