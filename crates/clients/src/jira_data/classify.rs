//! Every failure of the data client as one [`ErrorCode`] with actionable advice. Messages
//! name the request and what Jira said; they never carry the token or the Authorization
//! header (neither is ever part of a URL or of an error we build).

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use super::drift::SchemaDrift;
use crate::ClientError;
use crate::http::Failure;

/// What went wrong, by what someone can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    RateLimit,
    AuthExpired,
    PermissionDenied,
    NotFound,
    SiteUnavailable,
    SuspendedPayment,
    ApiRemoved,
    NetworkGlitch,
    SchemaMismatch,
    /// This process cannot make HTTPS requests at all (no root certificate could be loaded).
    HttpsUnavailable,
    Unknown,
}

impl ErrorCode {
    pub const ALL: [Self; 11] = [
        Self::RateLimit,
        Self::AuthExpired,
        Self::PermissionDenied,
        Self::NotFound,
        Self::SiteUnavailable,
        Self::SuspendedPayment,
        Self::ApiRemoved,
        Self::NetworkGlitch,
        Self::SchemaMismatch,
        Self::HttpsUnavailable,
        Self::Unknown,
    ];

    /// The code a sync log or run record holds, read back.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == code)
    }

    /// The machine code stored in sync logs: `RATE_LIMIT`, `AUTH_EXPIRED`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimit => "RATE_LIMIT",
            Self::AuthExpired => "AUTH_EXPIRED",
            Self::PermissionDenied => "PERMISSION_DENIED",
            Self::NotFound => "NOT_FOUND",
            Self::SiteUnavailable => "SITE_UNAVAILABLE",
            Self::SuspendedPayment => "SUSPENDED_PAYMENT",
            Self::ApiRemoved => "API_REMOVED",
            Self::NetworkGlitch => "NETWORK_GLITCH",
            Self::SchemaMismatch => "SCHEMA_MISMATCH",
            Self::HttpsUnavailable => "HTTPS_UNAVAILABLE",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Whether the same call may succeed if made again later.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::RateLimit | Self::NetworkGlitch)
    }

    /// What to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            Self::RateLimit => {
                "Jira is throttling this site's API traffic. The sync backs off and resumes on \
                 its own; if it keeps happening, lower the sync concurrency or spread project \
                 schedules apart."
            }
            Self::AuthExpired => {
                "Jira did not accept the credentials (API tokens expire after at most a year). \
                 Create a new API token at id.atlassian.com (Security, API tokens) for the \
                 ATLASSIAN_EMAIL account and set it as ATLASSIAN_API_TOKEN."
            }
            Self::PermissionDenied => {
                "The ATLASSIAN_EMAIL account lacks a permission: grant it Browse Projects (and \
                 view access to worklogs) in the project's permission scheme."
            }
            Self::NotFound => {
                "The project, issue, board or user does not exist or is not visible to the \
                 ATLASSIAN_EMAIL account; check the project key and that account's access."
            }
            Self::SiteUnavailable => {
                "The Jira site and its /status page are both unavailable: the site may be \
                 deactivated, suspended or gone. Check JIRA_DOMAIN (or JIRA_BASE_URL) and open \
                 the site in a browser; the sync resumes on its next schedule."
            }
            Self::SuspendedPayment => {
                "The site's license shows an UNLICENSED plan: Atlassian suspended it, usually \
                 for an unpaid bill. Contact the site admin about billing to restore it."
            }
            Self::ApiRemoved => {
                "Atlassian removed this Jira API. This backend needs an update; see \
                 developer.atlassian.com/changelog for the replacement."
            }
            Self::NetworkGlitch => {
                "A timeout, reset or server error between this backend and Jira; a retry \
                 usually succeeds. If it persists, check the network path and Atlassian's \
                 status page."
            }
            Self::SchemaMismatch => {
                "Jira answered with a shape this backend cannot read: a proxy may be answering \
                 instead of Jira (check JIRA_BASE_URL), or the API changed. Report the message."
            }
            Self::HttpsUnavailable => {
                "This backend cannot make HTTPS requests: no root certificate could be loaded. \
                 Install a CA bundle (the ca-certificates package) or point SSL_CERT_FILE or \
                 SSL_CERT_DIR at one, then restart it."
            }
            Self::Unknown => {
                "Jira rejected the request; the message says why. Report it if it persists."
            }
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classified failure of a Jira data call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JiraDataError {
    pub code: ErrorCode,
    /// The HTTP status of Jira's answer, when there was one.
    pub status: Option<u16>,
    /// What happened: the request and what Jira said.
    pub message: String,
    pub advice: &'static str,
    /// How long Jira asked to wait (rate limits).
    pub retry_after: Option<Duration>,
    /// For a search page that could not be read: the drifts of the issue at fault, so that
    /// the failure is also recorded as what changed.
    pub drifts: Vec<SchemaDrift>,
}

