//! The router: site conditions and Basic auth on `/rest`, users, issues, the removed
//! `/search`, and `/status`; the other REST modules' routes, the dynamic webhooks (behind an
//! app's bearer token) and the cookie-authenticated session endpoints are merged in. Also the paging helpers those modules share.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{SecondsFormat, Utc};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;

use super::render::{FieldSelection, Renderer};
use super::{
    API_USER_ACCOUNT_ID, Shared, activity, agile, changelog, directory, feed, search, sessions,
    site, webhooks,
};
use crate::faults::{Control, Dialect, QueryPairs, controlled, json_response};

/// Jira's error body and rate-limit headers.
pub(super) const DIALECT: Dialect = Dialect { error, rate_limit_headers };

/// Jira's `ErrorCollection`: `{ "errorMessages": [..], "errors": {} }`.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "errorMessages": [message], "errors": {} }))
}

fn rate_limit_headers(retry_after_secs: u64, headers: &mut HeaderMap) {
    let reset =
        Utc::now() + chrono::Duration::seconds(retry_after_secs.try_into().unwrap_or(i64::MAX));
    let reset = reset.to_rfc3339_opts(SecondsFormat::Secs, true);
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("350"));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    if let Ok(reset) = HeaderValue::from_str(&reset) {
        headers.insert("x-ratelimit-reset", reset);
    }
    headers.insert("ratelimit-reason", HeaderValue::from_static("jira-burst-based"));
}

pub(super) fn router(shared: Arc<Shared>, control: &Arc<Control>) -> Router {
    let rest = Router::new()
        .route("/rest/api/3/myself", get(myself))
        .route("/rest/api/3/user", get(user))
        .route("/rest/api/3/user/bulk", get(bulk_users))
        .route("/rest/api/3/user/search", get(directory::user_search))
        .route("/rest/api/3/user/assignable/search", get(directory::assignable_users))
        .route("/rest/api/3/project/search", get(directory::projects))
        .route("/rest/api/3/instance/license", get(directory::license))
        .route("/rest/api/3/issue/{issueIdOrKey}", get(issue))
        .route("/rest/api/3/issue/{issueIdOrKey}/comment", get(activity::comments))
        .route("/rest/api/3/issue/{issueIdOrKey}/worklog", get(activity::worklogs))
        .route("/rest/api/3/worklog/updated", get(feed::updated))
        .route("/rest/api/3/worklog/deleted", get(feed::deleted))
        .route("/rest/api/3/worklog/list", post(feed::list))
        .route("/rest/api/3/changelog/bulkfetch", post(changelog::bulkfetch))
        .route("/rest/api/3/status", get(changelog::statuses))
        .route("/rest/api/3/search/jql", get(search::get).post(search::post))
        .route("/rest/api/3/search/approximate-count", post(search::approximate_count))
        .route("/rest/api/3/search", get(removed_search).post(removed_search))
        .route("/rest/agile/1.0/board", get(agile::boards))
        .route("/rest/agile/1.0/board/{boardId}/sprint", get(agile::sprints))
        .merge(webhooks::admin_routes())
        .route_layer(from_fn_with_state(shared.clone(), basic_auth))
        // Outages and suspensions answer before credentials are even looked at.
        .route_layer(from_fn_with_state(shared.clone(), site::conditions));
    // Layered last so that it runs first: unauthenticated requests count too.
    let rest = controlled(rest, control);
    let dynamic_webhooks = controlled(webhooks::dynamic_routes(shared.clone()), control);
    let status = controlled(Router::new().route("/status", get(status)), control);
    let sessions = controlled(sessions::router(), control);
    rest.merge(dynamic_webhooks)
        .merge(status)
        .merge(sessions)
        .fallback(not_found)
        .layer(from_fn_with_state(shared.clone(), site::track_in_flight))
        .with_state(shared)
}

/// `startAt` and `maxResults` of a paged endpoint, with its default and cap; `Err` is the
/// 400 message for values that are not numbers.
pub(super) fn paging(
    query: &QueryPairs,
    default_max: usize,
    cap: usize,
) -> Result<(usize, usize), String> {
    let number = |name: &str| query.integer(name);
    let start = number("startAt")?.map_or(0, |n| usize::try_from(n).unwrap_or(0));
    let max = number("maxResults")?.map_or(default_max, |n| usize::try_from(n).unwrap_or(0));
    Ok((start, max.clamp(1, cap)))
}

