//! The queue-triggered worker: every way a queued event reaches the durable engine.
//!
//! - [`wiring`]: builds the engine and its functions from configuration, once per process.
//! - [`batch`]: one SQS batch (the Lambda entry): each message in its own span, retryable
//!   failures reported as batch-item failures with their visibility pushed out.
//! - [`poll`]: the long-polling loop for hosts without Lambda; finishes in-flight work on
//!   SIGTERM.
//! - [`local`]: the in-process queue of `clockwork-local`, with the same retry rules.

pub mod batch;
pub mod local;
pub mod poll;
pub mod wiring;

/// Deliveries before a message is given up on; `template.yaml`'s redrive policy uses the
/// same number for the dead-letter queue.
pub const MAX_RECEIVES: u32 = 5;