impl JiraDataError {
    pub fn new(code: ErrorCode, status: Option<u16>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self { code, status, message, advice: code.advice(), retry_after: None, drifts: Vec::new() }
    }

    pub fn is_retryable(&self) -> bool {
        self.code.is_retryable()
    }

    /// A 2xx whose body could not be read as the expected shape.
    pub(crate) fn schema_mismatch(what: &str, problem: &serde_json::Error) -> Self {
        Self::new(
            ErrorCode::SchemaMismatch,
            Some(200),
            format!("{what}: Jira answered with an unexpected shape: {problem}"),
        )
    }

    /// A 2xx whose body could not be read as the expected shape at `path`.
    pub(crate) fn schema_mismatch_at(what: &str, path: &str, problem: &serde_json::Error) -> Self {
        Self::new(
            ErrorCode::SchemaMismatch,
            Some(200),
            format!("{what}: Jira answered with an unexpected shape at {path}: {problem}"),
        )
    }
}

/// What `/status` and the license said after a 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SiteProbe {
    /// `/status` answered: the site is up, the 503 was passing.
    Up,
    /// `/status` answered 503 too.
    Down,
    /// …and the license shows an `UNLICENSED` plan.
    Unlicensed,
    /// `/status` could not be asked.
    Unknown,
}

/// Whether a failure calls for a look at `/status`: a 503 that did not ask to wait (a
/// throttling 503 carries `Retry-After`).
pub(crate) fn needs_site_probe(failure: &Failure) -> bool {
    failure.status == Some(StatusCode::SERVICE_UNAVAILABLE) && failure.retry_after.is_none()
}

