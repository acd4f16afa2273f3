//! The Jira store: a normalized copy of Jira issues, comments, worklogs, sprints and users,
//! plus the sync's bookkeeping, in SQLite (the local default) or Postgres.
//!
//! - [`config`]: [`StoreConfig`] from `DATABASE_URL`; the password never reaches `Debug` or errors.
//! - [`error`]: [`StoreError`], sorted by what the caller can do ([`StoreError::is_retryable`]).
//! - `pool`: the two backends behind one face; every statement is written once, with `$n`
//!   placeholders, and the migrations (`migrations/{sqlite,postgres}`) are embedded.
//! - [`model`]: the rows as plain data, and [`IssueBatch`], the unit of the issue sync.
//! - `issues`, `worklogs`, `sprints`, `users`, `projects`: the tables' writes and reads; a batch
//!   commits in one transaction with its cursor, so a killed sync resumes with nothing missed
//!   or duplicated. Deletions are soft (`deleted_at`).
//! - `listing`: what the APIs read: keyset pages of live issues ([`IssueFilter`],
//!   [`IssueKeyset`]) with the children asked for ([`Children`]) in one statement, the
//!   people they name in one more.
//! - [`sync_state`]: cursors, statuses and the run log.
//! - [`schedule`]: each project's schedule and health, requested runs, the atomic claim of
//!   due runs, and the record of finished runs.
//! - `lease`: one sync run per project at a time.
//! - `webhooks`: the Jira webhook deliveries taken on, and when each was applied.
//! - `history`: the issues' changelogs (`issue_changes`), stored each change once, and what
//!   they say (time in status, cycle and lead times), recomputed in the same transaction;
//!   `flow` is that arithmetic, pure.
//! - `drifts`: the ways Jira's answers were seen to differ from what the sync reads
//!   (`schema_drifts`), each kept once per project.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::instrument;

pub mod config;
mod drifts;
pub mod error;
mod flow;
mod history;
mod issues;
mod lease;
mod listing;
pub mod model;
mod pool;
mod projects;
pub mod schedule;
mod sprints;
mod sql;
pub mod sync_state;
mod users;
mod webhooks;
mod worklogs;

pub use config::{Backend, StoreConfig};
pub use error::StoreError;
pub use listing::{Children, IssueFilter, IssueKeyset};
pub use model::{
    Authored, Comment, DeliveryRecord, Drift, Flow, Issue, IssueBatch, IssueChange, IssueHistory,
    IssueRecord, JiraUser, ListedIssue, ProjectCounts, Sprint, StatusDuration, Stored, Sweep,
    TableCounts, TeamMember, TrackedProject, Worklog,
};
pub use schedule::{Claim, JobHealth, Requested, RunRecord, RunRequest, SyncJob};
pub use sync_state::{JobStatus, LogLevel, SyncEntity, SyncLog, SyncState, SyncStatus};
pub use worklogs::{FeedCursors, WorklogChanges};

use crate::error::Result;
use crate::pool::{Pool, Statement};

/// Where "now" comes from, in epoch milliseconds; tests pass one they can move forward.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The store; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    clock: Clock,
    url: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the pool (for SQLite, creating the file and its folder when missing).
    /// Migrations are not applied: call [`Store::migrate`].
    #[instrument(skip_all, fields(url = %config.redacted_url()))]
    pub async fn connect(config: &StoreConfig) -> Result<Self> {
        let pool = Pool::connect(config).await?;
        Ok(Self { pool, clock: Arc::new(system_now_ms), url: config.redacted_url() })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Applies the migrations not applied yet; running it again is a no-op.
    #[instrument(skip_all, fields(backend = ?self.backend()))]
    pub async fn migrate(&self) -> Result<()> {
        self.pool.migrate().await
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Closes the pool's connections, waiting for those in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Row counts of every table, for summaries and checks.
    pub async fn counts(&self) -> Result<TableCounts> {
        let statement = Statement::new(
            "SELECT \
             (SELECT COUNT(*) FROM jira_users) AS jira_users, \
             (SELECT COUNT(*) FROM team_members) AS team_members, \
             (SELECT COUNT(*) FROM tracked_projects) AS tracked_projects, \
             (SELECT COUNT(*) FROM project_tracked_users) AS project_tracked_users, \
             (SELECT COUNT(*) FROM issues) AS issues, \
             (SELECT COUNT(deleted_at) FROM issues) AS issues_deleted, \
             (SELECT COUNT(*) FROM comments) AS comments, \
             (SELECT COUNT(deleted_at) FROM comments) AS comments_deleted, \
             (SELECT COUNT(*) FROM worklogs) AS worklogs, \
             (SELECT COUNT(deleted_at) FROM worklogs) AS worklogs_deleted, \
             (SELECT COUNT(*) FROM sprints) AS sprints, \
             (SELECT COUNT(*) FROM issue_sprints) AS issue_sprints, \
             (SELECT COUNT(*) FROM sync_jobs) AS sync_jobs, \
             (SELECT COUNT(*) FROM sync_states) AS sync_states, \
             (SELECT COUNT(*) FROM sync_logs) AS sync_logs, \
             (SELECT COUNT(*) FROM sync_leases) AS sync_leases",
        );
        self.pool.fetch_optional(statement).await.map(Option::unwrap_or_default)
    }

    /// Statements sent so far by this store and its clones (reads, writes, inside
    /// transactions or not): what a test or benchmark reads to prove a request's cost.
    pub fn statements_sent(&self) -> u64 {
        self.pool.statements.sent()
    }

    /// "Now" by the store's clock, in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        (self.clock)()
    }
}

fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}
