//! The browser-session endpoints that hand out report-app credentials (internal, undocumented
//! Atlassian endpoints, shaped after the reference notes):
//!
//! - `POST /plugins/servlet/ac/clockwork-cloud/clockwork-timers?classifier=json`: the Connect
//!   servlet; the whole browser cookie buys `{ contextJwt, … }`; 404 once disabled, as on
//!   sites whose Clockwork moved to Forge.
//! - `POST /rest/internal/2/forge/context/token`: the `tenant.session.token` cookie buys
//!   `{ extensionId, token, expiresAt, expiresIn }`.
//! - `POST /gateway/api/graphql`: the `invokeExtension` mutation, answering a `timers.json`
//!   page of the linked report app and a refreshed token; a bad or expired context token is
//!   the GraphQL error "User did not have access to specified resource".
//!
//! Every credential is a JWT whose `exp` says when it expires (its signature is random bytes:
//! nobody checks it), registered with the linked report app, which accepts it until then.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use http::{HeaderMap, StatusCode, header};
use serde_json::{Value, json};

use super::routes::error;
use super::{FakeJira, Shared};
use crate::clockwork::{FakeClockwork, ReportApp};
use crate::faults::{QueryPairs, json_response};

const ACCESS_DENIED: &str = "User did not have access to specified resource";

/// How the Forge endpoints write `expiresAt` (seen as epoch milliseconds; clients must
/// accept all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryFormat {
    #[default]
    EpochMillis,
    EpochSeconds,
    Iso8601,
}

/// The Forge app the GraphQL gateway knows: the extension and the site it is installed on.
#[derive(Debug, Clone)]
struct ForgeApp {
    extension_id: String,
    /// `ari:cloud:jira:{cloudId}:workspace/{workspaceId}`.
    context_id: String,
}

/// Who may get credentials, and what has been minted.
#[derive(Debug)]
pub(super) struct Sessions {
    session_cookie: Option<String>,
    connect_servlet: bool,
    tenant_session_token: Option<String>,
    forge_app: Option<ForgeApp>,
    credential_ttl: Duration,
    expiry_format: ExpiryFormat,
    minted: usize,
    report: Option<ReportApp>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            session_cookie: None,
            connect_servlet: true,
            tenant_session_token: None,
            forge_app: None,
            credential_ttl: Duration::from_secs(900),
            expiry_format: ExpiryFormat::default(),
            minted: 0,
            report: None,
        }
    }
}

impl Sessions {
    /// A new credential, registered with the linked report app.
    fn mint(&mut self, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let ttl = TimeDelta::from_std(self.credential_ttl).unwrap_or(TimeDelta::MAX);
        let expires_at = now.checked_add_signed(ttl).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let segment = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let id = uuid::Uuid::new_v4();
        let token = format!(
            "{}.{}.{}",
            segment(json!({ "alg": "HS256", "typ": "JWT" })),
            segment(json!({
                "iss": "fake-jira",
                "iat": now.timestamp(),
                "exp": expires_at.timestamp(),
                "jti": id.to_string(),
            })),
            URL_SAFE_NO_PAD.encode(id.as_bytes()),
        );
        self.minted += 1;
        if let Some(report) = &self.report {
            report.accept(&token, expires_at);
        }
        (token, expires_at)
    }

    fn expiry(&self, at: DateTime<Utc>) -> Value {
        match self.expiry_format {
            ExpiryFormat::EpochMillis => json!(at.timestamp_millis()),
            ExpiryFormat::EpochSeconds => json!(at.timestamp()),
            ExpiryFormat::Iso8601 => json!(at.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
    }

    fn tenant_accepted(&self, headers: &HeaderMap) -> bool {
        let presented = cookies(headers)
            .find(|(name, _)| *name == "tenant.session.token")
            .map(|(_, value)| value);
        presented.is_some() && presented == self.tenant_session_token.as_deref()
    }
}

/// Session-credential settings of the fake site.
impl FakeJira {
    /// Accepts exactly this browser `Cookie` header at the Connect servlet.
    pub fn set_session_cookie(&self, cookie: &str) {
        self.shared.data().sessions.session_cookie = Some(cookie.trim().to_owned());
    }

    /// Makes the Connect servlet answer 404, as sites whose Clockwork moved to Forge do.
    pub fn disable_connect_servlet(&self) {
        self.shared.data().sessions.connect_servlet = false;
    }

    /// Accepts this `tenant.session.token` cookie at the Forge endpoints.
    pub fn set_tenant_session_token(&self, token: &str) {
        self.shared.data().sessions.tenant_session_token = Some(token.to_owned());
    }

    /// The Forge extension the GraphQL gateway serves, and the site it is installed on.
    pub fn set_forge_app(&self, cloud_id: &str, workspace_id: &str, extension_id: &str) {
        self.shared.data().sessions.forge_app = Some(ForgeApp {
            extension_id: extension_id.to_owned(),
            context_id: format!("ari:cloud:jira:{cloud_id}:workspace/{workspace_id}"),
        });
    }

    /// Registers the credentials minted from now on with `report`'s report app, and serves its
    /// pages through `invokeExtension`.
    pub fn link_report(&self, report: &FakeClockwork) {
        self.shared.data().sessions.report = Some(report.report_app());
    }

    /// Lifetime of the credentials minted from now on (900 s unless set; zero mints expired ones).
    pub fn set_credential_ttl(&self, ttl: Duration) {
        self.shared.data().sessions.credential_ttl = ttl;
    }

    /// How the Forge endpoints write `expiresAt` from now on.
    pub fn set_expiry_format(&self, format: ExpiryFormat) {
        self.shared.data().sessions.expiry_format = format;
    }

    /// Credentials minted so far: servlet JWTs, Forge tokens and refreshed Forge tokens.
    pub fn minted_credentials(&self) -> usize {
        self.shared.data().sessions.minted
    }
}

pub(super) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/plugins/servlet/ac/clockwork-cloud/clockwork-timers", post(connect_servlet))
        .route("/rest/internal/2/forge/context/token", post(forge_token))
        .route("/gateway/api/graphql", post(graphql))
}

/// Every `name=value` pair of every `Cookie` header.
fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
}

