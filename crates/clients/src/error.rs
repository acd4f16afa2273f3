//! Client failures, classified by what the caller can do about them.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// 401/403: the credentials were refused; retrying will not help.
    #[error("credentials rejected (HTTP {status})")]
    Unauthorized { status: u16 },
    #[error("not found")]
    NotFound,
    /// 422: the request was understood but the current state forbids it.
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// 429 after the allowed retries.
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// 5xx, timeouts, resets: worth retrying later.
    #[error("temporarily unavailable: {0}")]
    Transient(String),
    /// Any other 4xx: our request was wrong; retrying will not help.
    #[error("request rejected (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    /// A response we could not parse.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The process cannot make requests at all (no root certificate for HTTPS could be
    /// loaded): nothing was sent, and retrying will not help until the deployment is fixed.
    #[error("{0}")]
    Setup(String),
}

impl ClientError {
    /// Whether the same request may succeed if sent again later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient(_))
    }
}
