//! The I/O part: pages Jira and commits each batch, its children and the cursor together.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use clockwork_clients::jira_data::{
    ChangeFeed, DataIssue, JiraData, JiraDataError, project_issues_jql,
};
use clockwork_core::IssueId;
use clockwork_store::model::{IssueBatch, IssueRecord, JiraUser, Sprint};
use clockwork_store::sync_state::{JobStatus, LogLevel, SyncEntity, SyncStatus};
use clockwork_store::{Store, StoreError};
use serde::Serialize;

use crate::normalize::{self, Scope};

/// Tunables; the defaults suit Jira Cloud.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Issues a search page (and a transaction) holds.
    pub batch_size: u32,
    /// How far before the cursor an incremental search starts again.
    pub overlap: Duration,
    /// How often an incremental run also sweeps for deleted issues.
    pub sweep_every: Duration,
    /// How long a run holds its project.
    pub lease: Duration,
    /// Who holds the lease (host and process).
    pub holder: String,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            batch_size: 100,
            overlap: Duration::from_secs(60),
            sweep_every: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(20 * 60),
            holder: format!("pid-{}", std::process::id()),
        }
    }
}

/// What a run did (`clockwork-local sync jira` prints it last).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncSummary {
    pub project: String,
    pub issues: u64,
    pub comments: u64,
    pub worklogs: u64,
    pub sprints: u64,
    pub users: u64,
    pub deleted: u64,
    /// Requests to Jira; filled in by the caller, which owns the client's counter.
    pub requests: u64,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("another sync of {0} is running; try again when it ends")]
    Busy(String),
    #[error("Jira: {0}")]
    Jira(#[from] JiraDataError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl SyncError {
    /// The classified code kept in `sync_logs`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Busy(_) => "BUSY",
            Self::Jira(error) => error.code.as_str(),
            Self::Store(_) => "STORE_UNAVAILABLE",
        }
    }
}

/// Progress of the issue phase, for a progress bar.
pub trait Progress: Send + Sync {
    /// Whether to spend a request on `approximate-count` for an ETA.
    fn wants_total(&self) -> bool {
        false
    }
    fn total(&self, _issues: u64) {}
    fn advanced(&self, _issues: u64) {}
}

/// No progress shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

pub struct SyncEngine {
    jira: Arc<dyn JiraData>,
    store: Store,
    options: SyncOptions,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine").field("options", &self.options).finish_non_exhaustive()
    }
}

