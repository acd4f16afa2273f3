//! The one place that sends requests and decides about retries.
//!
//! [`HttpClient`] is the process's HTTP client: built on first use, so a process that never
//! calls out never loads the system's root certificates (about 13 ms for ~290 of them), and
//! shared by every client handed a clone. Building it can fail (no root certificate could be
//! loaded); that is a [`ClientError::Setup`] on each call, never a panic.
//!
//! Idempotent requests (GETs, and POSTs that only read, such as a JQL search) are retried
//! on 429, 5xx and network failures, at most [`HttpOptions::max_attempts`] times, waiting
//! what `Retry-After` asks (when it is within [`HttpOptions::max_retry_wait`]) or an
//! exponential back-off with jitter. Requests with side effects (start/stop a timer) are
//! sent once: a timeout there may have taken effect, so only the caller can decide.
//!
//! Reads sent under a [`Traffic`] (the Jira data client's governor, `crate::traffic`) follow
//! Atlassian's rate-limit conventions besides: a bounded number in flight and a bounded rate,
//! a pause and less concurrency after any answer carrying `X-RateLimit-NearLimit: true`,
//! `Retry-After` (or else `X-RateLimit-Reset`) honoured on 503s as on 429s and by every
//! request of the client; and a 200 carrying
//! `x-seraph-loginreason: AUTHENTICATED_FAILED` is the auth failure it reports, not an empty
//! answer. Their failures keep the status (`Failure`) for finer classification.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rand::Rng;
use reqwest::{RequestBuilder, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::ClientError;
pub(crate) use crate::traffic::Traffic;

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

/// A `reqwest::Client` built on first use with [`HttpOptions`]; clones share it (and its
/// connection pool). Building does no I/O beyond reading the root certificates.
#[derive(Clone)]
pub struct HttpClient {
    options: HttpOptions,
    built: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.built.get() {
            None => "not built yet",
            Some(Ok(_)) => "built",
            Some(Err(_)) => "failed to build",
        };
        f.debug_struct("HttpClient")
            .field("options", &self.options)
            .field("client", &state)
            .finish()
    }
}

impl HttpClient {
    /// Does no work: the client is built by the first request.
    pub fn new(options: HttpOptions) -> Self {
        Self { options, built: Arc::new(OnceLock::new()) }
    }

    /// The client, built now if this is the first call. A failure is kept: what it depends
    /// on (the TLS set-up, the certificate files) does not change while the process runs.
    pub(crate) fn client(&self) -> Result<&reqwest::Client, ClientError> {
        let built = self.built.get_or_init(|| {
            build(&self.options).inspect_err(|error| {
                tracing::error!(%error, "the HTTP client could not be built; calls out will fail");
            })
        });
        built.as_ref().map_err(|error| ClientError::Setup(error.clone()))
    }
}

fn build(options: &HttpOptions) -> Result<reqwest::Client, String> {
    clockwork_core::tls::install_crypto_provider();
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(concat!("clockwork-backend/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| clockwork_core::tls::setup_failure("Jira and Clockwork", &error))
}

/// Whether a request may be repeated without changing anything upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    Idempotent,
    SideEffects,
}

/// Sends the request `build` makes with `http`'s client (again on every attempt) and parses
/// a JSON answer.
pub(crate) async fn send_json<T: DeserializeOwned>(
    service: &'static str,
    http: &HttpClient,
    idempotency: Idempotency,
    build: impl Fn(&reqwest::Client) -> RequestBuilder,
) -> Result<T, ClientError> {
    let body = send(service, http, idempotency, build).await?;
    serde_json::from_slice(&body).map_err(|e| {
        tracing::warn!(service, error = %e, "unparseable response");
        ClientError::Decode(format!("{service} answered with an unexpected shape: {e}"))
    })
}

/// Sends with `http`'s client and retry policy and returns the body of a 2xx answer.
pub(crate) async fn send(
    service: &'static str,
    http: &HttpClient,
    idempotency: Idempotency,
    build: impl Fn(&reqwest::Client) -> RequestBuilder,
) -> Result<bytes::Bytes, ClientError> {
    let client = http.client()?;
    run(service, &http.options, idempotency, None, || build(client))
        .await
        .map_err(|failure| failure.error)
}

/// Sends a read (idempotent) with `http`'s client under `traffic`'s rules, at most
/// `max_attempts` times, and returns the body of a 2xx answer.
pub(crate) async fn send_paced(
    service: &'static str,
    http: &HttpClient,
    max_attempts: u32,
    traffic: &Traffic,
    build: impl Fn(&reqwest::Client) -> RequestBuilder,
) -> Result<bytes::Bytes, Failure> {
    let client =
        http.client().map_err(|error| Failure { error, status: None, retry_after: None })?;
    let options = HttpOptions { max_attempts, ..http.options.clone() };
    run(service, &options, Idempotency::Idempotent, Some(traffic), || build(client)).await
}

/// A failed request, with what a finer classifier needs besides the [`ClientError`].
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: ClientError,
    /// The answer's status, if one came; 200 for a login failure reported in a header.
    pub(crate) status: Option<StatusCode>,
    /// The wait the answer asked for.
    pub(crate) retry_after: Option<Duration>,
}

