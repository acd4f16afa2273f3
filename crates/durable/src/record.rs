//! The run record: status, per-step timings and the error, kept for a week.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Run records and step memos live under `run:<id>:…`.
pub const RECORD_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
pub const MEMO_TTL: Duration = Duration::from_secs(24 * 3600);

pub fn record_key(run_id: &str) -> String {
    format!("run:{run_id}:record")
}

pub fn memo_key(run_id: &str, step: &str) -> String {
    format!("run:{run_id}:step:{step}")
}

pub fn lease_key(run_id: &str) -> String {
    format!("run:{run_id}:lease")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    /// Out of time with work left: a continuation is on the queue.
    Continuing,
    /// Failed with a retryable error; the message will be delivered again.
    Retrying,
    Completed,
    Failed,
}

impl RunStatus {
    /// A finished run is acknowledged on redelivery with no effects.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepRecord {
    pub name: String,
    /// `done`, `memoized` (replayed from an earlier attempt) or `failed`.
    pub status: String,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunError {
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: String,
    pub function: String,
    pub event: String,
    pub status: RunStatus,
    /// Attempts so far, this one included.
    pub attempts: u32,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The steps of the latest attempt, in order.
    pub steps: Vec<StepRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<serde_json::Value>,
}
