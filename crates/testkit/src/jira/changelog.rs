//! Issues' change histories: what [`FakeJira::update_issue`](super::FakeJira::update_issue)
//! changes is recorded as Jira records it (one entry per edit, an item per changed field),
//! and `POST /rest/api/3/changelog/bulkfetch` serves them with its documented limits: 1 to
//! 1,000 issues by id or key, at most 10 field ids, `maxResults` 1 to 10,000 (default 1,000)
//! histories a page, oldest first (then by issue id), continued by `nextPageToken`. `GET
//! /rest/api/3/status` lists the statuses of the fake's workflow and any other an issue was
//! ever in, with their categories.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::render::{Renderer, status_id};
use super::routes::error;
use super::store::{StoredHistory, StoredItem};
use super::{FakeIssue, JiraData, Shared};
use crate::faults::json_response;

/// The statuses every fake site's workflow has, whether or not an issue is in them.
const WORKFLOW: [&str; 5] = ["To Do", "In Progress", "In Review", "Done", "Backlog"];
const MAX_ISSUES: usize = 1000;
const MAX_FIELDS: usize = 10;
const DEFAULT_PAGE: usize = 1000;
const MAX_PAGE: usize = 10_000;
/// Page tokens are offsets behind this prefix: opaque enough that clients pass them back.
const TOKEN_PREFIX: &str = "changelog-offset-";

fn shared(value: impl Into<Arc<str>>) -> Option<Arc<str>> {
    Some(value.into())
}

/// An item for a change of `field` from `from` to `to`, `raw` giving each value's id.
fn item(
    field: &'static str,
    from: Option<&str>,
    to: Option<&str>,
    raw: impl Fn(&str) -> Option<Arc<str>>,
) -> StoredItem {
    StoredItem {
        field,
        from: from.and_then(&raw),
        from_string: from.and_then(shared),
        to: to.and_then(&raw),
        to_string: to.and_then(shared),
    }
}

/// A status move, as Jira's changelog writes it.
pub(super) fn status_item(from: &str, to: &str) -> StoredItem {
    item("status", Some(from), Some(to), |name| shared(status_id(name)))
}

impl JiraData {
    /// Appends an entry to the issue's changelog by `author` at `at`; none when no item.
    pub(super) fn record_history(
        &mut self,
        slot: usize,
        author: Arc<str>,
        at: DateTime<Utc>,
        items: Vec<StoredItem>,
    ) {
        if items.is_empty() {
            return;
        }
        self.histories += 1;
        let id = 10_000 + self.histories;
        if let Some(entry) = self.issues.get_mut(slot) {
            entry.changelog.push(StoredHistory { id, author, created: at, items });
        }
    }

    /// The items of an edit that turned `before` into `after`.
    pub(super) fn changed_items(&self, before: &FakeIssue, after: &FakeIssue) -> Vec<StoredItem> {
        let person = |id: &str| self.user(id).map_or("Former user", |u| &u.display_name).to_owned();
        let mut items = Vec::new();
        if before.status != after.status {
            items.push(status_item(&before.status, &after.status));
        }
        if before.summary != after.summary {
            items.push(item("summary", Some(&before.summary), Some(&after.summary), |_| None));
        }
        if before.assignee != after.assignee {
            let (from, to) = (before.assignee.as_deref(), after.assignee.as_deref());
            items.push(StoredItem {
                from_string: from.map(person).and_then(shared),
                to_string: to.map(person).and_then(shared),
                ..item("assignee", from, to, |id| shared(id))
            });
        }
        if before.priority != after.priority {
            let (from, to) = (before.priority.as_deref(), after.priority.as_deref());
            items.push(item("priority", from, to, |_| None));
        }
        if before.resolution_date.is_some() != after.resolution_date.is_some() {
            let done = |date: Option<DateTime<Utc>>| date.map(|_| "Done");
            let (from, to) = (done(before.resolution_date), done(after.resolution_date));
            items.push(item("resolution", from, to, |_| shared("10000")));
        }
        items
    }
}

