//! The Agile API's boards and sprints: `GET /rest/agile/1.0/board?projectKeyOrId=…` and
//! `GET /rest/agile/1.0/board/{boardId}/sprint?state=…`, paged by `startAt` (at most 50).
//! A board without sprints (kanban) answers 400 to the sprint listing, as Jira does.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use serde_json::Value;

use super::render::Renderer;
use super::routes::{error, page, paging};
use super::{FakeBoard, FakeSprint, Shared};
use crate::faults::{QueryPairs, json_response};

const MAX_RESULTS: usize = 50;
const STATES: [&str; 3] = ["closed", "active", "future"];

pub(super) async fn boards(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let (start, max) = match paging(&query, MAX_RESULTS, MAX_RESULTS) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let data = shared.data();
    let project = match query.get("projectKeyOrId") {
        None => None,
        Some(wanted) => match data.project(wanted) {
            Some(project) => Some(project.key.as_str()),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("No project could be found with key or id '{wanted}'."),
                );
            }
        },
    };
    let mut boards: Vec<&FakeBoard> = data
        .boards
        .iter()
        .filter(|board| project.is_none_or(|key| board.project_key.eq_ignore_ascii_case(key)))
        .collect();
    boards.sort_by_key(|board| board.id);
    let renderer = Renderer::new(&shared.base_url, &data);
    let values: Vec<Value> =
        boards.iter().skip(start).take(max).map(|board| renderer.board(board)).collect();
    json_response(StatusCode::OK, page(start, max, boards.len(), values))
}

pub(super) async fn sprints(
    State(shared): State<Arc<Shared>>,
    Path(board_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    let (start, max) = match paging(&query, MAX_RESULTS, MAX_RESULTS) {
        Ok(paging) => paging,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let states = query.list("state");
    if let Some(unknown) = states.iter().find(|state| !STATES.contains(&state.as_str())) {
        return error(StatusCode::BAD_REQUEST, &format!("Unknown sprint state '{unknown}'."));
    }
    let data = shared.data();
    let board = board_id.parse::<u64>().ok().and_then(|id| data.boards.iter().find(|b| b.id == id));
    let Some(board) = board else {
        return error(
            StatusCode::NOT_FOUND,
            "Board does not exist or you do not have permission to see it.",
        );
    };
    if !board.sprints_enabled {
        return error(StatusCode::BAD_REQUEST, "The board does not support sprints");
    }
    let mut sprints: Vec<&FakeSprint> = data
        .sprints
        .iter()
        .filter(|sprint| sprint.board_id == board.id)
        .filter(|sprint| states.is_empty() || states.contains(&sprint.state))
        .collect();
    // Closed, then active, then future sprints, as Jira lists them.
    let rank = |sprint: &FakeSprint| STATES.iter().position(|s| *s == sprint.state);
    sprints.sort_by_key(|sprint| (rank(sprint), sprint.id));
    let renderer = Renderer::new(&shared.base_url, &data);
    let values: Vec<Value> =
        sprints.iter().skip(start).take(max).map(|sprint| renderer.sprint(sprint)).collect();
    json_response(StatusCode::OK, page(start, max, sprints.len(), values))
}
