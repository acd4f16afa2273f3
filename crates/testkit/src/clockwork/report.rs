//! The report app beside the API: `GET /timers.json?page=N&xdm_e=…` at the server root, every
//! timer (running and finished) in id order, behind `Authorization: JWT <token>`. Tokens are
//! minted by a linked [`FakeJira`](crate::FakeJira), which registers them here with their
//! expiry through [`ReportApp`].

use std::sync::Arc;

use axum::Router;
use axum::extract::{RawQuery, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use http::{StatusCode, header};
use serde_json::{Value, json};

use super::routes::error;
use super::{ClockworkData, Shared};
use crate::faults::{QueryPairs, json_response};

/// Timers a page unless [`FakeClockwork::set_timers_page_size`](super::FakeClockwork) says otherwise.
pub(super) const DEFAULT_PAGE_SIZE: usize = 50;

pub(super) fn router(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route("/timers.json", get(timers))
        .route_layer(from_fn_with_state(shared.clone(), jwt_auth))
}

/// What a linked fake Jira drives: it registers the credentials it mints, and reads pages
/// for Forge's `invokeExtension`.
#[derive(Debug, Clone)]
pub(crate) struct ReportApp(pub(super) Arc<Shared>);

impl ReportApp {
    /// Accepts `token` until `expires_at`.
    pub(crate) fn accept(&self, token: &str, expires_at: DateTime<Utc>) {
        self.0.data().report_tokens.insert(token.to_owned(), expires_at);
    }

    pub(crate) fn accepts(&self, token: &str, now: DateTime<Utc>) -> bool {
        self.0.data().report_tokens.get(token).is_some_and(|expires_at| now < *expires_at)
    }

    /// The `timers.json` body of a 1-based page.
    pub(crate) fn timers_page(&self, page: usize, now: DateTime<Utc>) -> Value {
        render_page(&self.0.data(), page, now)
    }
}

async fn jwt_auth(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("jwt"))
        .map(|(_, token)| token.trim());
    let accepted = token.is_some_and(|token| ReportApp(shared).accepts(token, Utc::now()));
    if accepted {
        next.run(request).await
    } else {
        error(StatusCode::UNAUTHORIZED, "Invalid or expired JWT")
    }
}

async fn timers(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let query = QueryPairs::parse(raw.as_deref());
    if query.get("xdm_e").is_none_or(str::is_empty) {
        return error(StatusCode::BAD_REQUEST, "xdm_e (the Jira site's URL) is required");
    }
    let page = match query.integer("page") {
        Ok(page) => page.unwrap_or(1),
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let Some(page) = usize::try_from(page).ok().filter(|page| *page >= 1) else {
        return error(StatusCode::BAD_REQUEST, "page starts at 1");
    };
    json_response(StatusCode::OK, render_page(&shared.data(), page, Utc::now()))
}

fn render_page(data: &ClockworkData, page: usize, now: DateTime<Utc>) -> Value {
    let size = data.timers_page_size.max(1);
    let mut timers: Vec<_> = data.timers.iter().collect();
    timers.sort_by_key(|timer| timer.id);
    let total = timers.len();
    let pages = total.div_ceil(size).max(1);
    let start_at = page.saturating_sub(1).saturating_mul(size);
    let listed: Vec<Value> =
        timers.iter().skip(start_at).take(size).map(|timer| timer.to_raw_json(now)).collect();
    json!({
        "timers": listed,
        "startAt": start_at,
        "maxResults": size,
        "total": total,
        "isLast": page >= pages,
        "page": page,
        "pages": pages,
        "isFirst": page == 1,
    })
}
