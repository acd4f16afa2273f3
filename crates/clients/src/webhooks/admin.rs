//! The admin webhook API, `/rest/webhooks/1.0/webhook`, with a site admin's Basic credentials.

use clockwork_core::config::JiraConfig;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

use super::WebhookUrl;
use crate::ClientError;
use crate::http::{HttpClient, Idempotency, send, send_json};
use crate::jira::BasicSite;

/// Where the admin API keeps a webhook's JQL.
const JQL_FILTER_KEY: &str = "issue-related-events-section";

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
#[derive(Debug)]
pub struct AdminWebhooks {
    http: HttpClient,
    site: BasicSite,
}

impl AdminWebhooks {
    pub fn new(config: &JiraConfig, http: HttpClient) -> Self {
        Self { http, site: BasicSite::new(config) }
    }

    fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        id: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let path = match id {
            Some(id) => format!("/rest/webhooks/1.0/webhook/{id}"),
            None => "/rest/webhooks/1.0/webhook".to_owned(),
        };
        self.site.authed(http.request(method, self.site.url(&path)))
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
    #[tracing::instrument(skip_all, fields(id = %id))]
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
    #[tracing::instrument(skip_all, fields(id = %id))]
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