/// Classifies the failure of request `what` (e.g. `GET /rest/api/3/myself`).
pub(crate) fn classify(what: &str, failure: &Failure, site: Option<SiteProbe>) -> JiraDataError {
    let status = failure.status.map(|s| s.as_u16());
    let (code, message) = match (&failure.error, status) {
        (ClientError::Unauthorized { .. }, Some(200)) => (
            ErrorCode::AuthExpired,
            format!(
                "{what}: Jira answered 200 but flagged the login as failed \
                 (x-seraph-loginreason: AUTHENTICATED_FAILED); its empty results are not data"
            ),
        ),
        (ClientError::Unauthorized { status: 403 }, _) => {
            (ErrorCode::PermissionDenied, format!("{what}: Jira answered 403 Forbidden"))
        }
        (ClientError::Unauthorized { status }, _) => (
            ErrorCode::AuthExpired,
            format!("{what}: Jira refused the credentials (HTTP {status})"),
        ),
        (ClientError::NotFound, _) => {
            (ErrorCode::NotFound, format!("{what}: Jira answered 404 Not Found"))
        }
        (ClientError::RateLimited { .. }, _) => (
            ErrorCode::RateLimit,
            format!("{what}: still rate limited (HTTP 429) after the allowed attempts"),
        ),
        (ClientError::Rejected { status: 410, message }, _) => {
            (ErrorCode::ApiRemoved, format!("{what}: Jira answered 410 Gone: {message}"))
        }
        (ClientError::Transient(_), Some(503)) => match site {
            Some(SiteProbe::Down) => (
                ErrorCode::SiteUnavailable,
                format!("{what}: Jira answered 503 and so did its /status page"),
            ),
            Some(SiteProbe::Unlicensed) => (
                ErrorCode::SuspendedPayment,
                format!("{what}: Jira answered 503, /status too, and the license is UNLICENSED"),
            ),
            _ if failure.retry_after.is_some() => (
                ErrorCode::RateLimit,
                format!("{what}: still throttled (HTTP 503 with Retry-After) after the attempts"),
            ),
            _ => (
                ErrorCode::NetworkGlitch,
                format!("{what}: Jira answered 503 after the allowed attempts"),
            ),
        },
        (ClientError::Transient(detail), _) => {
            (ErrorCode::NetworkGlitch, format!("{what}: {detail}"))
        }
        (ClientError::Decode(detail), _) => {
            (ErrorCode::SchemaMismatch, format!("{what}: {detail}"))
        }
        (ClientError::Setup(detail), _) => {
            (ErrorCode::HttpsUnavailable, format!("{what} was not sent: {detail}"))
        }
        (error @ (ClientError::Rejected { .. } | ClientError::InvalidState(_)), _) => {
            (ErrorCode::Unknown, format!("{what}: {error}"))
        }
    };
    let retry_after = match &failure.error {
        ClientError::RateLimited { retry_after } => *retry_after,
        _ => failure.retry_after,
    };
    JiraDataError { retry_after, ..JiraDataError::new(code, status, message) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_code("STORE_UNAVAILABLE"), None);
    }

    fn failure(error: ClientError, status: Option<u16>) -> Failure {
        let status = status.map(|s| StatusCode::from_u16(s).unwrap());
        Failure { error, status, retry_after: None }
    }

    #[test]
    fn codes_follow_statuses_and_probes() {
        let cases = [
            (failure(ClientError::Unauthorized { status: 401 }, Some(401)), None, "AUTH_EXPIRED"),
            (failure(ClientError::Unauthorized { status: 200 }, Some(200)), None, "AUTH_EXPIRED"),
            (
                failure(ClientError::Unauthorized { status: 403 }, Some(403)),
                None,
                "PERMISSION_DENIED",
            ),
            (failure(ClientError::NotFound, Some(404)), None, "NOT_FOUND"),
            (
                failure(ClientError::Transient("HTTP 503".into()), Some(503)),
                Some(SiteProbe::Down),
                "SITE_UNAVAILABLE",
            ),
            (
                failure(ClientError::Transient("HTTP 503".into()), Some(503)),
                Some(SiteProbe::Unlicensed),
                "SUSPENDED_PAYMENT",
            ),
            (
                failure(ClientError::Transient("HTTP 503".into()), Some(503)),
                Some(SiteProbe::Up),
                "NETWORK_GLITCH",
            ),
            (
                failure(ClientError::Transient("jira timed out".into()), None),
                None,
                "NETWORK_GLITCH",
            ),
            (
                failure(ClientError::Rejected { status: 410, message: "gone".into() }, Some(410)),
                None,
                "API_REMOVED",
            ),
            (
                failure(ClientError::Rejected { status: 418, message: "teapot".into() }, Some(418)),
                None,
                "UNKNOWN",
            ),
            (
                failure(ClientError::RateLimited { retry_after: None }, Some(429)),
                None,
                "RATE_LIMIT",
            ),
            (
                failure(ClientError::Setup("no CA certificates".into()), None),
                None,
                "HTTPS_UNAVAILABLE",
            ),
        ];
        for (failure, probe, code) in cases {
            let error = classify("GET /rest/api/3/myself", &failure, probe);
            assert_eq!(error.code.as_str(), code, "{failure:?}");
            assert!(error.message.starts_with("GET /rest/api/3/myself"), "{}", error.message);
            assert!(!error.advice.is_empty());
        }
    }

    #[test]
    fn only_throttling_and_glitches_are_retryable() {
        assert!(ErrorCode::RateLimit.is_retryable() && ErrorCode::NetworkGlitch.is_retryable());
        assert!(!ErrorCode::AuthExpired.is_retryable() && !ErrorCode::Unknown.is_retryable());
        assert!(ErrorCode::AuthExpired.advice().contains("ATLASSIAN_API_TOKEN"));
        assert!(ErrorCode::PermissionDenied.advice().contains("Browse Projects"));
        assert!(ErrorCode::SuspendedPayment.advice().contains("site admin"));
    }
}
