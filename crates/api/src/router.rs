//! Path matching, method and size checks, and dispatch to the route modules.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use clockwork_core::ApiError;
use http::{Method, Request, Response, StatusCode, header};
use serde::Serialize;

use crate::App;
use crate::routes;

/// Bodies larger than this are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Every public route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    TimersActive,
    Worklogs,
    TimersStart,
    TimersStop,
    Issue,
    TimersSync,
    Health,
    Run,
    CronTimersSync,
    CronJiraSync,
    IssueSearch,
    UsersResolve,
    SettingsValidate,
    JiraWebhook,
    /// `GET /api/openapi.json`: the OpenAPI document of these routes.
    OpenApi,
}

impl Route {
    pub const ALL: [Route; 15] = [
        Self::TimersActive,
        Self::Worklogs,
        Self::TimersStart,
        Self::TimersStop,
        Self::Issue,
        Self::TimersSync,
        Self::Health,
        Self::Run,
        Self::CronTimersSync,
        Self::CronJiraSync,
        Self::IssueSearch,
        Self::UsersResolve,
        Self::SettingsValidate,
        Self::JiraWebhook,
        Self::OpenApi,
    ];

    pub fn method(self) -> Method {
        match self {
            Self::TimersStart
            | Self::TimersStop
            | Self::TimersSync
            | Self::SettingsValidate
            | Self::JiraWebhook => Method::POST,
            Self::TimersActive
            | Self::Worklogs
            | Self::Issue
            | Self::Health
            | Self::Run
            | Self::CronTimersSync
            | Self::CronJiraSync
            | Self::IssueSearch
            | Self::UsersResolve
            | Self::OpenApi => Method::GET,
        }
    }

    /// Whether the route enqueues jobs (a timer sync, also after starting or stopping a
    /// timer; a webhook delivery) or checks the queue (health): only these need [`App::queue`].
    pub fn uses_queue(self) -> bool {
        match self {
            Self::TimersStart
            | Self::TimersStop
            | Self::TimersSync
            | Self::CronTimersSync
            | Self::CronJiraSync
            | Self::JiraWebhook
            | Self::Health => true,
            Self::TimersActive
            | Self::Worklogs
            | Self::Issue
            | Self::Run
            | Self::IssueSearch
            | Self::UsersResolve
            | Self::SettingsValidate
            | Self::OpenApi => false,
        }
    }

    /// The route serving `path`, if any.
    pub fn from_path(path: &str) -> Option<Self> {
        let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
        Some(match path {
            "/api/timers/active" => Self::TimersActive,
            "/api/worklogs" => Self::Worklogs,
            "/api/timers/start" => Self::TimersStart,
            "/api/timers/stop" => Self::TimersStop,
            "/api/timers/sync" => Self::TimersSync,
            "/api/health" => Self::Health,
            "/api/cron/timers-sync" => Self::CronTimersSync,
            "/api/cron/jira-sync" => Self::CronJiraSync,
            "/api/issues/search" => Self::IssueSearch,
            "/api/users/resolve" => Self::UsersResolve,
            "/api/settings/validate" => Self::SettingsValidate,
            "/api/webhooks/jira" => Self::JiraWebhook,
            "/api/openapi.json" => Self::OpenApi,
            _ if has_one_segment_after(path, "/api/issues/") => Self::Issue,
            _ if has_one_segment_after(path, "/api/runs/") => Self::Run,
            _ => return None,
        })
    }
}

fn has_one_segment_after(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

/// The path's last segment, percent-decoded, for routes named `…/{param}`: clients encode
/// what a segment may not carry as it is (`a:b` may arrive as `a%3Ab`). Bytes that are not
/// UTF-8 become U+FFFD, which no parameter accepts.
pub fn last_segment(path: &str) -> Cow<'_, str> {
    let segment = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    percent_encoding::percent_decode_str(segment).decode_utf8_lossy()
}

/// What a handler answers: its response, or an error that becomes the JSON error body.
pub type Answer<'a> = Pin<Box<dyn Future<Output = Result<Response<Bytes>, ApiError>> + Send + 'a>>;

/// A route with the handler that serves it. A deployed function names its endpoint's
/// constant, so its binary links that one handler and none of the others.
#[derive(Clone, Copy)]
pub struct Endpoint {
    route: Route,
    handler: for<'a> fn(&'a App, &'a Request<Bytes>) -> Answer<'a>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Endpoint").field(&self.route).finish()
    }
}

