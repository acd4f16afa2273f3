//! Worklogs changed or deleted anywhere since a time, and worklogs by id:
//!
//! - `GET /rest/api/3/worklog/updated?since=<ms>` and `…/worklog/deleted?since=<ms>`
//!   (`ChangedWorklogs`): changes at or after `since`, oldest first (ties by id), at most
//!   1000 a page; `until` is the time of the page's last change and `nextPage` asks from
//!   there. Changes of the last minute before the request are never listed, so a cursor
//!   taken from the clock skips them; a page of 1000 changes sharing one millisecond names
//!   that millisecond as both `since` and `until`.
//! - `POST /rest/api/3/worklog/list` (`WorklogIdsRequestBean`): at most 1000 ids; unknown and
//!   deleted ids are left out.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use chrono::Utc;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Shared;
use super::render::Renderer;
use super::routes::error;
use crate::faults::{QueryPairs, json_response};

const PAGE: usize = 1000;
const MAX_IDS: usize = 1000;

#[derive(Debug, Deserialize)]
struct IdsRequest {
    ids: Vec<u64>,
}

pub(super) async fn updated(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let since = match QueryPairs::parse(raw.as_deref()).integer("since") {
        Ok(since) => since.unwrap_or(0),
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut guard = shared.data();
    let data = &mut *guard;
    let cutoff = cutoff(data.feed_lag());
    let worklogs = &data.worklogs;
    let feed = data.caches.worklog_feed(data.version, || {
        worklogs.iter().map(|(id, w)| (w.updated.timestamp_millis(), id)).collect()
    });
    json_response(StatusCode::OK, changes(&shared.base_url, "updated", &feed, since, cutoff))
}

pub(super) async fn deleted(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let since = match QueryPairs::parse(raw.as_deref()).integer("since") {
        Ok(since) => since.unwrap_or(0),
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let data = shared.data();
    let cutoff = cutoff(data.feed_lag());
    let body = changes(&shared.base_url, "deleted", &data.deleted_worklogs, since, cutoff);
    json_response(StatusCode::OK, body)
}

pub(super) async fn list(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request = match serde_json::from_slice::<IdsRequest>(&body) {
        Ok(request) => request,
        Err(problem) => {
            return error(StatusCode::BAD_REQUEST, &format!("Invalid request payload: {problem}"));
        }
    };
    if request.ids.len() > MAX_IDS {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("The number of worklog IDs must not exceed {MAX_IDS}."),
        );
    }
    let data = shared.data();
    let renderer = Renderer::new(&shared.base_url, &data);
    let worklogs: Vec<Value> = request
        .ids
        .iter()
        .filter_map(|id| {
            let worklog = data.worklogs.get(*id)?;
            let issue = data.issues.get(worklog.issue)?;
            Some(renderer.worklog(&issue.issue.id, *id, worklog))
        })
        .collect();
    json_response(StatusCode::OK, Value::Array(worklogs))
}

/// Changes at or after this time (epoch ms) are not listed yet.
fn cutoff(lag: std::time::Duration) -> i64 {
    let lag = i64::try_from(lag.as_millis()).unwrap_or(i64::MAX);
    Utc::now().timestamp_millis().saturating_sub(lag)
}

/// One `ChangedWorklogs` page out of `entries` ((time ms, worklog id), sorted).
fn changes(base: &str, kind: &str, entries: &[(i64, u64)], since: i64, cutoff: i64) -> Value {
    let from = entries.partition_point(|(time, _)| *time < since);
    let to = entries.partition_point(|(time, _)| *time < cutoff).max(from);
    let visible = &entries[from..to];
    let page = &visible[..visible.len().min(PAGE)];
    let first = page.first().map_or(since, |(time, _)| *time);
    let until = page.last().map_or(since, |(time, _)| *time);
    let values: Vec<Value> = page
        .iter()
        .map(|(time, id)| json!({ "worklogId": id, "updatedTime": time, "properties": [] }))
        .collect();
    json!({
        "values": values,
        "since": first,
        "until": until,
        "self": format!("{base}/rest/api/3/worklog/{kind}?since={since}"),
        "nextPage": format!("{base}/rest/api/3/worklog/{kind}?since={until}"),
        "lastPage": page.len() == visible.len(),
    })
}
