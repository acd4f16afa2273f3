//! The one JSON POST of the webhook channels and how its answer is classified: 2xx delivered;
//! 429, 5xx and network failures retryable; any other status permanent. The reason carries the
//! status and the receiver's body (Slack answers `invalid_payload`, `no_service`, …), never the
//! URL: a webhook URL is a credential.

use std::time::Duration;

use clockwork_core::error::cause_chain;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use crate::NotifyError;

/// Longest a webhook POST may take, body included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an error body goes into a reason.
const BODY_LIMIT: usize = 300;

/// An HTTP client for the webhook channels (installs the process's TLS provider first).
pub fn http_client() -> Result<reqwest::Client, NotifyError> {
    clockwork_core::tls::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(TIMEOUT)
        .build()
        .map_err(|error| {
            NotifyError::permanent(
                "notify",
                clockwork_core::tls::setup_failure("notifications", &error.without_url()),
            )
        })
}

pub(crate) async fn post_json(
    channel: &'static str,
    http: &reqwest::Client,
    url: &SecretString,
    body: &serde_json::Value,
) -> Result<(), NotifyError> {
    let response =
        http.post(url.expose_secret()).timeout(TIMEOUT).json(body).send().await.map_err(
            |error| {
                let reason = cause_chain(&error.without_url());
                NotifyError::retryable(channel, format!("request failed: {reason}"))
            },
        )?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let text = response.text().await.unwrap_or_default();
    Err(classify(channel, status, &text))
}

/// The failure a non-2xx answer means.
pub(crate) fn classify(channel: &'static str, status: StatusCode, body: &str) -> NotifyError {
    let body: String = body.trim().chars().take(BODY_LIMIT).collect();
    let reason =
        if body.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {body}") };
    let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
    NotifyError { channel, reason, retryable }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_and_server_errors_are_retryable_other_client_errors_are_not() {
        let limited = classify("slack", StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        assert!(limited.retryable);
        assert_eq!(limited.to_string(), "slack: HTTP 429 Too Many Requests: rate_limited");
        assert!(classify("slack", StatusCode::BAD_GATEWAY, "").retryable);
        let invalid = classify("slack", StatusCode::BAD_REQUEST, "invalid_payload\n");
        assert!(!invalid.retryable);
        assert_eq!(invalid.reason, "HTTP 400 Bad Request: invalid_payload");
        assert!(!classify("webhook", StatusCode::NOT_FOUND, "").retryable);
    }
}
