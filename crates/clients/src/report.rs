//! The Clockwork report app's `timers.json`: everyone's timers, running and finished, read
//! with a short-lived credential that a signed-in browser session hands out ("acquire-jwt").
//!
//! - [`TimerReport`]: the port; [`from_config`] builds the implementation the configuration
//!   names, and [`fetch_all_timers`] walks every page with it.
//! - [`ConnectReport`] (`report/connect.rs`): the Atlassian Connect servlet, then
//!   `timers.json` with `Authorization: JWT …`.
//! - [`ForgeReport`] (`report/forge.rs`): a Forge context token, then the GraphQL gateway's
//!   `invokeExtension` (internal, undocumented endpoints).
//! - [`RawTimer`] (`report/timer.rs`): the tolerant shape of one timer and of a page.
//!
//! Failures are [`ReportError`]s whose messages say which secret to renew or which setting to
//! change; transient ones stay retryable through [`ClientError::is_retryable`].

mod connect;
mod forge;
mod timer;

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use clockwork_core::config::TimerSourceConfig;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{ClientError, HttpClient};
pub use connect::ConnectReport;
pub use forge::ForgeReport;
pub use timer::{RawAuthor, RawIssue, RawTimer};

/// How long a credential is assumed to live when nothing says (the servlet's JWTs live 900 s).
const ASSUMED_LIFETIME: TimeDelta = TimeDelta::seconds(900);

/// Pages [`fetch_all_timers`] reads at most: a guard against a server that never says "last".
pub const MAX_TIMER_PAGES: u32 = 200;

/// A short-lived credential for the report app; `Debug` redacts the token.
#[derive(Debug, Clone)]
pub struct Credential {
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
}

/// The cache form of a [`Credential`]: the only place its token is written out in clear.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedCredential {
    token: String,
    expires_at: DateTime<Utc>,
}

impl Credential {
    pub fn new(token: impl Into<String>, expires_at: DateTime<Utc>) -> Self {
        Self { token: SecretString::from(token.into()), expires_at }
    }

    /// Whether it still has more than `margin` to live at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>, margin: TimeDelta) -> bool {
        now + margin < self.expires_at
    }

    /// Lifetime left at `now` (zero once expired): the TTL to cache it with.
    pub fn remaining_at(&self, now: DateTime<Utc>) -> std::time::Duration {
        (self.expires_at - now).to_std().unwrap_or_default()
    }

    /// `{ "token", "expiresAt" }` with the token in clear, for a private cache only (Redis);
    /// never log it.
    pub fn to_cache_json(&self) -> String {
        serde_json::json!({
            "token": self.token.expose_secret(),
            "expiresAt": self.expires_at,
        })
        .to_string()
    }

    /// Reads what [`Credential::to_cache_json`] wrote.
    pub fn from_cache_json(raw: &str) -> Result<Self, serde_json::Error> {
        let cached: CachedCredential = serde_json::from_str(raw)?;
        Ok(Self::new(cached.token, cached.expires_at))
    }
}

/// Why the timers could not be read, classified by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// Connect: Jira refused the browser cookie (401/403, or a sign-in page instead of JSON).
    #[error(
        "the Jira session cookie has expired: copy a fresh JIRA_FULL_COOKIE from a signed-in browser"
    )]
    SessionExpired,
    /// Connect: the servlet answers 404, as on sites whose Clockwork moved to Forge.
    #[error(
        "this site's Clockwork no longer offers the Connect servlet: set TIMER_SOURCE=forge \
         (with JIRA_TENANT_SESSION_TOKEN, JIRA_CLOUD_ID, JIRA_WORKSPACE_ID, FORGE_EXTENSION_ID)"
    )]
    SourceGone,
    /// Forge: 401/403, or a GraphQL access error (what Atlassian said is kept).
    #[error(
        "Forge refused access ({0}): renew JIRA_TENANT_SESSION_TOKEN from a signed-in browser \
         and check FORGE_EXTENSION_ID, JIRA_CLOUD_ID and JIRA_WORKSPACE_ID"
    )]
    Forbidden(String),
    /// The report app refused the credential (expired early, or revoked): drop any cached
    /// credential and acquire a new one.
    #[error("the report app refused the credential: acquire a new one")]
    CredentialRejected,
    /// Anything else: rate limits, outages, timeouts, unexpected answers.
    #[error("timer source: {0}")]
    Client(#[from] ClientError),
}

