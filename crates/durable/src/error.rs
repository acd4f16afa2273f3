//! How a step failed, classified by what should happen next.

use std::fmt;

/// A step's failure. Retryable ones leave the message for redelivery with back-off;
/// permanent ones (bad credentials, a malformed event) end the run with advice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct StepError {
    pub retryable: bool,
    /// A stable machine code, e.g. `SESSION_EXPIRED`.
    pub code: String,
    /// What happened and what to do about it; safe to log and to show an admin.
    pub message: String,
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl StepError {
    pub fn retryable(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { retryable: true, code: code.into(), message: message.into() }
    }

    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { retryable: false, code: code.into(), message: message.into() }
    }

    /// The cache failed under the engine or a step: always worth another try.
    pub fn cache(error: &clockwork_cache::CacheError) -> Self {
        Self::retryable("CACHE_UNAVAILABLE", error.to_string())
    }
}
