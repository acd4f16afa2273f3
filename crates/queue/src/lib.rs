//! The job-queue port.
//!
//! - [`Queue`]: send one [`Event`] (the architecture's `{ name, id, data }` envelope).
//! - [`sqs`]: Amazon SQS through `aws-sdk-sqs` (`AWS_ENDPOINT_URL` for local servers).
//! - [`sdk_http`]: the SDK's requests sent by reqwest (rustls over *ring*), not by the
//!   SDK's own HTTP/2-capable client.
//! - [`in_process`]: a channel inside the local runner.
//!
//! [`from_config`] picks the backend named by [`QueueConfig`]; building one does no I/O.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use clockwork_core::config::QueueConfig;
use clockwork_core::event::Event;

pub mod in_process;
pub mod sdk_http;
pub mod sqs;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue unreachable: {0}")]
    Unavailable(String),
    #[error("queue rejected the message: {0}")]
    Rejected(String),
}

/// The queue port: producers only send; consumers are the worker's entry points.
#[async_trait]
pub trait Queue: Send + Sync + Debug {
    async fn send(&self, event: &Event) -> Result<(), QueueError>;

    /// Checks the queue answers (health route).
    async fn ping(&self) -> Result<(), QueueError>;
}

/// Builds the backend the configuration names. The in-process backend's receiving end is
/// returned beside it so the local runner can consume it.
pub fn from_config(config: &QueueConfig) -> (Arc<dyn Queue>, Option<in_process::Receiver>) {
    match config {
        QueueConfig::Sqs { queue_url, region, endpoint_url } => {
            let queue = sqs::SqsQueue::new(queue_url, region.as_deref(), endpoint_url.as_deref());
            (Arc::new(queue), None)
        }
        QueueConfig::InProcess => {
            let (queue, receiver) = in_process::InProcessQueue::new();
            (Arc::new(queue), Some(receiver))
        }
    }
}
