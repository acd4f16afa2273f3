//! The router: `Authorization: Token …`, worklogs by account and date, start and stop by key;
//! the report app's routes are merged in at the root.

use std::sync::Arc;

use axum::extract::{RawQuery, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ClockworkData, FakeTimer, FakeWorklog, Shared, report};
use crate::faults::{Control, Dialect, QueryPairs, controlled, json_response};

pub(super) const BASE_PATH: &str = "/v1";

/// Clockwork's `{ "messages": [{ "body": … }] }` errors; its 429s carry only `Retry-After`.
pub(super) const DIALECT: Dialect = Dialect { error, rate_limit_headers: no_extra_headers };

fn no_extra_headers(_retry_after_secs: u64, _headers: &mut HeaderMap) {}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "messages": [{ "body": message }] }))
}

fn messages(title: &str, body: &str) -> Response {
    json_response(StatusCode::OK, json!({ "messages": [{ "title": title, "body": body }] }))
}

/// The account id the request's token acts as.
#[derive(Debug, Clone)]
struct Caller(String);

pub(super) fn router(shared: Arc<Shared>, control: &Arc<Control>) -> Router {
    let router = Router::new()
        .route("/v1/worklogs", get(worklogs))
        .route("/v1/start_timer", post(start_timer))
        .route("/v1/stop_timer", post(stop_timer))
        .route_layer(from_fn_with_state(shared.clone(), token_auth));
    // Layered after auth so that it runs first: unauthenticated requests count too.
    let report = controlled(report::router(&shared), control);
    controlled(router, control).merge(report).with_state(shared)
}

async fn token_auth(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("token"))
        .map(|(_, token)| token.trim());
    let account_id = token.and_then(|token| shared.data().tokens.get(token).cloned());
    match account_id {
        Some(account_id) => {
            request.extensions_mut().insert(Caller(account_id));
            next.run(request).await
        }
        None => error(StatusCode::UNAUTHORIZED, "Invalid token"),
    }
}

async fn worklogs(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let date = |name: &str| {
        query
            .get(name)
            .and_then(|value| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok())
            .ok_or_else(|| format!("{name} must be a date formatted as YYYY-MM-DD"))
    };
    let (from, to) = match (date("starting_at"), date("ending_at")) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let expand: Vec<String> = query.list("expand").iter().map(|e| e.to_ascii_lowercase()).collect();
    let account_id = query.get("account_id").filter(|id| !id.is_empty());
    let user_queries: Vec<String> =
        query.all("user_query[]").chain(query.all("user_query")).map(str::to_lowercase).collect();

    let data = shared.data();
    let is_wanted = |worklog: &FakeWorklog| match account_id {
        Some(account_id) => worklog.account_id == account_id,
        None if user_queries.is_empty() => true,
        None => data.author(&worklog.account_id).is_some_and(|author| {
            let email = author.email.as_deref().map(str::to_lowercase);
            user_queries
                .iter()
                .any(|q| *q == author.display_name.to_lowercase() || Some(q) == email.as_ref())
        }),
    };
    let mut found: Vec<&FakeWorklog> = data
        .worklogs
        .iter()
        .filter(|w| (from..=to).contains(&w.started.date_naive()) && is_wanted(w))
        .collect();
    found.sort_by_key(|w| w.started);
    let wants = |option: &str| expand.iter().any(|e| e == option);
    let body: Vec<Value> = found
        .into_iter()
        .map(|w| render_worklog(&data, w, wants("authors"), wants("emails"), wants("issues")))
        .collect();
    json_response(StatusCode::OK, Value::Array(body))
}

fn render_worklog(
    data: &ClockworkData,
    worklog: &FakeWorklog,
    authors: bool,
    emails: bool,
    issues: bool,
) -> Value {
    let mut author = json!({ "accountId": worklog.account_id });
    if let Some(known) = data.author(&worklog.account_id).filter(|_| authors) {
        author["displayName"] = json!(known.display_name);
        if let Some(email) = known.email.as_ref().filter(|_| emails) {
            author["emailAddress"] = json!(email);
        }
    }
    let mut value = json!({
        "id": worklog.id,
        "issueId": worklog.issue_id,
        "timeSpentSeconds": worklog.time_spent_seconds,
        "started": worklog.started.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string(),
        "comment": worklog.comment,
        "author": author,
    });
    if let Some(issue) = data.issues.iter().find(|i| i.id == worklog.issue_id).filter(|_| issues) {
        value["issue"] = json!({ "key": issue.key, "fields": { "summary": issue.summary } });
    }
    value
}

#[derive(Debug, Deserialize)]
struct TimerRequest {
    issue_key: String,
    comment: Option<String>,
}

fn timer_request(body: &[u8]) -> Result<TimerRequest, String> {
    serde_json::from_slice(body)
        .map_err(|problem| format!("Expected {{\"issue_key\": \"…\"}}: {problem}"))
}

async fn start_timer(
    State(shared): State<Arc<Shared>>,
    Extension(Caller(account_id)): Extension<Caller>,
    body: Bytes,
) -> Response {
    let request = match timer_request(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let key = request.issue_key;
    let mut data = shared.data();
    let Some(issue) = data.issues.iter().find(|i| i.key.eq_ignore_ascii_case(&key)).cloned() else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, &format!("Issue {key} not found"));
    };
    let already =
        |t: &FakeTimer| t.is_running() && t.running_for == account_id && t.issue_id == issue.id;
    if data.timers.iter().any(already) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("There is already a running timer for {}", issue.key),
        );
    }
    let worklog_count = data
        .worklogs
        .iter()
        .filter(|w| w.issue_id == issue.id && w.account_id == account_id)
        .count();
    let mut timer = FakeTimer::running(&issue.key, &issue.id, &account_id, Utc::now());
    timer.id = data.next_timer_id;
    timer.comment = request.comment;
    timer.worklog_count = u32::try_from(worklog_count).unwrap_or(u32::MAX);
    data.next_timer_id += 1;
    data.timers.push(timer);
    messages("Timer started", &format!("Timer started for {}.", issue.key))
}

/// Stops the caller's timer on the issue and logs the time, as Clockwork does.
async fn stop_timer(
    State(shared): State<Arc<Shared>>,
    Extension(Caller(account_id)): Extension<Caller>,
    body: Bytes,
) -> Response {
    let key = match timer_request(&body) {
        Ok(request) => request.issue_key,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut data = shared.data();
    let worklog_id = data.next_worklog_id.to_string();
    let Some(timer) = data.timers.iter_mut().find(|t| {
        t.is_running() && t.running_for == account_id && t.issue_key.eq_ignore_ascii_case(&key)
    }) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("There is no running timer for {key}"),
        );
    };
    let now = Utc::now();
    timer.finished_at = Some(now);
    timer.worklog_count += 1;
    // Clockwork logs at least a minute.
    let seconds = u64::try_from((now - timer.started_at).num_seconds()).unwrap_or(0).max(60);
    let mut worklog = FakeWorklog::new(
        &worklog_id,
        &timer.issue_id,
        &account_id,
        timer.started_at.fixed_offset(),
        seconds,
    );
    worklog.comment = timer.comment.clone();
    let issue_key = timer.issue_key.clone();
    data.add_worklog(worklog);
    let logged = format!("{}h {}m", seconds / 3600, seconds % 3600 / 60);
    messages("Timer stopped", &format!("Logged {logged} on {issue_key}."))
}
