//! A stateful fake of Jira Cloud's REST API v3 and Agile API 1.0, served with the shapes of
//! Atlassian's OpenAPI documents and the traps real sites have.
//!
//! - `model`: what tests build: [`FakeUser`], [`FakeProject`], [`FakeIssue`], [`FakeComment`],
//!   [`FakeJiraWorklog`], [`FakeBoard`], [`FakeSprint`].
//! - `store`: indexed storage (issues by id and key, id-addressed comment and worklog tables)
//!   and the caches that keep 100,000-issue sites fast.
//! - `changelog`: each issue's change history, recorded by [`FakeJira::update_issue`], and
//!   `changelog/bulkfetch`.
//! - `edit`: adding, changing and deleting comments, worklogs, boards and sprints; `seed`:
//!   bulk generation of whole projects ([`FakeJira::seed_project`]).
//! - `site`: site-wide conditions: outages, suspension, expired-token 200s, rate-limit
//!   signals, and the peak of requests in flight.
//! - `render`: the JSON of users, projects, issues, comments, worklogs, boards and sprints,
//!   and the shape changes a test asks for ([`FakeJira::rename_issue_field`],
//!   [`FakeJira::set_issue_json`]).
//! - `jql`: the JQL subset search understands (and its lexer).
//! - `routes`: Basic auth, users, issues, the removed `/search`, `/status`; `search`:
//!   `search/jql` and approximate counts; `activity`: per-issue comments and worklogs;
//!   `feed`: worklog changes and deletions since a time, worklogs by id; `directory`:
//!   projects, assignable users, user search, the license; `agile`: boards and sprints.
//! - `webhooks`: admin webhooks (site admin's Basic credentials) and dynamic ones (an app's
//!   bearer token; 30-day expiry): [`FakeAdminWebhook`], [`FakeDynamicWebhook`]; `deliver`:
//!   the deliveries Jira sends them ([`WebhookEvent`], [`FakeJira::deliver`]).
//! - `sessions`: the browser-session endpoints that hand out report-app credentials
//!   (Connect servlet, Forge context token, GraphQL `invokeExtension`).

mod activity;
mod agile;
mod changelog;
mod deliver;
mod directory;
mod edit;
mod feed;
mod jql;
mod model;
mod render;
mod routes;
mod search;
mod seed;
mod sessions;
mod site;
mod store;
mod webhooks;

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;

use crate::faults::{Control, Fault, Server};
pub use deliver::WebhookEvent;
pub use model::{
    FakeBoard, FakeComment, FakeIssue, FakeJiraWorklog, FakeProject, FakeSprint, FakeUser,
};
pub use seed::SeededProject;
pub use sessions::ExpiryFormat;
use store::{Caches, Issues, StoredComment, StoredWorklog, Table};
pub use webhooks::{FakeAdminWebhook, FakeDynamicWebhook};

/// The account the Basic-auth credentials act as (`GET /rest/api/3/myself`).
pub const API_USER_ACCOUNT_ID: &str = "712020:0c9a5d1e-4f7b-4c8e-9a61-3f2b8d7e5a10";
/// The custom field holding an issue's sprints (as on most Cloud sites).
pub const SPRINT_FIELD: &str = "customfield_10020";
/// The custom field holding an issue's story-point estimate.
pub const STORY_POINTS_FIELD: &str = "customfield_10016";

/// Everything the fake site holds.
#[derive(Debug, Default)]
struct JiraData {
    users: Vec<FakeUser>,
    projects: Vec<FakeProject>,
    issues: Issues,
    comments: Table<StoredComment>,
    worklogs: Table<StoredWorklog>,
    /// (deleted at, epoch ms; worklog id), oldest first.
    deleted_worklogs: Vec<(i64, u64)>,
    boards: Vec<FakeBoard>,
    sprints: Vec<FakeSprint>,
    /// Project key (upper case) → the account ids that may be assigned; every active user
    /// when absent.
    assignable: HashMap<String, Vec<String>>,
    /// Issue ids the next search that would find them leaves out (eventual consistency).
    hidden_once: HashSet<String>,
    /// Issue ids and project keys (upper case) the account may not browse: searches and the
    /// project list leave them out, as Jira does after a permission or security change.
    unbrowsable: HashSet<String>,
    /// Changelog entries recorded so far (their ids follow from it).
    histories: u64,
    /// Bumped by every change through the handle; caches are valid for one version.
    version: u64,
    caches: Caches,
    /// Lowers the page size of searches that ask for fields, as busy sites do.
    field_page_cap: Option<i64>,
    /// How long worklog changes stay out of the change feeds (Jira: the last minute).
    feed_lag: Option<Duration>,
    /// Fields renamed and values changed in every issue served.
    shape_changes: render::ShapeChanges,
    site: site::Site,
    sessions: sessions::Sessions,
    webhooks: webhooks::Registry,
}

