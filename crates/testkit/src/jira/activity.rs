//! An issue's comments and worklogs, paged: `GET /rest/api/3/issue/{issueIdOrKey}/comment`
//! (`PageOfComments`, `orderBy` only by creation) and `…/worklog` (`PageOfWorklogs`, oldest
//! first, `startedAfter`/`startedBefore` in epoch milliseconds).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use chrono::DateTime;
use http::StatusCode;
use serde_json::{Value, json};

use super::Shared;
use super::render::Renderer;
use super::routes::{error, paging};
use crate::faults::{QueryPairs, json_response};

const MAX_COMMENTS: usize = 100;
const MAX_WORKLOGS: usize = 5000;
const NO_ISSUE: &str = "Issue does not exist or you do not have permission to see it.";

pub(super) async fn comments(
    State(shared): State<Arc<Shared>>,
    Path(id_or_key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let (start, max) = match paging(&query, MAX_COMMENTS, MAX_COMMENTS) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let newest_first = match query.get("orderBy") {
        None | Some("created" | "+created") => false,
        Some("-created") => true,
        Some(_) => {
            return error(StatusCode::BAD_REQUEST, "orderBy can only be 'created'.");
        }
    };
    let data = shared.data();
    let Some(entry) = data.issues.find(&id_or_key) else {
        return error(StatusCode::NOT_FOUND, NO_ISSUE);
    };
    let renderer = Renderer::new(&shared.base_url, &data);
    let render = |id: &u64| Some(renderer.comment(&entry.issue.id, *id, data.comments.get(*id)?));
    let comments: Vec<Value> = if newest_first {
        entry.comments.iter().rev().skip(start).take(max).filter_map(render).collect()
    } else {
        entry.comments.iter().skip(start).take(max).filter_map(render).collect()
    };
    json_response(
        StatusCode::OK,
        json!({
            "comments": comments,
            "maxResults": max,
            "startAt": start,
            "total": entry.comments.len(),
        }),
    )
}

pub(super) async fn worklogs(
    State(shared): State<Arc<Shared>>,
    Path(id_or_key): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let (start, max) = match paging(&query, MAX_WORKLOGS, MAX_WORKLOGS) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let bound = |name: &str| match query.integer(name)? {
        None => Ok(None),
        Some(ms) => DateTime::from_timestamp_millis(ms)
            .map(Some)
            .ok_or_else(|| format!("'{name}' is out of range.")),
    };
    let (after, before) = match (bound("startedAfter"), bound("startedBefore")) {
        (Ok(after), Ok(before)) => (after, before),
        (Err(message), _) | (_, Err(message)) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let data = shared.data();
    let Some(entry) = data.issues.find(&id_or_key) else {
        return error(StatusCode::NOT_FOUND, NO_ISSUE);
    };
    let in_range: Vec<_> = entry
        .worklogs
        .iter()
        .filter_map(|id| Some((*id, data.worklogs.get(*id)?)))
        .filter(|(_, w)| after.is_none_or(|after| w.started >= after))
        .filter(|(_, w)| before.is_none_or(|before| w.started < before))
        .collect();
    let renderer = Renderer::new(&shared.base_url, &data);
    let worklogs: Vec<Value> = in_range
        .iter()
        .skip(start)
        .take(max)
        .map(|(id, worklog)| renderer.worklog(&entry.issue.id, *id, worklog))
        .collect();
    json_response(
        StatusCode::OK,
        json!({
            "startAt": start,
            "maxResults": max,
            "total": in_range.len(),
            "worklogs": worklogs,
        }),
    )
}