impl ReportError {
    /// Whether the same work may succeed later; a rejected credential does once a new one
    /// is acquired.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::SessionExpired | Self::SourceGone | Self::Forbidden(_) => false,
            Self::CredentialRejected => true,
            Self::Client(error) => error.is_retryable(),
        }
    }

    /// A stable machine code for logs and run records.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SessionExpired => "SESSION_EXPIRED",
            Self::SourceGone => "TIMER_SOURCE_GONE",
            Self::Forbidden(_) => "FORGE_FORBIDDEN",
            Self::CredentialRejected => "CREDENTIAL_REJECTED",
            Self::Client(ClientError::Unauthorized { .. }) => "UPSTREAM_UNAUTHORIZED",
            Self::Client(ClientError::NotFound) => "UPSTREAM_NOT_FOUND",
            Self::Client(ClientError::InvalidState(_)) => "UPSTREAM_INVALID_STATE",
            Self::Client(ClientError::RateLimited { .. }) => "UPSTREAM_RATE_LIMITED",
            Self::Client(ClientError::Transient(_)) => "UPSTREAM_UNAVAILABLE",
            Self::Client(ClientError::Rejected { .. }) => "UPSTREAM_REJECTED",
            Self::Client(ClientError::Decode(_)) => "UPSTREAM_BAD_RESPONSE",
            Self::Client(ClientError::Setup(_)) => "HTTPS_UNAVAILABLE",
        }
    }
}

/// The report app's timers, behind whichever credential flow the site offers.
#[async_trait]
pub trait TimerReport: Send + Sync + Debug {
    /// acquire-jwt: a fresh credential from the browser session.
    async fn acquire(&self) -> Result<Credential, ReportError>;

    /// One page (1-based) of `timers.json`.
    async fn timers_page(
        &self,
        credential: &Credential,
        page: u32,
    ) -> Result<TimersPage, ReportError>;
}

/// One page of `timers.json`.
#[derive(Debug, Clone)]
pub struct TimersPage {
    /// Every timer of the page, running and finished; malformed entries are left out (logged).
    pub timers: Vec<RawTimer>,
    pub page: u32,
    pub pages: Option<u32>,
    pub is_last: bool,
    /// Forge hands back a fresh token with each call: use it for the next one.
    pub refreshed: Option<Credential>,
}

/// Every page's timers, and the credential to use next.
#[derive(Debug, Clone)]
pub struct AllTimers {
    pub timers: Vec<RawTimer>,
    pub pages: u32,
    /// The latest credential: the one given, or the last one Forge refreshed it to.
    pub credential: Credential,
}

/// Reads pages from 1 until one says it is the last, passing each refreshed credential on.
pub async fn fetch_all_timers(
    report: &dyn TimerReport,
    credential: Credential,
) -> Result<AllTimers, ReportError> {
    let mut all = AllTimers { timers: Vec::new(), pages: 0, credential };
    loop {
        if all.pages == MAX_TIMER_PAGES {
            return Err(ClientError::Decode(format!(
                "timers.json never marked a last page in {MAX_TIMER_PAGES} pages"
            ))
            .into());
        }
        let page = report.timers_page(&all.credential, all.pages + 1).await?;
        all.pages += 1;
        all.timers.extend(page.timers);
        if let Some(refreshed) = page.refreshed {
            all.credential = refreshed;
        }
        if page.is_last {
            return Ok(all);
        }
    }
}

