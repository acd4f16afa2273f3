//! Webhooks, both kinds Jira Cloud has:
//! - admin webhooks, `/rest/webhooks/1.0/webhook[/{id}]`, managed with a site admin's Basic
//!   credentials (403 once [`FakeJira::set_site_admin`] took the right away); the secret is
//!   kept but never rendered, as on Jira;
//! - dynamic webhooks, `/rest/api/3/webhook[/refresh]`, for OAuth 2.0 and Connect apps only
//!   (a bearer token [`FakeJira::accept_app_token`] names; Basic credentials get 403): the
//!   documented event list and `jqlFilter` subset, one URL per app, and expiry 30 days after
//!   creation or refresh ([`FakeJira::age_dynamic_webhooks`] stands in for the days passing).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, put};
use chrono::Utc;
use http::{StatusCode, header};
use serde_json::{Value, json};

use super::routes::{error, page, paging};
use super::{API_USER_ACCOUNT_ID, FakeJira, Shared, jql, site};
use crate::faults::{QueryPairs, json_response};

const LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// The events `WebhookDetails.events` lists in the platform's OpenAPI document.
const DYNAMIC_EVENTS: [&str; 8] = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issue_property_set",
    "issue_property_deleted",
];
const JQL_FILTER_KEY: &str = "issue-related-events-section";

/// An admin webhook as registered, secret included (tests check what was sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeAdminWebhook {
    pub id: u64,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub jql: String,
    pub exclude_body: bool,
    pub secret: Option<String>,
}

/// A dynamic webhook of the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeDynamicWebhook {
    pub id: u64,
    pub url: String,
    pub events: Vec<String>,
    pub jql: String,
    /// Epoch ms.
    pub expires_ms: i64,
}

#[derive(Debug, Default)]
pub(super) struct Registry {
    admin: Vec<FakeAdminWebhook>,
    dynamic: Vec<FakeDynamicWebhook>,
    last_id: u64,
    not_site_admin: bool,
    app_token: Option<String>,
}

impl Registry {
    fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    pub(super) fn admin(&self) -> &[FakeAdminWebhook] {
        &self.admin
    }

    pub(super) fn dynamic(&self) -> &[FakeDynamicWebhook] {
        &self.dynamic
    }
}

impl FakeJira {
    /// The admin webhooks, in the order registered.
    pub fn admin_webhooks(&self) -> Vec<FakeAdminWebhook> {
        self.shared.data().webhooks.admin.clone()
    }

    /// The app's dynamic webhooks, in the order registered.
    pub fn dynamic_webhooks(&self) -> Vec<FakeDynamicWebhook> {
        self.shared.data().webhooks.dynamic.clone()
    }

    /// Whether the Basic credentials are a site admin's (they are from the start).
    pub fn set_site_admin(&self, admin: bool) {
        self.shared.data().webhooks.not_site_admin = !admin;
    }

    /// Accepts `Authorization: Bearer <token>` as an OAuth 2.0 app on the dynamic API.
    pub fn accept_app_token(&self, token: &str) {
        self.shared.data().webhooks.app_token = Some(token.to_owned());
    }

    /// As if `by` had passed: every dynamic webhook expires that much sooner.
    pub fn age_dynamic_webhooks(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        for webhook in &mut self.shared.data().webhooks.dynamic {
            webhook.expires_ms = webhook.expires_ms.saturating_sub(by);
        }
    }
}

/// The admin API's routes, for behind Basic auth.
pub(super) fn admin_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/rest/webhooks/1.0/webhook", get(admin_list).post(admin_create))
        .route("/rest/webhooks/1.0/webhook/{id}", put(admin_update).delete(admin_delete))
}

/// The dynamic API's routes, behind the app's bearer token.
pub(super) fn dynamic_routes(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/rest/api/3/webhook", get(dynamic_list).post(dynamic_create).delete(dynamic_delete))
        .route("/rest/api/3/webhook/refresh", put(dynamic_refresh))
        .route_layer(from_fn_with_state(shared.clone(), app_auth))
        .route_layer(from_fn_with_state(shared, site::conditions))
}

async fn app_auth(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let (scheme, credentials) = presented.and_then(|v| v.split_once(' ')).unwrap_or_default();
    let app_token = shared.data().webhooks.app_token.clone();
    if scheme.eq_ignore_ascii_case("bearer") && app_token.as_deref() == Some(credentials.trim()) {
        next.run(request).await
    } else if scheme.eq_ignore_ascii_case("basic") && credentials.trim() == shared.basic_credentials
    {
        error(StatusCode::FORBIDDEN, "Only Connect and OAuth 2.0 apps can use this operation.")
    } else {
        error(StatusCode::UNAUTHORIZED, "Client must be authenticated to access this resource.")
    }
}