impl Endpoint {
    pub const TIMERS_ACTIVE: Self = Self { route: Route::TimersActive, handler: timers_active };
    pub const WORKLOGS: Self = Self { route: Route::Worklogs, handler: worklogs };
    pub const TIMERS_START: Self = Self { route: Route::TimersStart, handler: timers_start };
    pub const TIMERS_STOP: Self = Self { route: Route::TimersStop, handler: timers_stop };
    pub const ISSUE: Self = Self { route: Route::Issue, handler: issue };
    pub const TIMERS_SYNC: Self = Self { route: Route::TimersSync, handler: timers_sync };
    pub const HEALTH: Self = Self { route: Route::Health, handler: health };
    pub const RUN: Self = Self { route: Route::Run, handler: run };
    pub const CRON_TIMERS_SYNC: Self =
        Self { route: Route::CronTimersSync, handler: cron_timers_sync };
    pub const CRON_JIRA_SYNC: Self = Self { route: Route::CronJiraSync, handler: cron_jira_sync };
    pub const ISSUE_SEARCH: Self = Self { route: Route::IssueSearch, handler: issue_search };
    pub const USERS_RESOLVE: Self = Self { route: Route::UsersResolve, handler: users_resolve };
    pub const SETTINGS_VALIDATE: Self =
        Self { route: Route::SettingsValidate, handler: settings_validate };
    pub const JIRA_WEBHOOK: Self = Self { route: Route::JiraWebhook, handler: jira_webhook };
    pub const OPENAPI: Self = Self { route: Route::OpenApi, handler: openapi };

    /// The endpoint of any route (the local server, tests): this links every handler.
    pub fn of(route: Route) -> Self {
        match route {
            Route::TimersActive => Self::TIMERS_ACTIVE,
            Route::Worklogs => Self::WORKLOGS,
            Route::TimersStart => Self::TIMERS_START,
            Route::TimersStop => Self::TIMERS_STOP,
            Route::Issue => Self::ISSUE,
            Route::TimersSync => Self::TIMERS_SYNC,
            Route::Health => Self::HEALTH,
            Route::Run => Self::RUN,
            Route::CronTimersSync => Self::CRON_TIMERS_SYNC,
            Route::CronJiraSync => Self::CRON_JIRA_SYNC,
            Route::IssueSearch => Self::ISSUE_SEARCH,
            Route::UsersResolve => Self::USERS_RESOLVE,
            Route::SettingsValidate => Self::SETTINGS_VALIDATE,
            Route::JiraWebhook => Self::JIRA_WEBHOOK,
            Route::OpenApi => Self::OPENAPI,
        }
    }

    pub fn route(self) -> Route {
        self.route
    }
}

/// The handler of a route that acts for the caller the request's token names.
macro_rules! for_caller {
    ($name:ident => $handle:path) => {
        fn $name<'a>(app: &'a App, request: &'a Request<Bytes>) -> Answer<'a> {
            Box::pin(
                async move { $handle(app, &app.auth.caller(request.headers())?, request).await },
            )
        }
    };
}

for_caller!(timers_active => routes::timers_active::handle);
for_caller!(worklogs => routes::worklogs::handle);
for_caller!(timers_start => routes::timer_control::start);
for_caller!(timers_stop => routes::timer_control::stop);
for_caller!(run => routes::runs::handle);
for_caller!(issue_search => routes::issue_search::handle);
for_caller!(users_resolve => routes::users::resolve);
for_caller!(settings_validate => routes::settings::validate);

fn issue<'a>(app: &'a App, request: &'a Request<Bytes>) -> Answer<'a> {
    Box::pin(async move {
        app.auth.caller(request.headers())?;
        routes::issue::handle(app, request).await
    })
}

fn timers_sync<'a>(app: &'a App, request: &'a Request<Bytes>) -> Answer<'a> {
    Box::pin(async move {
        app.auth.caller(request.headers())?;
        routes::sync::handle(app).await
    })
}

fn health<'a>(app: &'a App, _request: &'a Request<Bytes>) -> Answer<'a> {
    Box::pin(async move { Ok(routes::health::handle(app).await) })
}

