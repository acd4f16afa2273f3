//! The Forge flow (Clockwork 3.7+): the browser's `tenant.session.token` cookie buys a
//! context token for Clockwork's extension, and each `timers.json` page is fetched through
//! the GraphQL gateway's `invokeExtension`, which hands back a refreshed token every time.
//!
//! Both endpoints are internal and undocumented: the request bodies follow what the Jira web
//! app is seen sending, and every part of the answers is read tolerantly.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, COOKIE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::timer::parse_page;
use super::{
    ASSUMED_LIFETIME, Credential, ReportError, TimerReport, TimersPage, join, jwt_expiry, sensitive,
};
use crate::ClientError;
use crate::http::{HttpClient, Idempotency, send_json, status_error};

const TOKEN_PATH: &str = "/rest/internal/2/forge/context/token";
const GRAPHQL_PATH: &str = "/gateway/api/graphql";
const INVOKE_EXTENSION: &str = "mutation invokeExtension($input: InvokeExtensionInput!) { \
    invokeExtension(input: $input) { success response { body } contextToken { jwt expiresAt } \
    errors { message } } }";
/// Messages of GraphQL errors that mean "not allowed" when no status code says so.
const ACCESS_HINTS: [&str; 4] = ["access", "permission", "unauthori", "forbidden"];

pub struct ForgeReport {
    http: HttpClient,
    jira_base_url: Url,
    tenant_session_token: SecretString,
    cloud_id: String,
    /// `ari:cloud:jira:{cloudId}:workspace/{workspaceId}`.
    context_id: String,
    extension_id: String,
}

impl fmt::Debug for ForgeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForgeReport")
            .field("jira_base_url", &self.jira_base_url.as_str())
            .field("context_id", &self.context_id)
            .field("extension_id", &self.extension_id)
            .finish_non_exhaustive()
    }
}

impl ForgeReport {
    pub fn new(
        jira_base_url: &Url,
        tenant_session_token: &SecretString,
        cloud_id: &str,
        workspace_id: &str,
        extension_id: &str,
        http: HttpClient,
    ) -> Self {
        Self {
            http,
            jira_base_url: jira_base_url.clone(),
            tenant_session_token: tenant_session_token.clone(),
            cloud_id: cloud_id.to_owned(),
            context_id: format!("ari:cloud:jira:{cloud_id}:workspace/{workspace_id}"),
            extension_id: extension_id.to_owned(),
        }
    }

    fn cookie(&self) -> Result<HeaderValue, ReportError> {
        let cookie = format!("tenant.session.token={}", self.tenant_session_token.expose_secret());
        sensitive(&cookie).ok_or_else(|| {
            ReportError::Forbidden("the tenant session token cannot be sent as a cookie".into())
        })
    }

