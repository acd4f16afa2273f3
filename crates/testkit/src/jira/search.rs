//! `GET|POST /rest/api/3/search/jql`: JQL over the fake's issues, paged by `nextPageToken`;
//! and `POST /rest/api/3/search/approximate-count`.
//!
//! A search sorts its matches once and keeps them for its next pages (until the data
//! changes), so that paging through 100,000 issues stays linear. A first page is always a
//! fresh search, and it is the one that leaves out issues hidden by eventual consistency.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::jql::{self, Query, Subject};
use super::render::{FieldSelection, Renderer};
use super::routes::error;
use super::store::IssueEntry;
use super::{FakeIssue, FakeProject, JiraData, Shared};
use crate::faults::{QueryPairs, json_response};

const DEFAULT_MAX_RESULTS: i64 = 50;
/// Page caps: `id`/`key`-only searches get the largest pages.
const MAX_ID_RESULTS: i64 = 5000;
const MAX_FIELD_RESULTS: i64 = 100;
/// Scrambles offsets so that tokens look as opaque as real ones.
const TOKEN_MASK: u64 = 0x5eed_c10c_4b1d_f00d;

/// `SearchAndReconcileRequestBean`, the part the fake honours.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchRequest {
    #[serde(default)]
    jql: String,
    next_page_token: Option<String>,
    max_results: Option<i64>,
    #[serde(default)]
    fields: Vec<String>,
}

/// `JQLCountRequestBean`.
#[derive(Debug, Deserialize)]
struct CountRequest {
    #[serde(default)]
    jql: String,
}

pub(super) async fn get(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let max_results = match query.integer("maxResults") {
        Ok(max_results) => max_results,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let request = SearchRequest {
        jql: query.get("jql").unwrap_or_default().to_owned(),
        next_page_token: query.get("nextPageToken").map(str::to_owned),
        max_results,
        fields: query.list("fields"),
    };
    search(&shared, request)
}

pub(super) async fn post(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<SearchRequest>(&body) {
        Ok(mut request) => {
            request.fields = request
                .fields
                .iter()
                .flat_map(|f| f.split(','))
                .map(|f| f.trim().to_owned())
                .collect();
            search(&shared, request)
        }
        Err(problem) => {
            error(StatusCode::BAD_REQUEST, &format!("Invalid request payload: {problem}"))
        }
    }
}

pub(super) async fn approximate_count(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request = match serde_json::from_slice::<CountRequest>(&body) {
        Ok(request) => request,
        Err(problem) => {
            return error(StatusCode::BAD_REQUEST, &format!("Invalid request payload: {problem}"));
        }
    };
    let data = shared.data();
    match jql::parse(&request.jql, data.searcher_zone()) {
        Ok(query) => {
            json_response(StatusCode::OK, json!({ "count": matching(&data, &query).len() }))
        }
        Err(message) => error(StatusCode::BAD_REQUEST, &message),
    }
}

/// An issue as the query sees it.
pub(super) struct Candidate<'a> {
    pub(super) entry: &'a IssueEntry,
    pub(super) data: &'a JiraData,
}

impl Subject for Candidate<'_> {
    fn issue(&self) -> &FakeIssue {
        &self.entry.issue
    }

    fn project(&self) -> Option<&FakeProject> {
        self.data.project(&self.entry.issue.project_key)
    }

    fn has_worklog_by(&self, account_id: &str) -> bool {
        let worklogs = &self.data.worklogs;
        self.entry
            .worklogs
            .iter()
            .any(|id| worklogs.get(*id).is_some_and(|w| *w.author == *account_id))
    }

    fn comment_bodies(&self) -> Vec<&str> {
        let comments = &self.data.comments;
        self.entry.comments.iter().filter_map(|id| comments.get(*id)).map(|c| &*c.body).collect()
    }
}

/// The slots of the issues `query` matches, in its order.
fn matching(data: &JiraData, query: &Query) -> Vec<usize> {
    let mut slots: Vec<(usize, &FakeIssue)> = data
        .issues
        .iter()
        .filter(|(_, entry)| {
            !data.unbrowsable.contains(&entry.issue.id)
                && !data.unbrowsable.contains(&entry.issue.project_key.to_ascii_uppercase())
        })
        .filter(|(_, entry)| query.matches(&Candidate { entry, data }))
        .map(|(slot, entry)| (slot, &entry.issue))
        .collect();
    slots.sort_by(|(_, a), (_, b)| query.compare(a, b));
    slots.into_iter().map(|(slot, _)| slot).collect()
}

fn search(shared: &Shared, request: SearchRequest) -> Response {
    let mut guard = shared.data();
    let data = &mut *guard;
    let query = match jql::parse(&request.jql, data.searcher_zone()) {
        Ok(query) => query,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let offset = match request.next_page_token.as_deref().filter(|token| !token.is_empty()) {
        None => 0,
        Some(token) => match decode_token(token) {
            Some(offset) => offset,
            None => {
                return error(StatusCode::BAD_REQUEST, "The nextPageToken is invalid or expired.");
            }
        },
    };
    let selection = FieldSelection::parse(&request.fields, false);
    let cap = if selection.id_or_key_only() {
        MAX_ID_RESULTS
    } else {
        data.field_page_cap.unwrap_or(MAX_FIELD_RESULTS)
    };
    let page_size = request.max_results.unwrap_or(DEFAULT_MAX_RESULTS).clamp(1, cap);
    let page_size = usize::try_from(page_size).unwrap_or(1);

    let cached = (offset > 0).then(|| data.caches.search(&request.jql, data.version)).flatten();
    let matched = match cached {
        Some(slots) => slots,
        None => {
            let mut slots = matching(data, &query);
            if offset == 0 && !data.hidden_once.is_empty() {
                let (issues, hidden) = (&data.issues, &mut data.hidden_once);
                slots.retain(|slot| issues.get(*slot).is_none_or(|e| !hidden.remove(&e.issue.id)));
            }
            let slots: Arc<[usize]> = slots.into();
            data.caches.keep_search(&request.jql, data.version, slots.clone());
            slots
        }
    };
    let renderer = Renderer::new(&shared.base_url, data);
    let issues: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(page_size)
        .filter_map(|slot| data.issues.get(*slot))
        .map(|entry| renderer.issue(entry, &selection))
        .collect();
    let next = offset.saturating_add(page_size);
    let is_last = next >= matched.len();
    let mut body = json!({ "isLast": is_last });
    body["issues"] = Value::Array(issues);
    if !is_last {
        body["nextPageToken"] = json!(encode_token(next));
    }
    json_response(StatusCode::OK, body)
}

fn encode_token(offset: usize) -> String {
    format!("{:016x}", offset as u64 ^ TOKEN_MASK)
}

/// The offset behind a token this fake issued.
fn decode_token(token: &str) -> Option<usize> {
    let scrambled = u64::from_str_radix(token, 16).ok().filter(|_| token.len() == 16)?;
    usize::try_from(scrambled ^ TOKEN_MASK).ok()
}
