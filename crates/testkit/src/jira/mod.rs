//! A stateful fake of Jira Cloud's REST API v3: users, projects and issues behind one mutex,
//! served with the shapes of Atlassian's OpenAPI document and the traps real sites have.
//!
//! - [`render`]: the JSON of users and issues.
//! - [`jql`]: the JQL subset search understands (and its lexer).
//! - [`routes`]: Basic auth, users, issues and the removed `/search`.
//! - [`search`]: `search/jql` with `nextPageToken` paging.
//! - [`sessions`]: the browser-session endpoints that hand out report-app credentials
//!   (Connect servlet, Forge context token, GraphQL `invokeExtension`).

mod jql;
mod render;
mod routes;
mod search;
mod sessions;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::faults::{Control, Fault, Server};
pub use sessions::ExpiryFormat;

/// The account the Basic-auth credentials act as (`GET /rest/api/3/myself`).
pub const API_USER_ACCOUNT_ID: &str = "712020:0c9a5d1e-4f7b-4c8e-9a61-3f2b8d7e5a10";

/// A Jira user. `email: None` is a user whose privacy settings hide the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    pub account_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub active: bool,
    /// An IANA zone name, e.g. `Asia/Ho_Chi_Minh`.
    pub time_zone: String,
}

impl Default for FakeUser {
    fn default() -> Self {
        Self {
            account_id: String::new(),
            display_name: String::new(),
            email: None,
            active: true,
            time_zone: "UTC".to_owned(),
        }
    }
}

impl FakeUser {
    /// An active user in UTC whose email is hidden.
    pub fn new(account_id: &str, display_name: &str) -> Self {
        Self { account_id: account_id.into(), display_name: display_name.into(), ..Self::default() }
    }

    pub fn with_email(self, email: &str) -> Self {
        Self { email: Some(email.into()), ..self }
    }

    pub fn with_time_zone(self, time_zone: &str) -> Self {
        Self { time_zone: time_zone.into(), ..self }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FakeProject {
    pub id: String,
    pub key: String,
    pub name: String,
}

impl FakeProject {
    pub fn new(id: &str, key: &str, name: &str) -> Self {
        Self { id: id.into(), key: key.into(), name: name.into() }
    }
}

/// A Jira issue. `status`, `priority` and `issue_type` are names (`"In Progress"`, `"High"`,
/// `"Bug"`); the fake derives ids and status categories from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeIssue {
    /// Numeric, as Jira's are (`"10001"`).
    pub id: String,
    pub key: String,
    pub summary: String,
    pub status: String,
    pub issue_type: String,
    pub project_key: String,
    /// An account id.
    pub assignee: Option<String>,
    pub priority: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl Default for FakeIssue {
    fn default() -> Self {
        let now = Utc::now();
        Self {
            id: String::new(),
            key: String::new(),
            summary: String::new(),
            status: "To Do".to_owned(),
            issue_type: "Task".to_owned(),
            project_key: String::new(),
            assignee: None,
            priority: Some("Medium".to_owned()),
            created: now,
            updated: now,
        }
    }
}

impl FakeIssue {
    /// A "To Do" task of medium priority created now, in the project its key names.
    pub fn new(id: &str, key: &str, summary: &str) -> Self {
        let project_key = key.rsplit_once('-').map_or(key, |(project, _)| project);
        Self {
            id: id.into(),
            key: key.into(),
            summary: summary.into(),
            project_key: project_key.into(),
            ..Self::default()
        }
    }
}

/// Everything the fake site holds.
#[derive(Debug, Default)]
struct JiraData {
    users: Vec<FakeUser>,
    projects: Vec<FakeProject>,
    issues: Vec<FakeIssue>,
    /// Lowers the page size of searches that ask for fields, as busy sites do.
    field_page_cap: Option<i64>,
    sessions: sessions::Sessions,
}

impl JiraData {
    fn user(&self, account_id: &str) -> Option<&FakeUser> {
        self.users.iter().find(|user| user.account_id == account_id)
    }

    fn project(&self, key: &str) -> Option<&FakeProject> {
        self.projects.iter().find(|project| project.key.eq_ignore_ascii_case(key))
    }

    /// By key (any case) or numeric id.
    fn issue(&self, id_or_key: &str) -> Option<&FakeIssue> {
        self.issues.iter().find(|i| i.id == id_or_key || i.key.eq_ignore_ascii_case(id_or_key))
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
}

/// The state routes share with the handle.
#[derive(Debug)]
struct Shared {
    base_url: String,
    /// The base64 `email:token` that `Authorization: Basic …` must carry.
    basic_credentials: String,
    data: Mutex<JiraData>,
}

impl Shared {
    fn data(&self) -> MutexGuard<'_, JiraData> {
        self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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

    /// Adds a user, replacing one with the same account id.
    pub fn add_user(&self, user: FakeUser) {
        let mut data = self.shared.data();
        data.users.retain(|u| u.account_id != user.account_id);
        data.users.push(user);
    }

    /// Changes a user in place; `false` when there is none with that account id.
    pub fn update_user(&self, account_id: &str, change: impl FnOnce(&mut FakeUser)) -> bool {
        let mut data = self.shared.data();
        data.users.iter_mut().find(|u| u.account_id == account_id).map(change).is_some()
    }

    /// Adds a project, replacing one with the same key.
    pub fn add_project(&self, project: FakeProject) {
        self.shared.data().add_project(project);
    }

    /// Adds an issue, replacing one with the same id; its project is created when unknown.
    pub fn add_issue(&self, issue: FakeIssue) {
        let mut data = self.shared.data();
        data.ensure_project(&issue.project_key);
        data.issues.retain(|i| i.id != issue.id);
        data.issues.push(issue);
    }

    /// Deletes an issue by key or id; `false` when there was none.
    pub fn remove_issue(&self, id_or_key: &str) -> bool {
        let mut data = self.shared.data();
        let before = data.issues.len();
        data.issues.retain(|i| i.id != id_or_key && !i.key.eq_ignore_ascii_case(id_or_key));
        data.issues.len() != before
    }

    /// Edits an issue as Jira would: `updated` becomes now unless `change` set it.
    /// `false` when there is no such issue.
    pub fn update_issue(&self, id_or_key: &str, change: impl FnOnce(&mut FakeIssue)) -> bool {
        let mut data = self.shared.data();
        let Some(issue) = data
            .issues
            .iter_mut()
            .find(|i| i.id == id_or_key || i.key.eq_ignore_ascii_case(id_or_key))
        else {
            return false;
        };
        let updated = issue.updated;
        change(issue);
        if issue.updated == updated {
            issue.updated = Utc::now();
        }
        let project_key = issue.project_key.clone();
        data.ensure_project(&project_key);
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
}