async fn run(
    service: &'static str,
    options: &HttpOptions,
    idempotency: Idempotency,
    traffic: Option<&Traffic>,
    build: impl Fn() -> RequestBuilder,
) -> Result<bytes::Bytes, Failure> {
    let mut attempt = 1;
    loop {
        let failure = match send_once(service, options, traffic, build()).await {
            Ok(body) => return Ok(body),
            Err(failure) => failure,
        };
        let may_retry = idempotency == Idempotency::Idempotent
            && failure.error.is_retryable()
            && attempt < options.max_attempts;
        let wait = match (failure.retry_after, may_retry) {
            (_, false) => None,
            (Some(wait), true) => (wait <= options.max_retry_wait).then_some(wait),
            (None, true) => Some(backoff(options.base_backoff, attempt)),
        };
        let Some(wait) = wait else {
            tracing::warn!(service, attempt, error = %failure.error, "request failed");
            return Err(failure);
        };
        let error = &failure.error;
        tracing::info!(service, attempt, %error, wait_ms = wait.as_millis() as u64, "retrying");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// One attempt: admission under `traffic`, the request, and what its answer means.
async fn send_once(
    service: &'static str,
    options: &HttpOptions,
    traffic: Option<&Traffic>,
    request: RequestBuilder,
) -> Result<bytes::Bytes, Failure> {
    let _permit = match traffic {
        Some(traffic) => Some(traffic.admit().await),
        None => None,
    };
    let failed = |error| Failure { error, status: None, retry_after: None };
    let response =
        request.send().await.map_err(|error| failed(transport_error(service, &error)))?;
    let status = response.status();
    let headers = response.headers();
    let throttled =
        matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE);
    let (retry_after, login_failed) = match traffic {
        None => (retry_after(headers).filter(|_| status == StatusCode::TOO_MANY_REQUESTS), false),
        Some(traffic) => {
            traffic.observe(headers);
            let wait = retry_after(headers).or_else(|| rate_limit_reset(headers));
            let wait = wait.filter(|_| throttled);
            if let Some(wait) = wait {
                traffic.throttled(wait.min(options.max_retry_wait));
            }
            (wait, status.is_success() && seraph_login_failed(headers))
        }
    };
    let body = match (response.bytes().await, traffic) {
        (Ok(body), _) => body,
        (Err(error), Some(_)) => return Err(failed(transport_error(service, &error))),
        (Err(_), None) => bytes::Bytes::new(),
    };
    if login_failed {
        let error = ClientError::Unauthorized { status: status.as_u16() };
        return Err(Failure { error, status: Some(status), retry_after: None });
    }
    if status.is_success() {
        return Ok(body);
    }
    let error = status_error(status, retry_after, &body);
    Err(Failure { error, status: Some(status), retry_after })
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

/// `X-RateLimit-Reset` (an ISO 8601 time) as a wait from now.
fn rate_limit_reset(headers: &header::HeaderMap) -> Option<Duration> {
    let raw = headers.get("x-ratelimit-reset")?.to_str().ok()?.trim();
    let at = chrono::DateTime::parse_from_rfc3339(raw).ok()?;
    Some(at.signed_duration_since(chrono::Utc::now()).to_std().unwrap_or_default())
}

/// Jira's way of saying that the credentials were not accepted on an answer that looks fine.
fn seraph_login_failed(headers: &header::HeaderMap) -> bool {
    let reason = headers.get("x-seraph-loginreason").and_then(|v| v.to_str().ok());
    reason.is_some_and(|reason| reason.contains("AUTHENTICATED_FAILED"))
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
    fn the_client_is_built_by_the_first_call_once_and_shared_by_clones() {
        let http = HttpClient::new(HttpOptions::default());
        let clone = http.clone();
        assert!(http.built.get().is_none(), "building an HttpClient does no work");
        let first: *const reqwest::Client = clone.client().unwrap();
        assert!(std::ptr::eq(first, http.client().unwrap()));
    }

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
    fn rate_limit_reset_and_the_seraph_header_are_read() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(rate_limit_reset(&headers), None);
        let reset = chrono::Utc::now() + chrono::Duration::seconds(20);
        let reset = reset.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        headers.insert("x-ratelimit-reset", reset.parse().unwrap());
        let wait = rate_limit_reset(&headers).unwrap();
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "{wait:?}");
        headers.insert("x-ratelimit-reset", "2001-01-01T00:00:00Z".parse().unwrap());
        assert_eq!(rate_limit_reset(&headers), Some(Duration::ZERO));
        assert!(!seraph_login_failed(&headers));
        headers.insert("x-seraph-loginreason", "AUTHENTICATED_FAILED".parse().unwrap());
        assert!(seraph_login_failed(&headers));
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
