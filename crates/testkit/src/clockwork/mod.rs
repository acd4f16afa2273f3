//! A stateful fake of the Clockwork Pro public API (`…/v1`): per-user tokens, worklogs, and
//! timers started and stopped by issue key; and, at the server root, the report app's
//! `timers.json`.
//!
//! - [`routes`]: token auth, `GET /worklogs`, `POST /start_timer`, `POST /stop_timer`.
//! - [`report`]: `GET /timers.json`, paged, behind `JWT` credentials a linked fake Jira mints.
//! - [`timer`]: [`FakeTimer`] and its `RawTimer` JSON (the report app's `timers.json` shape).

mod report;
mod routes;
mod timer;

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};

use crate::faults::{Control, Fault, Server};
pub(crate) use report::ReportApp;
pub use timer::FakeTimer;

/// A worklog as Clockwork lists it; `started` keeps the author's UTC offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeWorklog {
    pub id: String,
    pub issue_id: String,
    pub account_id: String,
    pub time_spent_seconds: u64,
    pub started: DateTime<FixedOffset>,
    pub comment: Option<String>,
}

impl FakeWorklog {
    pub fn new(
        id: &str,
        issue_id: &str,
        account_id: &str,
        started: DateTime<FixedOffset>,
        time_spent_seconds: u64,
    ) -> Self {
        Self {
            id: id.into(),
            issue_id: issue_id.into(),
            account_id: account_id.into(),
            time_spent_seconds,
            started,
            comment: None,
        }
    }
}

/// A Jira user as Clockwork knows it (for `expand=authors,emails` and timer authors).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FakeAuthor {
    pub account_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone)]
struct IssueRef {
    id: String,
    key: String,
    summary: String,
}

#[derive(Debug)]
struct ClockworkData {
    /// Token → the account id it acts as.
    tokens: HashMap<String, String>,
    issues: Vec<IssueRef>,
    authors: Vec<FakeAuthor>,
    worklogs: Vec<FakeWorklog>,
    timers: Vec<FakeTimer>,
    next_timer_id: u64,
    next_worklog_id: u64,
    /// Report-app credentials → when they expire.
    report_tokens: HashMap<String, DateTime<Utc>>,
    timers_page_size: usize,
}

impl Default for ClockworkData {
    fn default() -> Self {
        Self {
            tokens: HashMap::new(),
            issues: Vec::new(),
            authors: Vec::new(),
            worklogs: Vec::new(),
            timers: Vec::new(),
            next_timer_id: 1,
            next_worklog_id: 100_000,
            report_tokens: HashMap::new(),
            timers_page_size: report::DEFAULT_PAGE_SIZE,
        }
    }
}

impl ClockworkData {
    fn author(&self, account_id: &str) -> Option<&FakeAuthor> {
        self.authors.iter().find(|a| a.account_id == account_id)
    }

    fn add_worklog(&mut self, worklog: FakeWorklog) {
        if let Ok(id) = worklog.id.parse::<u64>() {
            self.next_worklog_id = self.next_worklog_id.max(id + 1);
        }
        self.worklogs.retain(|w| w.id != worklog.id);
        self.worklogs.push(worklog);
    }
}

#[derive(Debug, Default)]
struct Shared {
    data: Mutex<ClockworkData>,
}

impl Shared {
    fn data(&self) -> MutexGuard<'_, ClockworkData> {
        self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running fake Clockwork API; stops accepting connections when dropped.
#[derive(Debug)]
pub struct FakeClockwork {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeClockwork {
    /// Starts on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start() -> Self {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        Self::start_on(addr).await.expect("binding a loopback port for fake Clockwork")
    }

