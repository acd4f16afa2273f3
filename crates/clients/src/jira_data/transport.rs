//! How the data client sends: Basic auth, the shared runner under the client's traffic
//! rules, parsing, and classification, with a look at `/status` and the license after a 503
//! to tell an outage or a suspension from a passing failure.

use bytes::Bytes;
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::JiraDataClient;
use super::classify::{JiraDataError, SiteProbe, classify, needs_site_probe};
use crate::http::send_paced;

/// `License`: the plans of the site's applications.
#[derive(Deserialize)]
struct License {
    #[serde(default)]
    applications: Vec<LicensedApplication>,
}

#[derive(Deserialize)]
struct LicensedApplication {
    #[serde(default)]
    plan: String,
}

impl JiraDataClient {
    fn url(&self, path: &str) -> String {
        self.site.url(path)
    }

    fn authed(&self, request: RequestBuilder) -> RequestBuilder {
        self.site.authed(request)
    }

    /// `GET path?query`, parsed.
    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, JiraDataError> {
        let what = format!("GET {path}");
        let build = |http: &reqwest::Client| self.authed(http.get(self.url(path))).query(query);
        let body = self.fetch(&what, build).await?;
        parse(&what, &body)
    }

    /// `POST path` with a JSON body that only reads, parsed.
    pub(super) async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, JiraDataError> {
        parse(&format!("POST {path}"), &self.post_answer(path, body).await?)
    }

    /// `POST path` with a JSON body that only reads: the answer's bytes, for the caller to read.
    pub(super) async fn post_answer(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Bytes, JiraDataError> {
        let what = format!("POST {path}");
        let build = |http: &reqwest::Client| self.authed(http.post(self.url(path))).json(body);
        self.fetch(&what, build).await
    }

    async fn fetch(
        &self,
        what: &str,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Bytes, JiraDataError> {
        let attempts = self.options.http.max_attempts;
        match send_paced("jira", &self.http, attempts, &self.traffic, build).await {
            Ok(body) => Ok(body),
            Err(failure) => {
                let site = match needs_site_probe(&failure) {
                    true => Some(self.probe_site().await),
                    false => None,
                };
                let error = classify(what, &failure, site);
                tracing::warn!(code = %error.code, status = ?error.status, %error, "jira data call failed");
                Err(error)
            }
        }
    }

    /// After a 503: is the whole site down, and if so, is it suspended for want of a license?
    async fn probe_site(&self) -> SiteProbe {
        let status =
            send_paced("jira", &self.http, 1, &self.traffic, |http| http.get(self.url("/status")));
        match status.await {
            Ok(_) => SiteProbe::Up,
            Err(failure) if failure.status == Some(StatusCode::SERVICE_UNAVAILABLE) => {
                let license = |http: &reqwest::Client| {
                    self.authed(http.get(self.url("/rest/api/3/instance/license")))
                };
                let license = send_paced("jira", &self.http, 1, &self.traffic, license).await;
                let unlicensed = license
                    .ok()
                    .and_then(|body| serde_json::from_slice::<License>(&body).ok())
                    .is_some_and(|l| l.applications.iter().any(|a| a.plan == "UNLICENSED"));
                if unlicensed { SiteProbe::Unlicensed } else { SiteProbe::Down }
            }
            Err(_) => SiteProbe::Unknown,
        }
    }
}

fn parse<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, JiraDataError> {
    serde_json::from_slice(body).map_err(|problem| {
        tracing::warn!(what, error = %problem, "unparseable Jira answer");
        JiraDataError::schema_mismatch(what, &problem)
    })
}