/// The implementation the configuration names, built once per process; it sends with `http`.
pub fn from_config(config: &TimerSourceConfig, http: HttpClient) -> Arc<dyn TimerReport> {
    match config {
        TimerSourceConfig::Connect { jira_base_url, cookie, report_base_url } => {
            Arc::new(ConnectReport::new(jira_base_url, cookie, report_base_url, http))
        }
        TimerSourceConfig::Forge {
            jira_base_url,
            tenant_session_token,
            cloud_id,
            workspace_id,
            extension_id,
        } => Arc::new(ForgeReport::new(
            jira_base_url,
            tenant_session_token,
            cloud_id,
            workspace_id,
            extension_id,
            http,
        )),
    }
}

/// A header value that `Debug` output shows as `Sensitive`; `None` when the value holds
/// characters a header cannot carry.
fn sensitive(value: &str) -> Option<HeaderValue> {
    let mut header = HeaderValue::from_str(value).ok()?;
    header.set_sensitive(true);
    Some(header)
}

/// The `exp` claim of a JWT, read without checking the signature (the issuer checks it).
fn jwt_expiry(token: &str) -> Option<DateTime<Utc>> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    let seconds = exp.as_i64().or_else(|| exp.as_f64().map(|exp| exp as i64))?;
    DateTime::from_timestamp(seconds, 0)
}

/// `base` without its trailing slash, followed by `path`.
fn join(base: &url::Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn jwt_expiry_reads_the_exp_claim_or_gives_up() {
        assert_eq!(jwt_expiry(&jwt(r#"{"exp":1770000000}"#)).unwrap().timestamp(), 1_770_000_000);
        assert_eq!(jwt_expiry(&jwt(r#"{"exp":1770000000.5}"#)).unwrap().timestamp(), 1_770_000_000);
        assert_eq!(jwt_expiry(&jwt(r#"{"iat":1}"#)), None);
        assert_eq!(jwt_expiry("not-a-jwt"), None);
        assert_eq!(jwt_expiry("a.!!!.c"), None);
    }

    #[test]
    fn credential_round_trips_through_its_cache_form_only() {
        let expires_at = DateTime::from_timestamp(1_770_000_000, 0).unwrap();
        let credential = Credential::new("tok-123", expires_at);
        let cached = credential.to_cache_json();
        assert!(cached.contains("tok-123"));
        let back = Credential::from_cache_json(&cached).unwrap();
        assert_eq!(back.token.expose_secret(), "tok-123");
        assert_eq!(back.expires_at, expires_at);
        assert!(Credential::from_cache_json("{}").is_err());
    }

    #[test]
    fn credential_validity_keeps_a_margin() {
        let now = Utc::now();
        let credential = Credential::new("t", now + TimeDelta::seconds(60));
        assert!(credential.is_valid_at(now, TimeDelta::seconds(30)));
        assert!(!credential.is_valid_at(now, TimeDelta::seconds(60)));
        assert_eq!(credential.remaining_at(now).as_secs(), 60);
        assert_eq!(credential.remaining_at(now + TimeDelta::hours(1)).as_secs(), 0);
    }

    #[test]
    fn error_codes_and_retryability_follow_what_the_caller_can_do() {
        let cases = [
            (ReportError::SessionExpired, "SESSION_EXPIRED", false),
            (ReportError::SourceGone, "TIMER_SOURCE_GONE", false),
            (ReportError::Forbidden("no".into()), "FORGE_FORBIDDEN", false),
            (ReportError::CredentialRejected, "CREDENTIAL_REJECTED", true),
            (ClientError::RateLimited { retry_after: None }.into(), "UPSTREAM_RATE_LIMITED", true),
            (ClientError::Transient("HTTP 502".into()).into(), "UPSTREAM_UNAVAILABLE", true),
            (ClientError::Decode("x".into()).into(), "UPSTREAM_BAD_RESPONSE", false),
            (ClientError::Setup("no CA certificates".into()).into(), "HTTPS_UNAVAILABLE", false),
        ];
        for (error, code, retryable) in cases {
            assert_eq!((error.code(), error.is_retryable()), (code, retryable), "{error}");
        }
    }
}
