//! Site-wide conditions, applied to every REST route before credentials are checked:
//!
//! - an outage (`set_site_status(503)`): every answer, `/status` included, has that status;
//! - a suspension (`set_license_plan("UNLICENSED")`): 503 everywhere but the license
//!   endpoint, which shows the plan, so that a client can tell an unpaid site from an outage;
//! - an expired API token as Jira sometimes reports it: 200, header
//!   `x-seraph-loginreason: AUTHENTICATED_FAILED`, and empty results;
//! - `X-RateLimit-NearLimit: true` on every answer, and 429s that carry only
//!   `X-RateLimit-Reset` (the injected [`Fault::RateLimited`](crate::Fault) carries
//!   `Retry-After`);
//! - a burst budget of requests per second, as Jira's: past 80% of it answers carry
//!   `X-RateLimit-NearLimit: true`, past all of it they are 429s with `Retry-After: 1`;
//! - a proxy's HTML sign-in page answered with 200 instead of Jira's JSON;
//!
//! and the peak of requests in flight and of requests in any one second, which tests of the
//! client's limits read.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use super::routes::error;
use super::{FakeJira, Shared};
use crate::faults::json_response;

const LICENSE_PATH: &str = "/rest/api/3/instance/license";
const UNLICENSED: &str = "UNLICENSED";

#[derive(Debug)]
pub(super) struct Site {
    outage: Option<StatusCode>,
    license_plan: String,
    seraph_failed: bool,
    near_limit: bool,
    /// How far ahead `X-RateLimit-Reset` points, for each 429 still to answer.
    reset_limited: VecDeque<Duration>,
    /// Requests still to be answered by a proxy's sign-in page.
    proxy_pages: usize,
    rate: Rate,
}

/// Requests per second: the budget, what arrived in the last second, the peak, the 429s.
#[derive(Debug, Default)]
struct Rate {
    budget: Option<usize>,
    arrivals: VecDeque<Instant>,
    peak: usize,
    limited: usize,
}

/// What the budget makes of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Budget {
    Within,
    Near,
    Over,
}

impl Rate {
    fn arrive(&mut self, now: Instant) -> Budget {
        while self
            .arrivals
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
        {
            self.arrivals.pop_front();
        }
        self.arrivals.push_back(now);
        self.peak = self.peak.max(self.arrivals.len());
        match self.budget {
            Some(budget) if self.arrivals.len() > budget => {
                self.limited += 1;
                Budget::Over
            }
            Some(budget) if self.arrivals.len() * 5 > budget * 4 => Budget::Near,
            _ => Budget::Within,
        }
    }
}

impl Default for Site {
    fn default() -> Self {
        Self {
            outage: None,
            license_plan: "PAID".to_owned(),
            seraph_failed: false,
            near_limit: false,
            reset_limited: VecDeque::new(),
            proxy_pages: 0,
            rate: Rate::default(),
        }
    }
}

impl Site {
    fn suspended(&self) -> bool {
        self.license_plan == UNLICENSED
    }

    /// What `/status` answers instead of `RUNNING`, if anything.
    pub(super) fn status_down(&self) -> Option<StatusCode> {
        self.outage.or(self.suspended().then_some(StatusCode::SERVICE_UNAVAILABLE))
    }

    pub(super) fn license_plan(&self) -> &str {
        &self.license_plan
    }

    /// Forgets the peak of requests per second and the 429s of the budget.
    pub(super) fn reset_rate(&mut self) {
        let rate = &mut self.rate;
        (rate.peak, rate.limited) = (rate.arrivals.len(), 0);
    }
}

