//! The dynamic webhook API, `/rest/api/3/webhook`, as an OAuth 2.0 app (a bearer token).

use std::fmt;

use clockwork_core::config::JiraAppConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::WebhookUrl;
use crate::ClientError;
use crate::http::{HttpClient, Idempotency, send, send_json};

/// Dynamic webhooks a page (Jira's default and maximum).
const PAGE_SIZE: usize = 100;

/// A dynamic webhook of the app.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DynamicWebhook {
    pub id: u64,
    pub url: WebhookUrl,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(rename = "jqlFilter", default)]
    pub jql: String,
    /// Epoch ms after which Jira stops sending it.
    #[serde(rename = "expirationDate", default)]
    pub expires_ms: Option<i64>,
}

/// One webhook of a registration, answered in the order sent: its id, or why Jira refused it.
pub type Registration = Result<u64, Vec<String>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRegistered {
    created_webhook_id: Option<u64>,
    #[serde(default)]
    errors: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRegistrations {
    #[serde(default)]
    webhook_registration_result: Vec<WireRegistered>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePage {
    #[serde(default)]
    values: Vec<DynamicWebhook>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    total: Option<usize>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireExpiration {
    expiration_date: i64,
}

/// The dynamic webhook API, as the OAuth 2.0 app whose access token this is.
pub struct DynamicWebhooks {
    http: HttpClient,
    base_url: Url,
    access_token: SecretString,
}

impl fmt::Debug for DynamicWebhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicWebhooks")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl DynamicWebhooks {
    pub fn new(config: &JiraAppConfig, http: HttpClient) -> Self {
        Self { http, base_url: config.base_url.clone(), access_token: config.access_token.clone() }
    }

    fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let url =
            format!("{}/rest/api/3/webhook{path}", self.base_url.as_str().trim_end_matches('/'));
        http.request(method, url)
            .bearer_auth(self.access_token.expose_secret())
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Registers `webhooks` (events, JQL) for `url`; Jira allows one URL per app.
    #[tracing::instrument(skip_all, fields(webhooks = webhooks.len()))]
    pub async fn register(
        &self,
        url: &WebhookUrl,
        webhooks: &[(Vec<String>, String)],
    ) -> Result<Vec<Registration>, ClientError> {
        let details: Vec<_> = webhooks
            .iter()
            .map(|(events, jql)| json!({ "events": events, "jqlFilter": jql }))
            .collect();
        let body = json!({ "url": url.expose(), "webhooks": details });
        let answer: WireRegistrations =
            send_json("jira", &self.http, Idempotency::SideEffects, |http| {
                self.request(http, reqwest::Method::POST, "").json(&body)
            })
            .await?;
        let results = answer.webhook_registration_result.into_iter();
        Ok(results.map(|r| r.created_webhook_id.ok_or(r.errors)).collect())
    }

    /// Every dynamic webhook of the app, page after page.
    #[tracing::instrument(skip_all)]
    pub async fn list(&self) -> Result<Vec<DynamicWebhook>, ClientError> {
        let mut all = Vec::new();
        loop {
            let query = [("startAt", all.len()), ("maxResults", PAGE_SIZE)];
            let page: WirePage = send_json("jira", &self.http, Idempotency::Idempotent, |http| {
                self.request(http, reqwest::Method::GET, "").query(&query)
            })
            .await?;
            let got = page.values.len();
            all.extend(page.values);
            let done = page.is_last.unwrap_or(got < PAGE_SIZE)
                || page.total.is_some_and(|total| all.len() >= total);
            if done || got == 0 {
                return Ok(all);
            }
        }
    }

    /// Deletes the app's webhooks among `ids`; Jira ignores the others.
    #[tracing::instrument(skip_all, fields(webhooks = ids.len()))]
    pub async fn delete(&self, ids: &[u64]) -> Result<(), ClientError> {
        let body = json!({ "webhookIds": ids });
        send("jira", &self.http, Idempotency::Idempotent, |http| {
            self.request(http, reqwest::Method::DELETE, "").json(&body)
        })
        .await?;
        Ok(())
    }

    /// Extends the life of `ids` to 30 days from now; the new expiry (epoch ms).
    #[tracing::instrument(skip_all, fields(webhooks = ids.len()))]
    pub async fn refresh(&self, ids: &[u64]) -> Result<i64, ClientError> {
        let body = json!({ "webhookIds": ids });
        let answer: WireExpiration =
            send_json("jira", &self.http, Idempotency::Idempotent, |http| {
                self.request(http, reqwest::Method::PUT, "/refresh").json(&body)
            })
            .await?;
        Ok(answer.expiration_date)
    }
}
