//! Jira's two webhook registration APIs.
//!
//! - [`AdminWebhooks`]: `/rest/webhooks/1.0/webhook`, what a site admin's API token (Basic
//!   auth) may call; a webhook may carry a secret, and its deliveries are then signed
//!   (`X-Hub-Signature: sha256=…`). Its id is the last segment of its `self` URL.
//! - [`DynamicWebhooks`]: `/rest/api/3/webhook`, for OAuth 2.0 and Connect apps only
//!   (a bearer token); `jqlFilter` is a JQL subset, there are no worklog events, deliveries
//!   are not signed, and each webhook expires 30 days after its creation or last refresh.
//!
//! A registered URL may carry the receiver's secret as its `secret` query parameter, so a
//! [`WebhookUrl`] shows itself masked in `Debug` and `Display`.

use std::fmt;

use clockwork_core::config::{JiraAppConfig, JiraConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::ClientError;
use crate::http::{HttpClient, Idempotency, send, send_json};

/// Where the admin API keeps a webhook's JQL.
const JQL_FILTER_KEY: &str = "issue-related-events-section";
/// Dynamic webhooks a page (Jira's default and maximum).
const PAGE_SIZE: usize = 100;

/// A webhook's target URL; its `secret` query parameter never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL as Jira must be told it, secret included.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with the value of any `secret` query parameter replaced by `***`.
    pub fn masked(&self) -> String {
        let Ok(mut url) = Url::parse(&self.0) else {
            return match self.0.split_once('?') {
                Some((base, _)) => format!("{base}?***"),
                None => self.0.clone(),
            };
        };
        if url.query_pairs().all(|(name, _)| name != "secret") {
            return self.0.clone();
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if name == "secret" { "***".to_owned() } else { value.into_owned() };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.into()
    }

    /// The URL without its query: what tells one receiver from another.
    pub fn endpoint(&self) -> &str {
        self.0.split(['?', '#']).next().unwrap_or_default()
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.masked())
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// An admin webhook to create, or to replace one with.
#[derive(Debug, Clone)]
pub struct AdminWebhookSpec {
    pub name: String,
    pub url: WebhookUrl,
    pub events: Vec<String>,
    pub jql: String,
    /// Signs each delivery with HMAC-SHA256 when set.
    pub secret: Option<SecretString>,
}

/// An admin webhook as Jira lists it (Jira never shows its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminWebhook {
    pub id: String,
    pub name: String,
    pub url: WebhookUrl,
    pub events: Vec<String>,
    pub jql: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAdminWebhook {
    #[serde(rename = "self")]
    self_url: String,
    #[serde(default)]
    name: String,
    url: WebhookUrl,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    filters: serde_json::Map<String, serde_json::Value>,
}

impl WireAdminWebhook {
    fn into_webhook(self) -> AdminWebhook {
        let id = self.self_url.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
        let jql = self.filters.get(JQL_FILTER_KEY).and_then(|v| v.as_str()).unwrap_or_default();
        AdminWebhook {
            id: id.to_owned(),
            name: self.name,
            url: self.url,
            events: self.events,
            jql: jql.to_owned(),
        }
    }
}

/// The admin webhook API, with a site admin's email and API token.
pub struct AdminWebhooks {
    http: HttpClient,
    base_url: Url,
    email: String,
    api_token: SecretString,
}

impl fmt::Debug for AdminWebhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminWebhooks")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl AdminWebhooks {
    pub fn new(config: &JiraConfig, http: HttpClient) -> Self {
        Self {
            http,
            base_url: config.base_url.clone(),
            email: config.email.clone(),
            api_token: config.api_token.clone(),
        }
    }

    fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        id: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let base = self.base_url.as_str().trim_end_matches('/');
        let url = match id {
            Some(id) => format!("{base}/rest/webhooks/1.0/webhook/{id}"),
            None => format!("{base}/rest/webhooks/1.0/webhook"),
        };
        http.request(method, url)
            .basic_auth(&self.email, Some(self.api_token.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// Every admin webhook of the site.
    #[tracing::instrument(skip_all)]
    pub async fn list(&self) -> Result<Vec<AdminWebhook>, ClientError> {
        let wire: Vec<WireAdminWebhook> =
            send_json("jira", &self.http, Idempotency::Idempotent, |http| {
                self.request(http, reqwest::Method::GET, None)
            })
            .await?;
        Ok(wire.into_iter().map(WireAdminWebhook::into_webhook).collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn create(&self, spec: &AdminWebhookSpec) -> Result<AdminWebhook, ClientError> {
        let body = admin_body(spec);
        let wire: WireAdminWebhook =
            send_json("jira", &self.http, Idempotency::SideEffects, |http| {
                self.request(http, reqwest::Method::POST, None).json(&body)
            })
            .await?;
        Ok(wire.into_webhook())
    }

    /// Replaces webhook `id` with `spec`.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn update(
        &self,
        id: &str,
        spec: &AdminWebhookSpec,
    ) -> Result<AdminWebhook, ClientError> {
        let body = admin_body(spec);
        let wire: WireAdminWebhook =
            send_json("jira", &self.http, Idempotency::Idempotent, |http| {
                self.request(http, reqwest::Method::PUT, Some(id)).json(&body)
            })
            .await?;
        Ok(wire.into_webhook())
    }

    /// `NotFound` when there is no webhook `id`.
    #[tracing::instrument(skip_all, fields(id))]
    pub async fn delete(&self, id: &str) -> Result<(), ClientError> {
        send("jira", &self.http, Idempotency::SideEffects, |http| {
            self.request(http, reqwest::Method::DELETE, Some(id))
        })
        .await?;
        Ok(())
    }
}

fn admin_body(spec: &AdminWebhookSpec) -> serde_json::Value {
    let mut body = json!({
        "name": spec.name,
        "url": spec.url.expose(),
        "events": spec.events,
        "filters": { JQL_FILTER_KEY: spec.jql },
        "excludeBody": false,
    });
    if let Some(secret) = &spec.secret {
        body["secret"] = json!(secret.expose_secret());
    }
    body
}

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

/// The JQL of webhooks about `projects`' issues: `project in (KAN, OPS)`. Jira refuses
/// reserved words as project keys, so keys need no quotes.
pub fn projects_jql<S: AsRef<str>>(projects: &[S]) -> String {
    let keys: Vec<&str> = projects.iter().map(AsRef::as_ref).collect();
    format!("project in ({})", keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_shows_its_secret_token_masked() {
        let url = WebhookUrl::new("https://hooks.example.com/api/webhooks/jira?secret=s3cr3t&x=1");
        assert_eq!(url.masked(), "https://hooks.example.com/api/webhooks/jira?secret=***&x=1");
        assert!(!format!("{url:?} {url}").contains("s3cr3t"));
        assert_eq!(url.endpoint(), "https://hooks.example.com/api/webhooks/jira");
        let plain = WebhookUrl::new("https://hooks.example.com/api/webhooks/jira");
        assert_eq!(plain.masked(), plain.expose());
    }

    #[test]
    fn the_projects_jql_lists_the_keys() {
        assert_eq!(projects_jql(&["KAN", "OPS"]), "project in (KAN, OPS)");
    }
}
