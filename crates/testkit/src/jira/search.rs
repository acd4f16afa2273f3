//! `GET|POST /rest/api/3/search/jql`: JQL over the fake's issues, paged by `nextPageToken`.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use bytes::Bytes;
use chrono_tz::Tz;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::render::{FieldSelection, Renderer};
use super::routes::error;
use super::{API_USER_ACCOUNT_ID, FakeIssue, JiraData, Shared, jql};
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

fn search(shared: &Shared, request: SearchRequest) -> Response {
    let data = shared.data();
    let query = match jql::parse(&request.jql, searcher_zone(&data)) {
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

    let mut matched: Vec<&FakeIssue> = data
        .issues
        .iter()
        .filter(|issue| query.matches(issue, data.project(&issue.project_key)))
        .collect();
    matched.sort_by(|a, b| query.compare(a, b));
    let renderer = Renderer { base: &shared.base_url, data: &data };
    let issues: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|issue| renderer.issue(issue, &selection))
        .collect();
    let next = offset.saturating_add(page_size);
    let is_last = next >= matched.len();
    let mut body = json!({ "issues": issues, "isLast": is_last });
    if !is_last {
        body["nextPageToken"] = json!(encode_token(next));
    }
    json_response(StatusCode::OK, body)
}

/// Jira reads zone-less JQL dates in the searching account's zone.
fn searcher_zone(data: &JiraData) -> Tz {
    let name = data.user(API_USER_ACCOUNT_ID).map_or("UTC", |user| user.time_zone.as_str());
    name.parse().unwrap_or_else(|_| {
        tracing::warn!(time_zone = name, "unknown time zone on the fake Jira user; using UTC");
        Tz::UTC
    })
}

fn encode_token(offset: usize) -> String {
    format!("{:016x}", offset as u64 ^ TOKEN_MASK)
}

/// The offset behind a token this fake issued.
fn decode_token(token: &str) -> Option<usize> {
    let scrambled = u64::from_str_radix(token, 16).ok().filter(|_| token.len() == 16)?;
    usize::try_from(scrambled ^ TOKEN_MASK).ok()
}
