//! Projects, who may be assigned in them, and the site's license:
//! `GET /rest/api/3/project/search` (`PageBeanProject`, at most 100 a page),
//! `GET /rest/api/3/user/assignable/search?project=…` (a plain array; like Jira, it takes the
//! `startAt`/`maxResults` window of all users, up to the thousandth, and keeps those who may
//! be assigned, so pages come short while more remain), and
//! `GET /rest/api/3/user/search?query=…` (a plain array of active users whose display name
//! has a word, or whose visible email, starting with the query; like Jira, a user hiding
//! their email is still found by the exact address, without it in the answer), and
//! `GET /rest/api/3/instance/license` (`License`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use super::render::Renderer;
use super::routes::{error, page, paging};
use super::{FakeProject, FakeUser, Shared};
use crate::faults::{QueryPairs, json_response};

const MAX_PROJECTS: usize = 100;
const DEFAULT_PROJECTS: usize = 50;
const MAX_USERS: usize = 100;
const DEFAULT_USERS: usize = 50;
/// Assignable search never looks past this many users.
const USER_WINDOW: usize = 1000;

pub(super) async fn projects(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let (start, max) = match paging(&query, DEFAULT_PROJECTS, MAX_PROJECTS) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let data = shared.data();
    let mut projects: Vec<&FakeProject> =
        data.projects.iter().filter(|p| !data.unbrowsable.contains(&p.key)).collect();
    projects.sort_by(|a, b| a.key.cmp(&b.key));
    let renderer = Renderer::new(&shared.base_url, &data);
    let values: Vec<Value> =
        projects.iter().skip(start).take(max).map(|p| renderer.project(p)).collect();
    let mut body = page(start, max, projects.len(), values);
    let url = |start: usize| {
        format!("{}/rest/api/3/project/search?startAt={start}&maxResults={max}", shared.base_url)
    };
    body["self"] = json!(url(start));
    if body["isLast"] == false {
        body["nextPage"] = json!(url(start + max));
    }
    json_response(StatusCode::OK, body)
}

pub(super) async fn assignable_users(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let (start, max) = match paging(&query, DEFAULT_USERS, MAX_USERS) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let Some(wanted) = query.get("project") else {
        return error(
            StatusCode::BAD_REQUEST,
            "At least one of 'issueKey', 'issueId' or 'project' is required.",
        );
    };
    let data = shared.data();
    let Some(project) = data.project(wanted) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("No project could be found with key '{wanted}'."),
        );
    };
    let members = data.assignable.get(&project.key.to_ascii_uppercase());
    let renderer = Renderer::new(&shared.base_url, &data);
    let end = start.saturating_add(max).min(USER_WINDOW);
    let users: Vec<Value> = data
        .users
        .iter()
        .take(end)
        .skip(start)
        .filter(|user| user.active)
        .filter(|user| members.is_none_or(|members| members.contains(&user.account_id)))
        .map(|user| renderer.user(user))
        .collect();
    json_response(StatusCode::OK, Value::Array(users))
}

pub(super) async fn user_search(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let (start, max) = match paging(&query, DEFAULT_USERS, USER_WINDOW) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let Some(wanted) = query.get("query").map(str::to_lowercase).filter(|q| !q.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "One of 'accountId', 'query' or 'property' must be specified.",
        );
    };
    let data = shared.data();
    let renderer = Renderer::new(&shared.base_url, &data);
    let matches = |user: &&FakeUser| {
        let name = user.display_name.to_lowercase();
        let email = user.email.as_deref().map(str::to_lowercase);
        name.starts_with(&wanted)
            || name.split_whitespace().any(|word| word.starts_with(&wanted))
            || email.is_some_and(|email| email.starts_with(&wanted))
            || user.hidden_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&wanted))
    };
    let users: Vec<Value> = data
        .users
        .iter()
        .filter(|user| user.active)
        .filter(matches)
        .take(USER_WINDOW)
        .skip(start)
        .take(max)
        .map(|user| renderer.user(user))
        .collect();
    json_response(StatusCode::OK, Value::Array(users))
}

pub(super) async fn license(State(shared): State<Arc<Shared>>) -> Response {
    let data = shared.data();
    let plan = data.site.license_plan();
    json_response(
        StatusCode::OK,
        json!({ "applications": [{ "id": "jira-software", "plan": plan }] }),
    )
}