fn render_admin(base_url: &str, webhook: &FakeAdminWebhook) -> Value {
    json!({
        "self": format!("{base_url}/rest/webhooks/1.0/webhook/{}", webhook.id),
        "name": webhook.name,
        "url": webhook.url,
        "events": webhook.events,
        "filters": { JQL_FILTER_KEY: webhook.jql },
        "excludeBody": webhook.exclude_body,
        "enabled": true,
        "lastUpdatedUser": API_USER_ACCOUNT_ID,
        "lastUpdated": Utc::now().timestamp_millis(),
    })
}

fn forbidden_unless_admin(shared: &Shared) -> Option<Response> {
    shared
        .data()
        .webhooks
        .not_site_admin
        .then(|| error(StatusCode::FORBIDDEN, "Only Jira administrators can manage webhooks."))
}

/// The admin webhook a POST or PUT body describes (`id` 0), or the 400 message.
fn admin_body(body: &[u8]) -> Result<FakeAdminWebhook, String> {
    let body: Value = serde_json::from_slice(body).map_err(|e| format!("Invalid JSON: {e}"))?;
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_owned);
    let name = text("name").filter(|n| !n.trim().is_empty()).ok_or("The name is required.")?;
    let url = text("url").ok_or("The URL is required.")?;
    match url::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
        _ => return Err("The URL must be an absolute http or https URL.".to_owned()),
    }
    let events = match body.get("events") {
        None => Vec::new(),
        Some(Value::Array(events)) => events
            .iter()
            .map(|e| e.as_str().map(str::to_owned).ok_or("Events must be strings."))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("Events must be a list.".to_owned()),
    };
    let jql = body.pointer(&format!("/filters/{JQL_FILTER_KEY}")).and_then(Value::as_str);
    Ok(FakeAdminWebhook {
        id: 0,
        name,
        url,
        events,
        jql: jql.unwrap_or_default().to_owned(),
        exclude_body: body.get("excludeBody").and_then(Value::as_bool).unwrap_or(false),
        secret: text("secret").filter(|s| !s.is_empty()),
    })
}

async fn admin_list(State(shared): State<Arc<Shared>>) -> Response {
    if let Some(refused) = forbidden_unless_admin(&shared) {
        return refused;
    }
    let data = shared.data();
    let rendered: Vec<Value> =
        data.webhooks.admin.iter().map(|w| render_admin(&shared.base_url, w)).collect();
    json_response(StatusCode::OK, Value::Array(rendered))
}

async fn admin_create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    if let Some(refused) = forbidden_unless_admin(&shared) {
        return refused;
    }
    let mut webhook = match admin_body(&body) {
        Ok(webhook) => webhook,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut data = shared.data();
    webhook.id = data.webhooks.next_id();
    let rendered = render_admin(&shared.base_url, &webhook);
    data.webhooks.admin.push(webhook);
    json_response(StatusCode::CREATED, rendered)
}

fn admin_missing() -> Response {
    error(StatusCode::NOT_FOUND, "The webhook does not exist.")
}