pub(super) async fn statuses(State(shared): State<Arc<Shared>>) -> Response {
    let data = shared.data();
    let mut names: Vec<&str> = WORKFLOW.to_vec();
    for (_, entry) in data.issues.iter() {
        names.push(&entry.issue.status);
        let moves = entry.changelog.iter().flat_map(|history| &history.items);
        for item in moves.filter(|item| item.field == "status") {
            names.extend(item.from_string.as_deref());
            names.extend(item.to_string.as_deref());
        }
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|name| seen.insert(name.to_ascii_lowercase()));
    let renderer = Renderer::new(&shared.base_url, &data);
    let statuses: Vec<Value> = names.into_iter().map(|name| renderer.status(name)).collect();
    json_response(StatusCode::OK, Value::Array(statuses))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BulkRequest {
    issue_ids_or_keys: Vec<String>,
    #[serde(default)]
    field_ids: Vec<String>,
    #[serde(default)]
    max_results: Option<i64>,
    #[serde(default)]
    next_page_token: Option<String>,
}

pub(super) async fn bulkfetch(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request = match serde_json::from_slice::<BulkRequest>(&body) {
        Ok(request) => request,
        Err(problem) => {
            return error(StatusCode::BAD_REQUEST, &format!("Invalid request payload: {problem}"));
        }
    };
    let ids = &request.issue_ids_or_keys;
    if ids.is_empty() || ids.len() > MAX_ISSUES {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("Provide between 1 and {MAX_ISSUES} issue IDs or keys."),
        );
    }
    if request.field_ids.len() > MAX_FIELDS {
        return error(StatusCode::BAD_REQUEST, &format!("Provide at most {MAX_FIELDS} field IDs."));
    }
    let size = match request.max_results {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE as i64).contains(&n) => n as usize,
        Some(n) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("maxResults must be between 1 and {MAX_PAGE}, not {n}."),
            );
        }
    };
    let start = match request.next_page_token.as_deref() {
        None => 0,
        Some(token) => match token.strip_prefix(TOKEN_PREFIX).and_then(|n| n.parse().ok()) {
            Some(offset) => offset,
            None => return error(StatusCode::BAD_REQUEST, "The nextPageToken is invalid."),
        },
    };
    let data = shared.data();
    let fields = &request.field_ids;
    let keep = |item: &StoredItem| fields.is_empty() || fields.iter().any(|f| f == item.field);
    let mut slots: Vec<usize> = ids.iter().filter_map(|id| data.issues.slot(id)).collect();
    slots.sort_unstable();
    slots.dedup();
    let mut histories: Vec<(DateTime<Utc>, u64, &str, &StoredHistory)> = slots
        .iter()
        .filter_map(|slot| data.issues.get(*slot))
        .filter(|entry| {
            let issue = &entry.issue;
            !data.unbrowsable.contains(&issue.id)
                && !data.unbrowsable.contains(&issue.project_key.to_ascii_uppercase())
        })
        .flat_map(|entry| {
            let id = entry.issue.id.as_str();
            let number = id.parse().unwrap_or(u64::MAX);
            entry.changelog.iter().map(move |history| (history.created, number, id, history))
        })
        .filter(|(.., history)| history.items.iter().any(keep))
        .collect();
    histories.sort_by_key(|(created, number, _, history)| (*created, *number, history.id));
    let page = histories.iter().skip(start).take(size);
    let renderer = Renderer::new(&shared.base_url, &data);
    let mut logs: Vec<(&str, Vec<Value>)> = Vec::new();
    for (_, _, issue_id, history) in page {
        let rendered = renderer.history(history, keep);
        match logs.iter_mut().find(|(id, _)| id == issue_id) {
            Some((_, entries)) => entries.push(rendered),
            None => logs.push((issue_id, vec![rendered])),
        }
    }
    let logs: Vec<Value> = logs
        .into_iter()
        .map(|(issue_id, entries)| json!({ "issueId": issue_id, "changeHistories": entries }))
        .collect();
    let mut body = json!({ "issueChangeLogs": logs });
    let next = start.saturating_add(size);
    if next < histories.len() {
        body["nextPageToken"] = json!(format!("{TOKEN_PREFIX}{next}"));
    }
    json_response(StatusCode::OK, body)
}
