//! A small durable-step engine: a run is identified by its event's id, a function is an
//! ordered list of named steps, and each step's output is memoized under the run once the
//! step succeeds, so a redelivered message replays finished steps without their effects.
//!
//! - [`error`]: [`StepError`], retryable or not, with a machine code.
//! - [`record`]: [`RunRecord`], what `GET /api/runs/{id}` shows (kept 7 days).
//! - [`context`]: [`RunContext::step`], the memoizing step runner.
//! - [`engine`]: [`Engine`], which finds the function for an event and runs it once.
//! - [`backoff`]: redelivery delays from the receive count.

pub mod backoff;
pub mod context;
pub mod engine;
pub mod error;
pub mod record;

pub use context::RunContext;
pub use engine::{Engine, Function, Outcome, RunEnd};
pub use error::StepError;
pub use record::{RunRecord, RunStatus};