impl JiraData {
    fn user(&self, account_id: &str) -> Option<&FakeUser> {
        self.users.iter().find(|user| user.account_id == account_id)
    }

    /// By key (any case) or numeric id.
    fn project(&self, key_or_id: &str) -> Option<&FakeProject> {
        self.projects.iter().find(|p| p.key.eq_ignore_ascii_case(key_or_id) || p.id == key_or_id)
    }

    fn add_project(&mut self, project: FakeProject) {
        self.projects.retain(|p| p.key != project.key);
        self.projects.push(project);
    }

    /// Keeps every issue's project known: adds a project named after its key when missing.
    fn ensure_project(&mut self, key: &str) {
        if self.project(key).is_none() {
            let id = (10_000 + self.projects.len()).to_string();
            self.projects.push(FakeProject::new(&id, key, key));
        }
    }

    /// Jira reads zone-less JQL dates, and writes times, in the searching account's zone.
    fn searcher_zone(&self) -> Tz {
        let name = self.user(API_USER_ACCOUNT_ID).map_or("UTC", |user| user.time_zone.as_str());
        name.parse().unwrap_or_else(|_| {
            tracing::warn!(time_zone = name, "unknown time zone on the fake Jira user; using UTC");
            Tz::UTC
        })
    }

    fn feed_lag(&self) -> Duration {
        self.feed_lag.unwrap_or(Duration::from_secs(60))
    }
}

/// The state routes share with the handle.
#[derive(Debug)]
struct Shared {
    base_url: String,
    /// The base64 `email:token` that `Authorization: Basic …` must carry.
    basic_credentials: String,
    data: Mutex<JiraData>,
    in_flight: site::InFlight,
}

impl Shared {
    fn data(&self) -> MutexGuard<'_, JiraData> {
        self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The data, for a change: cached results built before it become stale.
    fn edit(&self) -> MutexGuard<'_, JiraData> {
        let mut data = self.data();
        data.version += 1;
        data
    }
}

/// A running fake Jira site; stops accepting connections when dropped.
#[derive(Debug)]
pub struct FakeJira {
    server: Server,
    shared: Arc<Shared>,
}