    pub async fn start_on(addr: SocketAddr) -> io::Result<Self> {
        let (listener, base_url) = Server::bind(addr, routes::BASE_PATH).await?;
        let shared = Arc::new(Shared::default());
        let control = Control::new(routes::DIALECT, routes::BASE_PATH);
        let router = routes::router(shared.clone(), &control);
        let server = Server::spawn(listener, base_url, router, control)?;
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT/v1`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// `http://127.0.0.1:PORT`: the report app (`/timers.json`) lives at the server root.
    pub fn report_base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    pub fn shutdown(&self) {
        self.server.shutdown();
    }

    /// Requests to `endpoint`, e.g. `"POST /start_timer"` or `"GET /timers.json"` (keys leave
    /// out the `/v1`).
    pub fn requests(&self, endpoint: &str) -> usize {
        self.server.control().requests(endpoint)
    }

    pub fn total_requests(&self) -> usize {
        self.server.control().total_requests()
    }

    pub fn reset_counts(&self) {
        self.server.control().reset_counts();
    }

    /// Makes the next `times` requests to `endpoint` misbehave (see [`Fault`]).
    pub fn inject(&self, endpoint: &str, fault: Fault, times: usize) {
        self.server.control().inject(endpoint, fault, times);
    }

    pub fn set_latency(&self, latency: Duration) {
        self.server.control().set_latency(latency);
    }

    /// Accepts `Authorization: Token <token>` as the user `account_id`.
    pub fn add_token(&self, token: &str, account_id: &str) {
        self.shared.data().tokens.insert(token.into(), account_id.into());
    }

    /// Makes an issue known (timers need it; `expand=issues` shows it).
    pub fn add_issue(&self, id: &str, key: &str, summary: &str) {
        let mut data = self.shared.data();
        data.issues.retain(|i| i.id != id);
        data.issues.push(IssueRef { id: id.into(), key: key.into(), summary: summary.into() });
    }

    /// Makes a user known for `expand=authors,emails`; `email: None` when it is hidden.
    pub fn add_author(&self, account_id: &str, display_name: &str, email: Option<&str>) {
        let mut data = self.shared.data();
        data.authors.retain(|a| a.account_id != account_id);
        data.authors.push(FakeAuthor {
            account_id: account_id.into(),
            display_name: display_name.into(),
            email: email.map(Into::into),
            avatar_url: None,
        });
    }

    /// Adds a worklog, replacing one with the same id.
    pub fn add_worklog(&self, worklog: FakeWorklog) {
        self.shared.data().add_worklog(worklog);
    }

    /// Every worklog, including those that stopping a timer logged.
    pub fn worklogs(&self) -> Vec<FakeWorklog> {
        self.shared.data().worklogs.clone()
    }

    /// Seeds a timer; returns its id (picked when `timer.id` is 0).
    pub fn add_timer(&self, mut timer: FakeTimer) -> u64 {
        let mut data = self.shared.data();
        if timer.id == 0 {
            timer.id = data.next_timer_id;
        }
        data.next_timer_id = data.next_timer_id.max(timer.id + 1);
        let id = timer.id;
        data.timers.retain(|t| t.id != id);
        data.timers.push(timer);
        id
    }

    /// Stops a timer as its user would, now; `false` when no running timer has that id.
    pub fn finish_timer(&self, id: u64) -> bool {
        let mut data = self.shared.data();
        let running = data.timers.iter_mut().find(|t| t.id == id && t.is_running());
        running.map(|timer| timer.finished_at = Some(Utc::now())).is_some()
    }

    /// Timers not yet stopped, in id order.
    pub fn running_timers(&self) -> Vec<FakeTimer> {
        let mut timers: Vec<_> =
            self.shared.data().timers.iter().filter(|t| t.is_running()).cloned().collect();
        timers.sort_by_key(|t| t.id);
        timers
    }

    /// Timers per `timers.json` page (50 unless set; at least 1).
    pub fn set_timers_page_size(&self, size: usize) {
        self.shared.data().timers_page_size = size.max(1);
    }

    /// The side a linked fake Jira drives (credentials it mints, pages for Forge).
    pub(crate) fn report_app(&self) -> ReportApp {
        ReportApp(self.shared.clone())
    }
}
