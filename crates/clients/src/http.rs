//! The one place that sends requests and decides about retries.
//!
//! Idempotent requests (GETs, and POSTs that only read, such as a JQL search) are retried
//! on 429, 5xx and network failures, at most [`HttpOptions::max_attempts`] times, waiting
//! what `Retry-After` asks (when it is within [`HttpOptions::max_retry_wait`]) or an
//! exponential back-off with jitter. Requests with side effects (start/stop a timer) are
//! sent once: a timeout there may have taken effect, so only the caller can decide.

use std::time::Duration;

use rand::Rng;
use reqwest::{RequestBuilder, Response, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::ClientError;

/// Timeouts and retry bounds of one client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Whole-request limit, body included.
    pub timeout: Duration,
    /// Attempts of an idempotent request, the first included.
    pub max_attempts: u32,
    /// A `Retry-After` longer than this is not waited for: the caller gets `RateLimited`.
    pub max_retry_wait: Duration,
    /// First back-off step; doubled on each further attempt.
    pub base_backoff: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            max_attempts: 3,
            max_retry_wait: Duration::from_secs(5),
            base_backoff: Duration::from_millis(200),
        }
    }
}

impl HttpOptions {
    pub fn build_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("clockwork-backend/", env!("CARGO_PKG_VERSION")))
            .build()
            // Only a broken TLS backend fails here; the default builder cannot.
            .unwrap_or_default()
    }
}

/// Whether a request may be repeated without changing anything upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    SideEffects,
}

/// Sends the request `build` makes (again on every attempt) and parses a JSON answer.
pub(crate) async fn send_json<T: DeserializeOwned>(
    service: &'static str,
    options: &HttpOptions,
    idempotency: Idempotency,
    build: impl Fn() -> RequestBuilder,
) -> Result<T, ClientError> {
    let body = send(service, options, idempotency, build).await?;
    serde_json::from_slice(&body).map_err(|e| {
        tracing::warn!(service, error = %e, "unparseable response");
        ClientError::Decode(format!("{service} answered with an unexpected shape: {e}"))
    })
}

/// Sends with the retry policy and returns the body of a 2xx answer.
pub(crate) async fn send(
    service: &'static str,
    options: &HttpOptions,
    idempotency: Idempotency,
    build: impl Fn() -> RequestBuilder,
) -> Result<bytes::Bytes, ClientError> {
    let mut attempt = 1;
    loop {
        let error = match build().send().await {
            Ok(response) => match classify(response).await {
                Ok(body) => return Ok(body),
                Err(error) => error,
            },
            Err(error) => transport_error(service, &error),
        };
        let may_retry = idempotency == Idempotency::Idempotent
            && error.is_retryable()
            && attempt < options.max_attempts;
        let wait = match (&error, may_retry) {
            (_, false) => None,
            (ClientError::RateLimited { retry_after: Some(wait) }, true) => {
                (*wait <= options.max_retry_wait).then_some(*wait)
            }
            (_, true) => Some(backoff(options.base_backoff, attempt)),
        };
        let Some(wait) = wait else {
            tracing::warn!(service, attempt, %error, "request failed");
            return Err(error);
        };
        tracing::info!(service, attempt, %error, wait_ms = wait.as_millis() as u64, "retrying");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// Full-jitter exponential back-off: a random wait in [step/2, step].
fn backoff(base: Duration, attempt: u32) -> Duration {
    let step = base.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let millis = step.as_millis().max(2) as u64;
    Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
}

fn transport_error(service: &'static str, error: &reqwest::Error) -> ClientError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not be reached"
    } else {
        "connection failed"
    };
    // The reqwest error may include the URL; no secret is ever in our URLs, but the
    // message stays generic so nothing upstream-specific leaks to callers.
    tracing::debug!(service, error = %error, "transport error");
    ClientError::Transient(format!("{service} {what}"))
}

async fn classify(response: Response) -> Result<bytes::Bytes, ClientError> {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = response.bytes().await.unwrap_or_default();
    if status.is_success() {
        return Ok(body);
    }
    Err(status_error(status, retry_after, &body))
}

/// What a non-2xx status means to the caller; also used for statuses relayed inside a
/// body (Forge's remote fetch).
pub(crate) fn status_error(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ClientError {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ClientError::Unauthorized { status: status.as_u16() }
        }
        StatusCode::NOT_FOUND => ClientError::NotFound,
        StatusCode::UNPROCESSABLE_ENTITY => ClientError::InvalidState(upstream_message(body)),
        StatusCode::TOO_MANY_REQUESTS => ClientError::RateLimited { retry_after },
        s if s.is_server_error() => ClientError::Transient(format!("HTTP {}", s.as_u16())),
        s => ClientError::Rejected { status: s.as_u16(), message: upstream_message(body) },
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let raw = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = raw.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let wait = at.signed_duration_since(chrono::Utc::now()).to_std().unwrap_or_default();
    Some(wait)
}

/// The human part of an upstream error body: Clockwork's `messages[].body`, Jira's
/// `errorMessages` and `errors`; at most 300 characters.
fn upstream_message(body: &[u8]) -> String {
    let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let mut parts: Vec<String> = Vec::new();
    let strings = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    if let Some(messages) = json["messages"].as_array() {
        parts.extend(messages.iter().filter_map(|m| strings(&m["body"])));
    }
    if let Some(messages) = json["errorMessages"].as_array() {
        parts.extend(messages.iter().filter_map(strings));
    }
    if let Some(errors) = json["errors"].as_object() {
        parts.extend(
            errors.iter().map(|(field, m)| format!("{field}: {}", m.as_str().unwrap_or(""))),
        );
    }
    let mut message = parts.join("; ");
    if message.is_empty() {
        message = "no details given".into();
    }
    if let Some((cut, _)) = message.char_indices().nth(300) {
        message.truncate(cut);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = header::HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        headers.insert(header::RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30), "{wait:?}");
        headers.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_grows_and_stays_jittered() {
        let base = Duration::from_millis(100);
        for _ in 0..50 {
            let first = backoff(base, 1);
            let third = backoff(base, 3);
            assert!(first >= Duration::from_millis(50) && first <= base);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
        }
    }

    #[test]
    fn upstream_messages_come_from_either_services_error_shape() {
        let clockwork = br#"{"messages":[{"body":"There is no running timer for KAN-9"}]}"#;
        assert_eq!(upstream_message(clockwork), "There is no running timer for KAN-9");
        let jira = br#"{"errorMessages":["Bad JQL"],"errors":{"jql":"unbounded"}}"#;
        assert_eq!(upstream_message(jira), "Bad JQL; jql: unbounded");
        assert_eq!(upstream_message(b"<html>"), "no details given");
    }
}