impl FakeJira {
    /// Starts on a free loopback port, accepting Basic auth with exactly these credentials.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(email: &str, api_token: &str) -> Self {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        Self::start_on(addr, email, api_token).await.expect("binding a loopback port for fake Jira")
    }

    /// Starts on `addr`. The credentials' own user ([`API_USER_ACCOUNT_ID`]) exists from the start.
    pub async fn start_on(addr: SocketAddr, email: &str, api_token: &str) -> io::Result<Self> {
        let (listener, base_url) = Server::bind(addr, "").await?;
        let api_user = FakeUser::new(API_USER_ACCOUNT_ID, "Jira API User").with_email(email);
        let shared = Arc::new(Shared {
            base_url: base_url.clone(),
            basic_credentials: routes::basic_credentials(email, api_token),
            data: Mutex::new(JiraData { users: vec![api_user], ..JiraData::default() }),
            in_flight: site::InFlight::default(),
        });
        let control = Control::new(routes::DIALECT, "");
        let router = routes::router(shared.clone(), &control);
        let server = Server::spawn(listener, base_url, router, control)?;
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    pub fn shutdown(&self) {
        self.server.shutdown();
    }

    /// Requests to `endpoint`, e.g. `"GET /rest/api/3/issue/{issueIdOrKey}"`.
    pub fn requests(&self, endpoint: &str) -> usize {
        self.server.control().requests(endpoint)
    }

    pub fn total_requests(&self) -> usize {
        self.server.control().total_requests()
    }

    /// Forgets request counts and the peak of requests in flight.
    pub fn reset_counts(&self) {
        self.server.control().reset_counts();
        self.shared.in_flight.reset_peak();
        self.shared.data().site.reset_rate();
    }

    /// Makes the next `times` requests to `endpoint` misbehave (see [`Fault`]).
    pub fn inject(&self, endpoint: &str, fault: Fault, times: usize) {
        self.server.control().inject(endpoint, fault, times);
    }

    pub fn set_latency(&self, latency: Duration) {
        self.server.control().set_latency(latency);
    }

    /// Adds a user, replacing one with the same account id.
    pub fn add_user(&self, user: FakeUser) {
        let mut data = self.shared.edit();
        data.users.retain(|u| u.account_id != user.account_id);
        data.users.push(user);
    }

    /// Changes a user in place; `false` when there is none with that account id.
    pub fn update_user(&self, account_id: &str, change: impl FnOnce(&mut FakeUser)) -> bool {
        let mut data = self.shared.edit();
        data.users.iter_mut().find(|u| u.account_id == account_id).map(change).is_some()
    }

    /// Adds a project, replacing one with the same key.
    pub fn add_project(&self, project: FakeProject) {
        self.shared.edit().add_project(project);
    }

    /// Adds an issue, replacing one with the same id (its comments and worklogs stay); its
    /// project is created when unknown.
    pub fn add_issue(&self, issue: FakeIssue) {
        let mut data = self.shared.edit();
        data.ensure_project(&issue.project_key);
        data.issues.insert(issue);
    }

    /// Deletes an issue by key or id, with its comments and worklogs (which, as on Jira, do
    /// not appear in `/worklog/deleted`); `false` when there was none.
    pub fn remove_issue(&self, id_or_key: &str) -> bool {
        let mut data = self.shared.edit();
        let Some(entry) = data.issues.slot(id_or_key).and_then(|slot| data.issues.remove(slot))
        else {
            return false;
        };
        for id in entry.comments {
            data.comments.remove(id);
        }
        for id in entry.worklogs {
            data.worklogs.remove(id);
        }
        true
    }

    /// Edits an issue as Jira would: `updated` becomes now unless `change` set it, and the
    /// changed status, summary, assignee, priority and resolution are recorded in its
    /// changelog as one entry by the API user at `updated`. `false` when there is no such issue.
    pub fn update_issue(&self, id_or_key: &str, change: impl FnOnce(&mut FakeIssue)) -> bool {
        let mut data = self.shared.edit();
        let Some(slot) = data.issues.slot(id_or_key) else {
            return false;
        };
        let Some(before) = data.issues.get(slot).map(|entry| entry.issue.clone()) else {
            return false;
        };
        let edited = data.issues.edit(slot, |issue| {
            change(issue);
            if issue.updated == before.updated {
                issue.updated = Utc::now();
            }
            issue.clone()
        });
        if let Some(after) = edited {
            data.ensure_project(&after.project_key);
            let items = data.changed_items(&before, &after);
            data.record_history(slot, API_USER_ACCOUNT_ID.into(), after.updated, items);
        }
        true
    }

    pub fn issue_count(&self) -> usize {
        self.shared.data().issues.len()
    }

    /// Answers field searches with at most `cap` issues a page, fewer than asked for:
    /// Jira may do so when many fields are requested, and clients must follow
    /// `nextPageToken` rather than trust the size they asked for.
    pub fn set_search_page_cap(&self, cap: usize) {
        self.shared.data().field_page_cap = Some(i64::try_from(cap).unwrap_or(i64::MAX));
    }

    /// Serves every issue's field `from` as `to`, as after the field is renamed on Jira; a
    /// later rename of `from` replaces this one.
    pub fn rename_issue_field(&self, from: &str, to: &str) {
        self.shared.edit().shape_changes.rename(from, to);
    }

    /// Serves every issue with `value` at `pointer`, a JSON pointer into the `IssueBean`
    /// (`/fields/summary`, `/fields/status/statusCategory/key`; its parent must be an object),
    /// or without what is there for `None`: as after Jira changes its shapes. A later change
    /// of the same pointer replaces this one.
    pub fn set_issue_json(&self, pointer: &str, value: Option<serde_json::Value>) {
        self.shared.edit().shape_changes.set(pointer, value);
    }
}
