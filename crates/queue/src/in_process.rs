//! The local runner's queue: an unbounded channel from the route handlers to the in-process
//! worker. Unbounded because producers are request handlers that must not wait on the worker;
//! the sync route's run-id dedup keeps the backlog small.

use std::time::Duration;

use async_trait::async_trait;
use clockwork_core::event::Event;
use tokio::sync::mpsc;

use crate::{Queue, QueueError};

#[derive(Debug, Clone)]
pub struct InProcessQueue {
    sender: mpsc::UnboundedSender<Event>,
}

/// The worker's end; dropping it makes every later send fail.
#[derive(Debug)]
pub struct Receiver(mpsc::UnboundedReceiver<Event>);

impl InProcessQueue {
    pub fn new() -> (Self, Receiver) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, Receiver(receiver))
    }
}

impl Receiver {
    /// The next event in send order; `None` once every queue handle is dropped and the
    /// backlog is drained.
    pub async fn recv(&mut self) -> Option<Event> {
        self.0.recv().await
    }
}

const WORKER_GONE: &str = "the in-process worker has stopped";

#[async_trait]
impl Queue for InProcessQueue {
    /// A delayed event waits in a task of its own; it is lost if the runner stops first,
    /// as everything else in this queue is.
    async fn send_after(&self, event: &Event, delay: Duration) -> Result<(), QueueError> {
        if self.sender.is_closed() {
            return Err(QueueError::Unavailable(WORKER_GONE.to_owned()));
        }
        if delay.is_zero() {
            return self
                .sender
                .send(event.clone())
                .map_err(|_| QueueError::Unavailable(WORKER_GONE.to_owned()));
        }
        let (sender, event) = (self.sender.clone(), event.clone());
        tokio::spawn(async move {
            tokio::time::sleep(delay.min(crate::MAX_DELAY)).await;
            if sender.send(event).is_err() {
                tracing::warn!("a delayed event found the in-process worker stopped");
            }
        });
        Ok(())
    }

    async fn ping(&self) -> Result<(), QueueError> {
        if self.sender.is_closed() {
            return Err(QueueError::Unavailable(WORKER_GONE.to_owned()));
        }
        Ok(())
    }
}