async fn admin_update(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<u64>,
    body: Bytes,
) -> Response {
    if let Some(refused) = forbidden_unless_admin(&shared) {
        return refused;
    }
    let update = match admin_body(&body) {
        Ok(update) => update,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut data = shared.data();
    let Some(webhook) = data.webhooks.admin.iter_mut().find(|w| w.id == id) else {
        return admin_missing();
    };
    *webhook = FakeAdminWebhook { id, ..update };
    json_response(StatusCode::OK, render_admin(&shared.base_url, webhook))
}

async fn admin_delete(State(shared): State<Arc<Shared>>, Path(id): Path<u64>) -> Response {
    if let Some(refused) = forbidden_unless_admin(&shared) {
        return refused;
    }
    let mut data = shared.data();
    let before = data.webhooks.admin.len();
    data.webhooks.admin.retain(|w| w.id != id);
    if data.webhooks.admin.len() == before {
        return admin_missing();
    }
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(axum::body::Body::empty())
        .unwrap_or_default()
}

fn render_dynamic(webhook: &FakeDynamicWebhook) -> Value {
    json!({
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "jqlFilter": webhook.jql,
        "expirationDate": webhook.expires_ms,
    })
}

/// One `WebhookDetails` entry checked: its events and JQL, or the errors Jira would list.
fn dynamic_details(details: &Value) -> Result<(Vec<String>, String), Vec<String>> {
    let mut errors = Vec::new();
    let events: Vec<String> = details
        .get("events")
        .and_then(Value::as_array)
        .map(|events| events.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if events.is_empty() {
        errors.push("At least one event is required.".to_owned());
    }
    for event in events.iter().filter(|e| !DYNAMIC_EVENTS.contains(&e.as_str())) {
        errors.push(format!("The event '{event}' is not supported for dynamic webhooks."));
    }
    let jql = details.get("jqlFilter").and_then(Value::as_str).unwrap_or_default();
    if let Err(message) = jql::check_dynamic_filter(jql) {
        errors.push(message);
    }
    if errors.is_empty() { Ok((events, jql.to_owned())) } else { Err(errors) }
}

async fn dynamic_create(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let (Some(url), Some(webhooks)) =
        (body.get("url").and_then(Value::as_str), body.get("webhooks").and_then(Value::as_array))
    else {
        return error(StatusCode::BAD_REQUEST, "The url and webhooks are required.");
    };
    let mut data = shared.data();
    if data.webhooks.dynamic.iter().any(|w| w.url != url) {
        return error(
            StatusCode::BAD_REQUEST,
            "Only a single URL per app is allowed to be registered.",
        );
    }
    let expires_ms = Utc::now().timestamp_millis() + LIFETIME_MS;
    let mut results = Vec::with_capacity(webhooks.len());
    for details in webhooks {
        match dynamic_details(details) {
            Ok((events, jql)) => {
                let id = data.webhooks.next_id();
                let webhook =
                    FakeDynamicWebhook { id, url: url.to_owned(), events, jql, expires_ms };
                data.webhooks.dynamic.push(webhook);
                results.push(json!({ "createdWebhookId": id }));
            }
            Err(errors) => results.push(json!({ "errors": errors })),
        }
    }
    json_response(StatusCode::OK, json!({ "webhookRegistrationResult": results }))
}

async fn dynamic_list(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let (start, max) = match paging(&QueryPairs::parse(raw.as_deref()), 100, 100) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let data = shared.data();
    let all = &data.webhooks.dynamic;
    let values = all.iter().skip(start).take(max).map(render_dynamic).collect();
    json_response(StatusCode::OK, page(start, max, all.len(), values))
}

/// `webhookIds` of a body; `None` when missing (a 400, [`no_ids`]).
fn webhook_ids(body: &[u8]) -> Option<Vec<u64>> {
    let body: Value = serde_json::from_slice(body).unwrap_or_default();
    let ids = body.get("webhookIds").and_then(Value::as_array)?;
    Some(ids.iter().filter_map(Value::as_u64).collect())
}

fn no_ids() -> Response {
    error(StatusCode::BAD_REQUEST, "The list of webhook IDs is missing.")
}

async fn dynamic_delete(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Some(ids) = webhook_ids(&body) else { return no_ids() };
    shared.data().webhooks.dynamic.retain(|w| !ids.contains(&w.id));
    Response::builder()
        .status(StatusCode::ACCEPTED)
        .body(axum::body::Body::empty())
        .unwrap_or_default()
}

async fn dynamic_refresh(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Some(ids) = webhook_ids(&body) else { return no_ids() };
    let expires_ms = Utc::now().timestamp_millis() + LIFETIME_MS;
    for webhook in shared.data().webhooks.dynamic.iter_mut().filter(|w| ids.contains(&w.id)) {
        webhook.expires_ms = expires_ms;
    }
    json_response(StatusCode::OK, json!({ "expirationDate": expires_ms }))
}

#[cfg(test)]
mod tests {
    use super::jql::check_dynamic_filter;

    #[test]
    fn a_dynamic_filter_takes_only_the_documented_fields_and_operators() {
        for accepted in [
            "project in (KAN, OPS)",
            "project = KAN AND issuetype != Bug",
            "status NOT IN (Done, \"Won't do\") OR assignee = abc",
            "issueKey = KAN-1",
        ] {
            assert_eq!(check_dynamic_filter(accepted), Ok(()), "{accepted}");
        }
        for refused in ["", "summary ~ x", "project ~ KAN", "updated > -1d", "project in KAN"] {
            assert!(check_dynamic_filter(refused).is_err(), "{refused}");
        }
    }
}
