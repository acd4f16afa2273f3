//! The Atlassian Connect flow (older Clockwork versions): the browser's whole cookie buys a
//! `contextJwt` from Clockwork's servlet on the Jira site, which `timers.json` accepts as
//! `Authorization: JWT …` for about 900 s.

use std::fmt;

use async_trait::async_trait;
use chrono::Utc;
use reqwest::header::{ACCEPT, AUTHORIZATION, COOKIE};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use super::timer::parse_page;
use super::{
    ASSUMED_LIFETIME, Credential, ReportError, TimerReport, TimersPage, join, jwt_expiry, sensitive,
};
use crate::ClientError;
use crate::http::{HttpClient, Idempotency, send, send_json};

const SERVLET: &str = "/plugins/servlet/ac/clockwork-cloud/clockwork-timers";

pub struct ConnectReport {
    http: HttpClient,
    jira_base_url: Url,
    cookie: SecretString,
    report_base_url: Url,
}

impl fmt::Debug for ConnectReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectReport")
            .field("jira_base_url", &self.jira_base_url.as_str())
            .field("report_base_url", &self.report_base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl ConnectReport {
    /// `cookie` is the browser's whole `Cookie` header (`JIRA_FULL_COOKIE`).
    pub fn new(
        jira_base_url: &Url,
        cookie: &SecretString,
        report_base_url: &Url,
        http: HttpClient,
    ) -> Self {
        Self {
            http,
            jira_base_url: jira_base_url.clone(),
            cookie: cookie.clone(),
            report_base_url: report_base_url.clone(),
        }
    }
}

#[async_trait]
impl TimerReport for ConnectReport {
    #[tracing::instrument(skip_all, fields(source = "connect"))]
    async fn acquire(&self) -> Result<Credential, ReportError> {
        // A cookie a header cannot carry was copied wrong: the advice to copy it again fits.
        let cookie = sensitive(self.cookie.expose_secret()).ok_or(ReportError::SessionExpired)?;
        let url = join(&self.jira_base_url, SERVLET);
        // The servlet only hands out a token, so repeating the POST is as safe as a GET.
        let body = send("jira", &self.http, Idempotency::Idempotent, |http| {
            http.post(&url)
                .query(&[("classifier", "json")])
                .header(COOKIE, cookie.clone())
                .header(ACCEPT, "application/json")
        })
        .await
        .map_err(|error| match error {
            ClientError::Unauthorized { .. } => ReportError::SessionExpired,
            ClientError::NotFound => ReportError::SourceGone,
            other => other.into(),
        })?;
        let token = context_jwt(&body)?;
        let expires_at = jwt_expiry(&token).unwrap_or_else(|| Utc::now() + ASSUMED_LIFETIME);
        Ok(Credential::new(token, expires_at))
    }

    #[tracing::instrument(skip_all, fields(source = "connect", page))]
    async fn timers_page(
        &self,
        credential: &Credential,
        page: u32,
    ) -> Result<TimersPage, ReportError> {
        let authorization = sensitive(&format!("JWT {}", credential.token.expose_secret()))
            .ok_or(ReportError::CredentialRejected)?;
        let url = join(&self.report_base_url, "/timers.json");
        // The report app answers for the Jira site named by `xdm_e`.
        let host = self.jira_base_url.as_str().trim_end_matches('/');
        let body: Value =
            send_json("clockwork report", &self.http, Idempotency::Idempotent, |http| {
                http.get(&url)
                    .query(&[("page", page.to_string().as_str()), ("xdm_e", host)])
                    .header(AUTHORIZATION, authorization.clone())
                    .header(ACCEPT, "application/json")
            })
            .await
            .map_err(|error| match error {
                ClientError::Unauthorized { .. } => ReportError::CredentialRejected,
                other => other.into(),
            })?;
        Ok(parse_page(body, page)?)
    }
}

/// The servlet's `contextJwt`, among whatever else its JSON carries. Jira answers a sign-in
/// page instead of JSON when the session has ended.
fn context_jwt(body: &[u8]) -> Result<String, ReportError> {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return Err(ReportError::SessionExpired);
    };
    json.get("contextJwt")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            ClientError::Decode("the Connect servlet answered without a contextJwt".into()).into()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_jwt_is_found_among_other_fields() {
        let body = br#"{"origin":"https://app.clockwork.report","contextJwt":"a.b.c","x":1}"#;
        assert_eq!(context_jwt(body).unwrap(), "a.b.c");
        assert_eq!(context_jwt(b"<html>Log in</html>"), Err(ReportError::SessionExpired));
        assert!(matches!(context_jwt(br#"{"contextJwt":""}"#), Err(ReportError::Client(_))));
    }
}