/// Requests being served, and the most at once since the last reset.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl InFlight {
    pub(super) fn reset_peak(&self) {
        self.peak.store(self.now.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}

/// Site-wide conditions.
impl FakeJira {
    /// Answers every request, `/status` included, with `status` (e.g. 503 for a deactivated
    /// site); a 2xx restores normal service.
    ///
    /// # Panics
    /// When `status` is not an HTTP status code.
    pub fn set_site_status(&self, status: u16) {
        let status = StatusCode::from_u16(status).expect("an HTTP status code");
        self.shared.data().site.outage = (!status.is_success()).then_some(status);
    }

    /// The plan `GET /rest/api/3/instance/license` shows (`PAID` unless set; `FREE`,
    /// `UNLICENSED`). An `UNLICENSED` site is suspended: everything else answers 503.
    pub fn set_license_plan(&self, plan: &str) {
        self.shared.data().site.license_plan = plan.to_owned();
    }

    /// Answers every REST request as Jira does for an expired or revoked API token: 200 with
    /// `x-seraph-loginreason: AUTHENTICATED_FAILED` and empty results.
    pub fn set_seraph_auth_failed(&self, failed: bool) {
        self.shared.data().site.seraph_failed = failed;
    }

    /// Adds `X-RateLimit-NearLimit: true` to every REST answer (under 20% of budget left).
    pub fn set_near_limit(&self, near: bool) {
        self.shared.data().site.near_limit = near;
    }

    /// Answers the next `times` REST requests with 429s that carry `X-RateLimit-Reset`
    /// (`reset_in` from each answer) and no `Retry-After`.
    pub fn rate_limit_with_reset(&self, times: usize, reset_in: Duration) {
        let mut data = self.shared.data();
        data.site.reset_limited.extend(std::iter::repeat_n(reset_in, times));
    }

    /// Answers the next `times` REST requests with a proxy's HTML sign-in page and status
    /// 200, as when something other than Jira sits at the base URL.
    pub fn serve_proxy_page(&self, times: usize) {
        self.shared.data().site.proxy_pages += times;
    }

    /// Allows `per_second` REST requests in any one second, as Jira's burst limits do: past
    /// 80% of it answers carry `X-RateLimit-NearLimit: true`, past it they are 429s with
    /// `Retry-After: 1`. `None` lifts the budget.
    pub fn set_rate_budget(&self, per_second: Option<usize>) {
        self.shared.data().site.rate.budget = per_second;
    }

    /// The most REST requests that arrived within one second, since the start or
    /// [`FakeJira::reset_counts`].
    pub fn peak_requests_per_second(&self) -> usize {
        self.shared.data().site.rate.peak
    }

    /// Requests answered 429 because the rate budget was spent.
    pub fn over_budget_answers(&self) -> usize {
        self.shared.data().site.rate.limited
    }

    /// The most requests served at once since the start or [`FakeJira::reset_counts`].
    pub fn peak_in_flight(&self) -> usize {
        self.shared.in_flight.peak.load(Ordering::SeqCst)
    }
}

/// Middleware around the whole router: counts requests in flight.
pub(super) async fn track_in_flight(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let in_flight = &shared.in_flight;
    let now = in_flight.now.fetch_add(1, Ordering::SeqCst) + 1;
    in_flight.peak.fetch_max(now, Ordering::SeqCst);
    let response = next.run(request).await;
    in_flight.now.fetch_sub(1, Ordering::SeqCst);
    response
}

/// Route middleware of the REST routes: the site's conditions, before authentication.
pub(super) async fn conditions(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| request.uri().path().to_owned(), |path| path.as_str().to_owned());
    let (outage, suspended, reset_in, proxy_page, seraph_failed, near_limit, budget) = {
        let mut data = shared.data();
        let site = &mut data.site;
        let budget = site.rate.arrive(Instant::now());
        let reset_in = site.reset_limited.pop_front();
        let proxy_page = site.proxy_pages > 0;
        site.proxy_pages = site.proxy_pages.saturating_sub(1);
        let seraph = site.seraph_failed;
        let near_limit = site.near_limit || budget == Budget::Near;
        (site.outage, site.suspended(), reset_in, proxy_page, seraph, near_limit, budget)
    };
    let mut response = if let Some(status) = outage {
        error(status, "This site is unavailable.")
    } else if suspended && path != LICENSE_PATH {
        error(StatusCode::SERVICE_UNAVAILABLE, "This site is suspended.")
    } else if budget == Budget::Over {
        over_budget()
    } else if let Some(reset_in) = reset_in {
        reset_limited(reset_in)
    } else if proxy_page {
        let page = "<html><head><title>Sign in</title></head><body>Please sign in.</body></html>";
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response()
    } else if seraph_failed {
        let mut response = json_response(StatusCode::OK, anonymous_body(&path));
        response
            .headers_mut()
            .insert("x-seraph-loginreason", HeaderValue::from_static("AUTHENTICATED_FAILED"));
        response
    } else {
        next.run(request).await
    };
    if near_limit {
        response.headers_mut().insert("x-ratelimit-nearlimit", HeaderValue::from_static("true"));
    }
    response
}

/// A 429 of the burst budget.
fn over_budget() -> Response {
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded.");
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    headers.insert("ratelimit-reason", HeaderValue::from_static("jira-burst-based"));
    response
}

fn reset_limited(reset_in: Duration) -> Response {
    let reset = Utc::now() + chrono::Duration::from_std(reset_in).unwrap_or_default();
    let reset = reset.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut response = error(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded.");
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("350"));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    if let Ok(reset) = HeaderValue::from_str(&reset) {
        headers.insert("x-ratelimit-reset", reset);
    }
    headers.insert("ratelimit-reason", HeaderValue::from_static("jira-quota-tenant-based"));
    response
}

/// What an anonymous caller gets from `path`: nothing, in the endpoint's own shape.
fn anonymous_body(path: &str) -> Value {
    match path {
        "/rest/api/3/search/jql" => json!({ "issues": [], "isLast": true }),
        "/rest/api/3/search/approximate-count" => json!({ "count": 0 }),
        "/rest/api/3/issue/{issueIdOrKey}/comment" => {
            json!({ "comments": [], "startAt": 0, "maxResults": 0, "total": 0 })
        }
        "/rest/api/3/issue/{issueIdOrKey}/worklog" => {
            json!({ "worklogs": [], "startAt": 0, "maxResults": 0, "total": 0 })
        }
        "/rest/api/3/worklog/updated" | "/rest/api/3/worklog/deleted" => {
            json!({ "values": [], "lastPage": true })
        }
        "/rest/api/3/worklog/list" | "/rest/api/3/user/assignable/search" => json!([]),
        _ => json!({ "startAt": 0, "maxResults": 0, "total": 0, "isLast": true, "values": [] }),
    }
}