async fn connect_servlet(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let mut data = shared.data();
    let sessions = &mut data.sessions;
    if !sessions.connect_servlet {
        return error(StatusCode::NOT_FOUND, "The requested resource could not be found.");
    }
    let presented = headers.get(header::COOKIE).and_then(|value| value.to_str().ok());
    if presented.is_none() || presented.map(str::trim) != sessions.session_cookie.as_deref() {
        return error(StatusCode::UNAUTHORIZED, "You are not logged in.");
    }
    if QueryPairs::parse(raw.as_deref()).get("classifier") != Some("json") {
        return error(StatusCode::BAD_REQUEST, "Only classifier=json is simulated.");
    }
    let (token, _) = sessions.mint(Utc::now());
    json_response(
        StatusCode::OK,
        json!({
            "contextJwt": token,
            "contextPath": "",
            "hostOrigin": shared.base_url,
            "moduleKey": "clockwork-timers",
            "addonKey": "clockwork-cloud",
        }),
    )
}

async fn forge_token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut data = shared.data();
    let sessions = &mut data.sessions;
    if !sessions.tenant_accepted(&headers) {
        return error(StatusCode::UNAUTHORIZED, "You are not logged in.");
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let Some(extension_id) = body.get("extensionId").and_then(Value::as_str) else {
        return error(StatusCode::BAD_REQUEST, "extensionId is required.");
    };
    let (token, expires_at) = sessions.mint(Utc::now());
    json_response(
        StatusCode::OK,
        json!({
            "extensionId": extension_id,
            "token": token,
            "expiresAt": sessions.expiry(expires_at),
            "expiresIn": sessions.credential_ttl.as_secs(),
        }),
    )
}

fn graphql_error(status: StatusCode, message: &str) -> Response {
    json_response(
        status,
        json!({ "errors": [{ "message": message, "extensions": { "statusCode": status.as_u16() } }] }),
    )
}

/// What the gateway answers when the extension, the site or the context token is wrong.
fn access_denied() -> Response {
    json_response(
        StatusCode::OK,
        json!({
            "errors": [{
                "message": ACCESS_DENIED,
                "path": ["invokeExtension"],
                "extensions": {
                    "statusCode": 403,
                    "errorSource": "GRAPHQL_GATEWAY",
                    "classification": "DataFetchingException",
                },
            }],
            "data": { "invokeExtension": null },
        }),
    )
}

/// An `invokeExtension` that ran but failed, in the mutation's own `errors`.
fn invocation_failed(message: &str) -> Response {
    json_response(
        StatusCode::OK,
        json!({ "data": { "invokeExtension": {
            "success": false, "response": null, "contextToken": null,
            "errors": [{ "message": message }],
        } } }),
    )
}

async fn graphql(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let now = Utc::now();
    let mut data = shared.data();
    let sessions = &mut data.sessions;
    if !sessions.tenant_accepted(&headers) {
        return graphql_error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let is_invocation =
        body["query"].as_str().is_some_and(|query| query.contains("invokeExtension"));
    if !is_invocation {
        return graphql_error(StatusCode::BAD_REQUEST, "Only invokeExtension is simulated.");
    }
    let input = &body["variables"]["input"];
    let payload = &input["payload"];
    let installed = sessions.forge_app.as_ref().is_some_and(|app| {
        input["extensionId"] == app.extension_id.as_str()
            && input["contextIds"]
                .as_array()
                .is_some_and(|ids| ids.contains(&json!(app.context_id)))
    });
    let token = payload["contextToken"].as_str();
    let Some(report) = sessions
        .report
        .clone()
        .filter(|report| installed && token.is_some_and(|token| report.accepts(token, now)))
    else {
        return access_denied();
    };
    let call = &payload["call"];
    if call["method"] != "GET" || call["invokeType"] != "ui-remote-fetch" {
        return invocation_failed("Only GET ui-remote-fetch calls are simulated.");
    }
    let target = call["path"].as_str().unwrap_or_default();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let page = QueryPairs::parse(Some(query)).integer("page");
    let page = match page.map(|page| usize::try_from(page.unwrap_or(1))) {
        Ok(Ok(page)) if path == "/timers.json" && page >= 1 => page,
        _ => return invocation_failed("Expected a call to /timers.json?page=N (N from 1)."),
    };
    let page = report.timers_page(page, now);
    let (jwt, expires_at) = sessions.mint(now);
    json_response(
        StatusCode::OK,
        json!({ "data": { "invokeExtension": {
            "success": true,
            "response": { "body": { "success": true, "payload": {
                "status": 200,
                "headers": { "content-type": ["application/json"] },
                // The remote's body is relayed as text.
                "body": page.to_string(),
            } } },
            "contextToken": { "jwt": jwt, "expiresAt": sessions.expiry(expires_at) },
            "errors": null,
        } } }),
    )
}