fn openapi<'a>(_app: &'a App, _request: &'a Request<Bytes>) -> Answer<'a> {
    Box::pin(async { Ok(raw_json(Bytes::from_static(routes::openapi::DOCUMENT.as_bytes()))) })
}

fn cron_timers_sync<'a>(app: &'a App, request: &'a Request<Bytes>) -> Answer<'a> {
    Box::pin(routes::sync::cron(app, request))
}

fn cron_jira_sync<'a>(app: &'a App, request: &'a Request<Bytes>) -> Answer<'a> {
    Box::pin(routes::sync::cron_jira(app, request))
}

/// Proven by Jira's signature or the registered URL's secret, not by a bearer token.
fn jira_webhook<'a>(app: &'a App, request: &'a Request<Bytes>) -> Answer<'a> {
    Box::pin(routes::webhooks::handle(app, request))
}

/// Serves any route (the local server, tests).
pub async fn handle(app: &App, request: Request<Bytes>) -> Response<Bytes> {
    match Route::from_path(request.uri().path()) {
        Some(route) => handle_route(app, Endpoint::of(route), request).await,
        None => ApiError::not_found(
            "ROUTE_NOT_FOUND",
            format!("no route {}; see the README for the API", request.uri().path()),
        )
        .into_response(),
    }
}

/// Serves one known route (a deployed function serves exactly one).
#[tracing::instrument(skip_all, fields(route = ?endpoint.route, method = %request.method()))]
pub async fn handle_route(
    app: &App,
    endpoint: Endpoint,
    request: Request<Bytes>,
) -> Response<Bytes> {
    let allowed = endpoint.route.method();
    let method = request.method().clone();
    let result = if method == Method::OPTIONS
        || (method != allowed && !(method == Method::HEAD && allowed == Method::GET))
    {
        Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("{} accepts only {allowed}", request.uri().path()),
        ))
    } else if request.body().len() > MAX_BODY_BYTES {
        Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("request bodies are limited to {} KiB", MAX_BODY_BYTES / 1024),
        ))
    } else {
        (endpoint.handler)(app, &request).await
    };
    let mut response = result.unwrap_or_else(ApiError::into_response);
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Ok(value) = header::HeaderValue::from_str(allowed.as_str())
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    if response.status().is_server_error() {
        tracing::warn!(status = response.status().as_u16(), "answered with a server error");
    }
    response
}

/// A JSON answer.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Bytes> {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut response = raw_json(body);
            *response.status_mut() = status;
            response
        }
        Err(error) => {
            tracing::error!(%error, "serializing an answer failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "could not encode the answer",
            )
            .into_response()
        }
    }
}

/// A 200 whose body is JSON already, such as an answer kept in the cache.
pub fn raw_json(body: impl Into<Bytes>) -> Response<Bytes> {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(Route::from_path("/api/timers/active"), Some(Route::TimersActive));
        assert_eq!(Route::from_path("/api/timers/active/"), Some(Route::TimersActive));
        assert_eq!(Route::from_path("/api/issues/KAN-9"), Some(Route::Issue));
        assert_eq!(Route::from_path("/api/issues/KAN-9/x"), None);
        assert_eq!(Route::from_path("/api/issues/search"), Some(Route::IssueSearch));
        assert_eq!(Route::from_path("/api/issues/"), None);
        assert_eq!(Route::from_path("/api/runs/abc"), Some(Route::Run));
        assert_eq!(Route::from_path("/api/cron/timers-sync"), Some(Route::CronTimersSync));
        assert_eq!(Route::from_path("/api/cron/jira-sync"), Some(Route::CronJiraSync));
        assert_eq!(Route::from_path("/api/webhooks/jira"), Some(Route::JiraWebhook));
        assert_eq!(Route::from_path("/api/openapi.json"), Some(Route::OpenApi));
        assert_eq!(Route::from_path("/api/nope"), None);
        assert_eq!(Route::from_path("/"), None);
    }

    #[test]
    fn path_parameters_are_percent_decoded() {
        assert_eq!(last_segment("/api/runs/tick%3A42/"), "tick:42");
        assert_eq!(last_segment("/api/issues/KAN-9"), "KAN-9");
        assert_eq!(last_segment("/api/runs/%FF"), "\u{FFFD}");
    }
}