/// A page of `values` out of `total` items: `startAt`, `maxResults`, `total`, `isLast`.
pub(super) fn page(
    start: usize,
    max: usize,
    total: usize,
    values: Vec<serde_json::Value>,
) -> serde_json::Value {
    json!({
        "maxResults": max,
        "startAt": start,
        "total": total,
        "isLast": start.saturating_add(max) >= total,
        "values": values,
    })
}

/// The base64 `email:token` that `Authorization: Basic …` carries.
pub(super) fn basic_credentials(email: &str, api_token: &str) -> String {
    STANDARD.encode(format!("{email}:{api_token}"))
}

async fn basic_auth(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let presented = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    // The scheme is case-insensitive; the credentials are not.
    let accepted =
        presented.and_then(|value| value.split_once(' ')).is_some_and(|(scheme, credentials)| {
            scheme.eq_ignore_ascii_case("basic") && credentials.trim() == shared.basic_credentials
        });
    if accepted {
        next.run(request).await
    } else {
        error(StatusCode::UNAUTHORIZED, "Client must be authenticated to access this resource.")
    }
}

async fn myself(State(shared): State<Arc<Shared>>) -> Response {
    let data = shared.data();
    let renderer = Renderer::new(&shared.base_url, &data);
    match data.user(API_USER_ACCOUNT_ID) {
        Some(user) => json_response(StatusCode::OK, renderer.user(user)),
        None => error(StatusCode::UNAUTHORIZED, "The credentials' user no longer exists."),
    }
}

async fn user(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let Some(account_id) = query.get("accountId").filter(|id| !id.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "The query parameter 'accountId' is required.");
    };
    let data = shared.data();
    let renderer = Renderer::new(&shared.base_url, &data);
    match data.user(account_id) {
        Some(user) => json_response(StatusCode::OK, renderer.user(user)),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("The user with account ID '{account_id}' does not exist."),
        ),
    }
}

/// `user/bulk`: found users in the order asked, unknown ids left out, 10 a page by default.
async fn bulk_users(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let mut ids: Vec<&str> = Vec::new();
    for id in query.all("accountId") {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return error(StatusCode::BAD_REQUEST, "The query parameter 'accountId' is required.");
    }
    let (max_results, start_at) = match (query.integer("maxResults"), query.integer("startAt")) {
        (Ok(max), Ok(start)) => (max.unwrap_or(10).max(0), start.unwrap_or(0).max(0)),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let data = shared.data();
    let renderer = Renderer::new(&shared.base_url, &data);
    let found: Vec<_> = ids.iter().filter_map(|id| data.user(id)).collect();
    let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
    let values: Vec<_> = found
        .iter()
        .skip(usize::try_from(start_at).unwrap_or(usize::MAX))
        .take(usize::try_from(max_results).unwrap_or(usize::MAX))
        .map(|user| renderer.user(user))
        .collect();
    let page_url = |start: i64| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for id in &ids {
            url.append_pair("accountId", id);
        }
        url.append_pair("maxResults", &max_results.to_string());
        url.append_pair("startAt", &start.to_string());
        format!("{}/rest/api/3/user/bulk?{}", shared.base_url, url.finish())
    };
    let is_last = start_at.saturating_add(max_results) >= total;
    let mut body = json!({
        "self": page_url(start_at),
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": is_last,
        "values": values,
    });
    if !is_last {
        body["nextPage"] = json!(page_url(start_at + max_results));
    }
    json_response(StatusCode::OK, body)
}

async fn issue(
    State(shared): State<Arc<Shared>>,
    Path(id_or_key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let selection = FieldSelection::parse(&QueryPairs::parse(raw.as_deref()).list("fields"), true);
    let data = shared.data();
    let renderer = Renderer::new(&shared.base_url, &data);
    match data.issues.find(&id_or_key) {
        Some(entry) => json_response(StatusCode::OK, renderer.issue(entry, &selection)),
        None => error(
            StatusCode::NOT_FOUND,
            "Issue does not exist or you do not have permission to see it.",
        ),
    }
}

async fn removed_search() -> Response {
    error(
        StatusCode::GONE,
        "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. \
         A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046",
    )
}

/// Needs no credentials; down with the site, and while it is suspended.
async fn status(State(shared): State<Arc<Shared>>) -> Response {
    match shared.data().site.status_down() {
        Some(status) => error(status, "This site is unavailable."),
        None => json_response(StatusCode::OK, json!({ "state": "RUNNING" })),
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "The requested resource could not be found.")
}