    /// POSTs JSON that only reads (or mints a token), so repeating it is safe.
    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, ReportError> {
        let cookie = self.cookie()?;
        let url = join(&self.jira_base_url, path);
        send_json("jira", &self.http, Idempotency::Idempotent, |http| {
            http.post(&url)
                .header(COOKIE, cookie.clone())
                .header(ACCEPT, "application/json")
                .json(body)
        })
        .await
        .map_err(|error| match error {
            ClientError::Unauthorized { status } => {
                ReportError::Forbidden(format!("HTTP {status}"))
            }
            other => other.into(),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenAnswer {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    expires_at: Option<Value>,
    #[serde(default)]
    expires_in: Option<Value>,
}

#[derive(Deserialize)]
struct GraphqlAnswer {
    #[serde(default)]
    data: Option<GraphqlData>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

#[derive(Deserialize)]
struct GraphqlData {
    #[serde(default, rename = "invokeExtension")]
    invoke_extension: Option<Invocation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    #[serde(default)]
    success: Option<bool>,
    #[serde(default)]
    response: Option<InvocationResponse>,
    #[serde(default)]
    context_token: Option<ContextToken>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

#[derive(Deserialize)]
struct InvocationResponse {
    #[serde(default)]
    body: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextToken {
    #[serde(default)]
    jwt: Option<String>,
    #[serde(default)]
    expires_at: Option<Value>,
}

#[derive(Deserialize)]
struct GraphqlError {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    extensions: Option<Value>,
}

#[async_trait]
impl TimerReport for ForgeReport {
    #[tracing::instrument(skip_all, fields(source = "forge"))]
    async fn acquire(&self) -> Result<Credential, ReportError> {
        // What the Jira web app sends here is not documented; the extension id is what the
        // token is for.
        let body = json!({ "extensionId": self.extension_id });
        let answer: TokenAnswer = self.post(TOKEN_PATH, &body).await?;
        let Some(token) = answer.token.filter(|token| !token.is_empty()) else {
            return Err(ClientError::Decode("the Forge token answer has no token".into()).into());
        };
        let now = Utc::now();
        let expires_at = answer
            .expires_at
            .as_ref()
            .and_then(parse_expiry)
            .or_else(|| {
                let seconds = answer.expires_in.as_ref().and_then(Value::as_i64)?;
                Some(now + TimeDelta::try_seconds(seconds)?)
            })
            .or_else(|| jwt_expiry(&token))
            .unwrap_or(now + ASSUMED_LIFETIME);
        Ok(Credential::new(token, expires_at))
    }

    #[tracing::instrument(skip_all, fields(source = "forge", page))]
    async fn timers_page(
        &self,
        credential: &Credential,
        page: u32,
    ) -> Result<TimersPage, ReportError> {
        let input = json!({
            "contextIds": [self.context_id],
            "extensionId": self.extension_id,
            "entryPoint": "resolver",
            "payload": {
                "call": {
                    "method": "GET",
                    "path": format!("/timers.json?page={page}"),
                    "invokeType": "ui-remote-fetch",
                },
                "context": { "cloudId": self.cloud_id },
                "contextToken": credential.token.expose_secret(),
            },
        });
        let request = json!({
            "operationName": "invokeExtension",
            "query": INVOKE_EXTENSION,
            "variables": { "input": input },
        });
        let answer: GraphqlAnswer = self.post(GRAPHQL_PATH, &request).await?;
        if let Some(errors) = answer.errors.filter(|errors| !errors.is_empty()) {
            return Err(graphql_failure(&errors));
        }
        let Some(invocation) = answer.data.and_then(|data| data.invoke_extension) else {
            return Err(
                ClientError::Decode("GraphQL answered without invokeExtension".into()).into()
            );
        };
        if let Some(errors) = invocation.errors.filter(|errors| !errors.is_empty()) {
            return Err(graphql_failure(&errors));
        }
        if invocation.success == Some(false) {
            let message = "invokeExtension reported no success".to_owned();
            return Err(ClientError::Rejected { status: 200, message }.into());
        }
        let body = invocation.response.map(|response| response.body).unwrap_or_default();
        let mut timers = parse_page(page_body(body)?, page)?;
        timers.refreshed = invocation.context_token.and_then(|refreshed| {
            let token = refreshed.jwt.filter(|token| !token.is_empty())?;
            let expires_at = refreshed
                .expires_at
                .as_ref()
                .and_then(parse_expiry)
                .or_else(|| jwt_expiry(&token))
                .unwrap_or_else(|| Utc::now() + ASSUMED_LIFETIME);
            Some(Credential::new(token, expires_at))
        });
        Ok(timers)
    }
}

/// The page at `response.body.payload.body`; each level may arrive as a JSON-encoded string.
/// A status relayed in `payload.status` that is not 2xx is classified as the HTTP one would be.
fn page_body(body: Value) -> Result<Value, ReportError> {
    let payload = field(body, "payload").unwrap_or_default();
    let relayed = payload.get("status").and_then(Value::as_u64);
    let page = field(payload, "body").unwrap_or_default();
    if let Some(status) = relayed.and_then(|code| u16::try_from(code).ok()) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        if !status.is_success() {
            return Err(match status_error(status, None, page.to_string().as_bytes()) {
                ClientError::Unauthorized { status } => {
                    ReportError::Forbidden(format!("the report app answered HTTP {status}"))
                }
                other => other.into(),
            });
        }
    }
    if page.is_null() {
        return Err(ClientError::Decode(
            "invokeExtension answered without response.body.payload.body".into(),
        )
        .into());
    }
    Ok(page)
}

/// `value[key]`, with `value` first decoded when it is a JSON-encoded string.
fn field(value: Value, key: &str) -> Option<Value> {
    match decoded(value) {
        Value::Object(mut map) => map.remove(key).map(decoded),
        _ => None,
    }
}

fn decoded(value: Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        other => other,
    }
}

/// GraphQL errors by what they mean: access problems are `Forbidden`; a status code in
/// `extensions` classifies the rest.
fn graphql_failure(errors: &[GraphqlError]) -> ReportError {
    let mut message =
        errors.iter().filter_map(|error| error.message.as_deref()).collect::<Vec<_>>().join("; ");
    if let Some((cut, _)) = message.char_indices().nth(300) {
        message.truncate(cut);
    }
    let status = errors
        .iter()
        .filter_map(|error| error.extensions.as_ref()?.get("statusCode")?.as_u64())
        .find_map(|code| StatusCode::from_u16(u16::try_from(code).ok()?).ok());
    let lower = message.to_lowercase();
    let access = matches!(status, Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN))
        || (status.is_none() && ACCESS_HINTS.iter().any(|hint| lower.contains(hint)));
    match status {
        _ if access => ReportError::Forbidden(message),
        Some(status) if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
            status_error(status, None, &[]).into()
        }
        status => {
            let status = status.map_or(200, |status| status.as_u16());
            ClientError::Rejected { status, message }.into()
        }
    }
}

/// `expiresAt` as epoch seconds, epoch milliseconds (above 10^12), a numeric string of
/// either, or an ISO 8601 / RFC 3339 string.
fn parse_expiry(value: &Value) -> Option<DateTime<Utc>> {
    let epoch = |n: f64| {
        if n > 1e12 {
            DateTime::from_timestamp_millis(n as i64)
        } else {
            DateTime::from_timestamp(n as i64, 0)
        }
    };
    match value {
        Value::Number(number) => epoch(number.as_f64()?),
        Value::String(text) => match text.trim().parse::<f64>() {
            Ok(n) => epoch(n),
            Err(_) => DateTime::parse_from_rfc3339(text.trim()).ok().map(|at| at.to_utc()),
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_reads_seconds_millis_numeric_strings_and_iso() {
        let at = DateTime::from_timestamp(1_770_000_000, 0);
        assert_eq!(parse_expiry(&json!(1_770_000_000)), at);
        assert_eq!(parse_expiry(&json!(1_770_000_000_000_i64)), at);
        assert_eq!(parse_expiry(&json!("1770000000000")), at);
        assert_eq!(parse_expiry(&json!("2026-02-02T02:40:00Z")), at);
        assert_eq!(parse_expiry(&json!("2026-02-02T09:40:00+07:00")), at);
        assert_eq!(parse_expiry(&json!("soon")), None);
        assert_eq!(parse_expiry(&json!(null)), None);
    }

    #[test]
    fn the_page_body_may_be_an_object_or_a_json_string() {
        let page = json!({ "timers": [], "isLast": true });
        let as_object = json!({ "payload": { "status": 200, "body": page } });
        let as_string = json!({ "payload": { "body": page.to_string() } });
        let all_strings = json!(json!({ "payload": { "body": page.to_string() } }).to_string());
        for body in [as_object, as_string, all_strings] {
            assert_eq!(page_body(body).unwrap(), page);
        }
        assert!(matches!(page_body(json!({})), Err(ReportError::Client(ClientError::Decode(_)))));
    }

    #[test]
    fn a_relayed_status_is_classified_like_an_http_one() {
        let relayed =
            |status: u16| page_body(json!({ "payload": { "status": status, "body": "" } }));
        assert!(matches!(relayed(401), Err(ReportError::Forbidden(_))));
        let error = relayed(503).unwrap_err();
        assert!(error.is_retryable(), "{error:?}");
        assert!(matches!(relayed(429), Err(ReportError::Client(ClientError::RateLimited { .. }))));
    }

    #[test]
    fn graphql_errors_are_classified_by_status_then_by_wording() {
        let error = |message: &str, extensions: Value| GraphqlError {
            message: Some(message.into()),
            extensions: Some(extensions),
        };
        let denied = error("User did not have access to specified resource", json!({}));
        assert_eq!(
            graphql_failure(&[denied]),
            ReportError::Forbidden("User did not have access to specified resource".into())
        );
        let coded = error("nope", json!({ "statusCode": 403 }));
        assert!(matches!(graphql_failure(&[coded]), ReportError::Forbidden(_)));
        let busy = error("try later", json!({ "statusCode": 503 }));
        assert!(graphql_failure(&[busy]).is_retryable());
        let odd = error("Validation error of type FieldUndefined", json!({ "statusCode": 400 }));
        assert!(matches!(
            graphql_failure(&[odd]),
            ReportError::Client(ClientError::Rejected { status: 400, .. })
        ));
    }
}