impl SyncEngine {
    pub fn new(jira: Arc<dyn JiraData>, store: Store, options: SyncOptions) -> Self {
        Self { jira, store, options }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Syncs one project: a full sync on its first run or when asked, else incremental.
    /// A failure is logged with its classified code and leaves every cursor at the last
    /// committed batch, so the next run resumes with nothing missed.
    #[tracing::instrument(skip_all, fields(project = project, full))]
    pub async fn sync_project(
        &self,
        project: &str,
        full: bool,
        progress: &dyn Progress,
    ) -> Result<SyncSummary, SyncError> {
        let started = Instant::now();
        if !self.store.try_lease(project, &self.options.holder, self.options.lease).await? {
            return Err(SyncError::Busy(project.to_owned()));
        }
        let result = self.run(project, full, progress).await;
        let released = self.store.release_lease(project, &self.options.holder).await;
        let now = Utc::now().timestamp_millis();
        let mut summary = match result {
            Ok(summary) => summary,
            Err(error) => {
                self.record_failure(project, &error, now).await;
                return Err(error);
            }
        };
        released?;
        summary.seconds = started.elapsed().as_secs_f64();
        let details = serde_json::to_value(&summary).ok();
        self.store.set_sync_status(project, SyncEntity::Issues, SyncStatus::Success, None).await?;
        self.store.set_job_run(project, JobStatus::Active, Some(now), None).await?;
        self.store.append_log(project, LogLevel::Info, "sync finished", details.as_ref()).await?;
        Ok(summary)
    }

    async fn record_failure(&self, project: &str, error: &SyncError, now: i64) {
        let advice = match error {
            SyncError::Jira(error) => error.advice.to_owned(),
            SyncError::Busy(_) | SyncError::Store(_) => error.to_string(),
        };
        let details = serde_json::json!({ "code": error.code(), "advice": advice });
        tracing::error!(code = error.code(), %error, "sync failed");
        let message = error.to_string();
        let writes = async {
            self.store
                .set_sync_status(project, SyncEntity::Issues, SyncStatus::Failed, Some(&message))
                .await?;
            self.store.set_job_run(project, JobStatus::Error, Some(now), None).await?;
            self.store.append_log(project, LogLevel::Error, &message, Some(&details)).await
        };
        if let Err(store_error) = writes.await {
            tracing::error!(%store_error, "could not record the failure");
        }
    }

    async fn run(
        &self,
        project: &str,
        full: bool,
        progress: &dyn Progress,
    ) -> Result<SyncSummary, SyncError> {
        let started_ms = Utc::now().timestamp_millis();
        self.store.ensure_sync_job(project).await?;
        self.store.set_sync_status(project, SyncEntity::Issues, SyncStatus::Running, None).await?;
        let cursor =
            self.store.sync_state(project, SyncEntity::Issues).await?.and_then(|s| s.cursor_ms);
        let full = full || cursor.is_none();
        let scope = Scope::new(self.store.tracked_users(project).await?);
        let mut summary = SyncSummary { project: project.to_owned(), ..SyncSummary::default() };

        let since =
            if full { None } else { normalize::search_from(cursor, overlap_ms(&self.options)) };
        let jql = project_issues_jql(project, since);
        if progress.wants_total() {
            progress.total(self.jira.approximate_count(&jql).await?);
        }
        self.issues(project, &jql, &scope, full, progress, &mut summary).await?;

        if full {
            // The worklog stream takes over from here: everything before is in the batches.
            let worklog_cursor = self
                .store
                .sync_state(project, SyncEntity::Worklogs)
                .await?
                .and_then(|s| s.cursor_ms);
            if worklog_cursor.is_none_or(|cursor| cursor < started_ms) {
                self.store.apply_worklog_changes(project, &[], &[], started_ms).await?;
            }
        } else {
            self.worklog_stream(project, &scope, &mut summary).await?;
        }
        let last_sweep = self.store.last_sweep_ms(project).await?;
        let sweep_due =
            last_sweep.is_none_or(|at| started_ms - at >= duration_ms(self.options.sweep_every));
        if full || sweep_due {
            self.sprints(project, &mut summary).await?;
            self.assignable_users(project, &mut summary).await?;
            self.sweep(project, &mut summary).await?;
            self.store.set_last_sweep_ms(project, started_ms).await?;
        }
        Ok(summary)
    }

    /// Every issue page, each committed with its children and the cursor in one transaction.
    async fn issues(
        &self,
        project: &str,
        jql: &str,
        scope: &Scope,
        full: bool,
        progress: &dyn Progress,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let fields = self.jira.sync_fields();
        let mut token: Option<String> = None;
        loop {
            let page =
                self.jira.search(jql, &fields, self.options.batch_size, token.as_deref()).await?;
            let read = page.issues.len() as u64;
            if let Some(batch) = self.batch(project, page.issues, scope, full).await? {
                summary.issues += batch.issues.len() as u64;
                summary.comments +=
                    batch.issues.iter().map(|r| r.comments.len() as u64).sum::<u64>();
                summary.worklogs +=
                    batch.issues.iter().map(|r| r.worklogs.len() as u64).sum::<u64>();
                summary.users += batch.users.len() as u64;
                self.store.apply_batch(&batch).await?;
            }
            progress.advanced(read);
            match page.next_page_token {
                Some(next) if !page.is_last => token = Some(next),
                _ => return Ok(()),
            }
        }
    }

    /// One page of issues as a batch: truncated comments (always) and worklogs (on a full
    /// sync; incremental runs take changed worklogs from the worklog stream) are paged
    /// through the per-issue endpoints first.
    async fn batch(
        &self,
        project: &str,
        issues: Vec<DataIssue>,
        scope: &Scope,
        full: bool,
    ) -> Result<Option<IssueBatch>, SyncError> {
        let Some(cursor_ms) =
            issues.iter().filter_map(|i| i.updated).map(|at| at.timestamp_millis()).max()
        else {
            return Ok(None);
        };
        let mut users: HashMap<String, JiraUser> = HashMap::new();
        let mut sprints: HashMap<i64, Sprint> = HashMap::new();
        let mut records: Vec<IssueRecord> = Vec::with_capacity(issues.len());
        for data in issues {
            let comments_complete = data.comments_complete();
            let comments: Vec<_> = if comments_complete {
                data.comments
                    .iter()
                    .flat_map(|p| &p.comments)
                    .map(|c| normalize::comment(&data.id, c))
                    .collect()
            } else {
                let id = issue_id(&data)?;
                self.jira
                    .all_issue_comments(&id)
                    .await?
                    .iter()
                    .map(|c| normalize::comment(&data.id, c))
                    .collect()
            };
            let embedded_complete = data.worklogs_complete();
            let (worklogs, worklogs_complete): (Vec<_>, bool) = if embedded_complete {
                (
                    data.worklogs
                        .iter()
                        .flat_map(|p| &p.worklogs)
                        .map(|w| normalize::worklog(&data.id, w))
                        .collect(),
                    true,
                )
            } else if full {
                let id = issue_id(&data)?;
                (
                    self.jira
                        .all_issue_worklogs(&id)
                        .await?
                        .iter()
                        .map(|w| normalize::worklog(&data.id, w))
                        .collect(),
                    true,
                )
            } else {
                (Vec::new(), false)
            };
            let people = data.assignee.iter().chain(data.reporter.iter());
            let authors =
                data.comments.iter().flat_map(|p| &p.comments).filter_map(|c| c.author.as_ref());
            for person in people.chain(authors) {
                users.entry(person.account_id.clone()).or_insert_with(|| normalize::user(person));
            }
            for sprint in &data.sprints {
                let sprint = normalize::sprint(sprint);
                sprints.insert(sprint.id, sprint);
            }
            let issue = normalize::issue(&data, project);
            records.extend(scope.record(
                issue,
                comments,
                comments_complete,
                worklogs,
                worklogs_complete,
            ));
        }
        Ok(Some(IssueBatch {
            project_key: project.to_owned(),
            issues: records,
            sprints: sprints.into_values().collect(),
            users: users.into_values().collect(),
            cursor_ms,
        }))
    }

    /// Worklogs changed or deleted anywhere since the worklog cursor; the cursor follows
    /// the feed's `until`, never the clock.
    async fn worklog_stream(
        &self,
        project: &str,
        scope: &Scope,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let Some(since) =
            self.store.sync_state(project, SyncEntity::Worklogs).await?.and_then(|s| s.cursor_ms)
        else {
            return Ok(());
        };
        let updated = self.jira.worklog_changes(ChangeFeed::Updated, since).await?;
        let deleted = self.jira.worklog_changes(ChangeFeed::Deleted, since).await?;
        let ids: Vec<u64> = updated.values.iter().map(|v| v.worklog_id).collect();
        let changed =
            if ids.is_empty() { Vec::new() } else { self.jira.worklogs_by_id(&ids).await? };
        let upserts: Vec<_> = changed
            .iter()
            .map(|w| normalize::worklog("", w))
            .filter(|w| !w.issue_id.is_empty() && scope.covers(w.author_account_id.as_deref()))
            .collect();
        let deleted_ids: Vec<String> =
            deleted.values.iter().map(|v| v.worklog_id.to_string()).collect();
        let cursor = updated.next_since.min(deleted.next_since);
        // Worklogs of other projects' issues are skipped by the store (unknown issues).
        let applied =
            self.store.apply_worklog_changes(project, &upserts, &deleted_ids, cursor).await?;
        summary.worklogs += applied.upserted;
        summary.deleted += applied.deleted;
        Ok(())
    }

    async fn sprints(&self, project: &str, summary: &mut SyncSummary) -> Result<(), SyncError> {
        let mut sprints: HashMap<i64, Sprint> = HashMap::new();
        for board in self.jira.boards(project).await? {
            for sprint in self.jira.sprints(board.id).await? {
                let mut sprint = normalize::sprint(&sprint);
                sprint.board_id = sprint.board_id.or(i64::try_from(board.id).ok());
                sprints.insert(sprint.id, sprint);
            }
        }
        let sprints: Vec<Sprint> = sprints.into_values().collect();
        summary.sprints = sprints.len() as u64;
        self.store.upsert_sprints(project, &sprints).await?;
        Ok(())
    }

    async fn assignable_users(
        &self,
        project: &str,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let users: Vec<JiraUser> =
            self.jira.assignable_users(project).await?.iter().map(normalize::user).collect();
        summary.users += users.len() as u64;
        self.store.upsert_users(&users).await?;
        Ok(())
    }

    /// Marks issues gone from Jira as deleted: a cheap id-only search of the project.
    async fn sweep(&self, project: &str, summary: &mut SyncSummary) -> Result<(), SyncError> {
        let jql = project_issues_jql(project, None);
        let mut live: HashSet<String> = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.jira.search(&jql, &["id"], 5000, token.as_deref()).await?;
            live.extend(page.issues.into_iter().map(|issue| issue.id));
            match page.next_page_token {
                Some(next) if !page.is_last => token = Some(next),
                _ => break,
            }
        }
        let now = Utc::now().timestamp_millis();
        summary.deleted += self.store.mark_issues_deleted(project, &live, now).await? as u64;
        Ok(())
    }
}

fn issue_id(issue: &DataIssue) -> Result<IssueId, SyncError> {
    IssueId::parse(&issue.id).map_err(|e| {
        SyncError::Jira(JiraDataError::new(
            clockwork_clients::jira_data::ErrorCode::SchemaMismatch,
            None,
            format!("issue {}: {e}", issue.key),
        ))
    })
}

fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn overlap_ms(options: &SyncOptions) -> i64 {
    duration_ms(options.overlap)
}
