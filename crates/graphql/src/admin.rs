//! What admins see of the syncs: `SyncJob` (a project's schedule and health), `SyncState`
//! (per-entity cursors), `SyncLog`, and `TrackedProject` with the health the console shows.

use async_graphql::{Context, Enum, ID, Json, Object, Result, SimpleObject};
use clockwork_clients::ErrorCode;
use clockwork_operations::Triggered;
use clockwork_store::{JobStatus, LogLevel, RunRecord, SyncStatus as StoreSyncStatus};

use crate::data::loaders;
use crate::errors::{self, AdminOnly};
use crate::loaders::{CountsOf, unshare};
use crate::scalars::{DateTime, at, at_opt};
use crate::service::Deps;

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyncJobStatus {
    Active,
    Paused,
    Error,
}

impl From<JobStatus> for SyncJobStatus {
    fn from(status: JobStatus) -> Self {
        match status {
            JobStatus::Active => Self::Active,
            JobStatus::Paused => Self::Paused,
            JobStatus::Error => Self::Error,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyncStatus {
    Idle,
    Running,
    Success,
    Failed,
}

impl From<StoreSyncStatus> for SyncStatus {
    fn from(status: StoreSyncStatus) -> Self {
        match status {
            StoreSyncStatus::Idle => Self::Idle,
            StoreSyncStatus::Running => Self::Running,
            StoreSyncStatus::Success => Self::Success,
            StoreSyncStatus::Failed => Self::Failed,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum SyncLogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl From<LogLevel> for SyncLogLevel {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Debug => Self::Debug,
            LogLevel::Info => Self::Info,
            LogLevel::Warn => Self::Warn,
            LogLevel::Error => Self::Error,
        }
    }
}

impl From<SyncLogLevel> for LogLevel {
    fn from(level: SyncLogLevel) -> Self {
        match level {
            SyncLogLevel::Debug => Self::Debug,
            SyncLogLevel::Info => Self::Info,
            SyncLogLevel::Warn => Self::Warn,
            SyncLogLevel::Error => Self::Error,
        }
    }
}

/// A project's schedule and its health. There is one per tracked project, so `id` is the
/// project key; `workflowId` names the worker function that runs its syncs and
/// `scheduleId` the schedule tick that starts them, each followed by the key.
pub struct SyncJob(pub clockwork_store::SyncJob);

#[Object]
impl SyncJob {
    async fn id(&self) -> ID {
        ID(self.0.project_key.clone())
    }
    /// `sync-jira-project/KEY`.
    async fn workflow_id(&self) -> String {
        format!("{}/{}", clockwork_jira_sync::function::FUNCTION, self.0.project_key)
    }
    /// `jira-schedules-tick/KEY`.
    async fn schedule_id(&self) -> String {
        format!("{}/{}", clockwork_operations::function::FUNCTION, self.0.project_key)
    }
    /// The cron in force (UTC): a rung of the back-off ladder while backed off.
    async fn cron_schedule(&self) -> &str {
        &self.0.cron
    }
    async fn status(&self) -> SyncJobStatus {
        self.0.status.into()
    }
    async fn last_run_at(&self) -> Option<DateTime> {
        at_opt(self.0.last_run_ms)
    }
    /// `null`: due at the next tick.
    async fn next_run_at(&self) -> Option<DateTime> {
        at_opt(self.0.next_run_ms)
    }
    async fn project_key(&self) -> &str {
        &self.0.project_key
    }
    /// The cron an admin chose, restored after the first success once backed off.
    async fn original_cron(&self) -> &str {
        &self.0.original_cron
    }
    /// 0 at the original cadence; n on the n-th rung of the ladder.
    async fn backoff_rung(&self) -> u32 {
        self.0.backoff_rung
    }
    /// The classified code of the last failure (`AUTH_EXPIRED`, `RATE_LIMIT`, …).
    async fn last_error_code(&self) -> Option<&str> {
        self.0.last_error_code.as_deref()
    }
    /// What to do about the last failure.
    async fn last_error_advice(&self) -> Option<&'static str> {
        let code = self.0.last_error_code.as_deref()?;
        Some(ErrorCode::from_code(code).unwrap_or(ErrorCode::Unknown).advice())
    }
}

pub struct SyncState(pub clockwork_store::SyncState);

#[Object]
impl SyncState {
    /// `issues`, `worklogs`, `worklog_deletions`, `sprints`, `users` or `sweep`.
    async fn entity(&self) -> &str {
        self.0.entity.as_str()
    }
    /// Everything up to this instant is stored (the cursor; else the last success;
    /// 1970-01-01 before the first).
    async fn last_sync_time(&self) -> DateTime {
        at(self.0.cursor_ms.or(self.0.last_success_ms).unwrap_or(0))
    }
    async fn status(&self) -> SyncStatus {
        self.0.status.into()
    }
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn last_error_at(&self) -> Option<DateTime> {
        at_opt(self.0.last_error_ms)
    }
}

pub struct SyncLog(pub clockwork_store::SyncLog);

#[Object]
impl SyncLog {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn level(&self) -> SyncLogLevel {
        self.0.level.into()
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// Structured context; a failure's carries its classified error code.
    async fn details(&self) -> Option<Json<serde_json::Value>> {
        self.0.details.clone().map(Json)
    }
    async fn created_at(&self) -> DateTime {
        at(self.0.created_ms)
    }
}

/// One finished sync run.
pub struct SyncRun(pub RunRecord);

#[Object]
impl SyncRun {
    async fn started_at(&self) -> DateTime {
        at(self.0.started_ms)
    }
    async fn finished_at(&self) -> DateTime {
        at(self.0.finished_ms)
    }
    async fn duration_ms(&self) -> i64 {
        self.0.duration_ms()
    }
    async fn succeeded(&self) -> bool {
        self.0.succeeded
    }
    async fn error_code(&self) -> Option<&str> {
        self.0.error_code.as_deref()
    }
    /// Issues the run stored.
    async fn issues(&self) -> i64 {
        self.0.issues
    }
}

/// Live rows of a project.
#[derive(SimpleObject)]
pub struct ProjectCounts {
    pub issues: i64,
    pub comments: i64,
    pub worklogs: i64,
}

/// A project the integrator syncs.
pub struct TrackedProject(pub clockwork_store::TrackedProject);

#[Object]
impl TrackedProject {
    async fn key(&self) -> &str {
        &self.0.key
    }
    /// Jira's numeric id.
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn tracked_since(&self) -> DateTime {
        at(self.0.created_ms)
    }
    /// Live issues, comments and worklogs stored (one grouped statement for every project).
    async fn counts(&self, ctx: &Context<'_>) -> Result<ProjectCounts> {
        let counts = loaders(ctx)?.load_one(CountsOf(self.0.key.clone())).await;
        let counts = counts.map_err(unshare)?.unwrap_or_default();
        Ok(ProjectCounts {
            issues: counts.issues,
            comments: counts.comments,
            worklogs: counts.worklogs,
        })
    }
    #[graphql(guard = "AdminOnly")]
    async fn sync_job(&self, ctx: &Context<'_>) -> Result<Option<SyncJob>> {
        let job = Deps::of(ctx)?.store.sync_job(&self.0.key).await.map_err(errors::store)?;
        Ok(job.map(SyncJob))
    }
    /// The latest runs, newest first: issues synced per run, for a chart.
    #[graphql(guard = "AdminOnly")]
    async fn recent_runs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] limit: i32,
    ) -> Result<Vec<SyncRun>> {
        let limit = crate::query::limit("limit", limit, 200)?;
        let runs =
            Deps::of(ctx)?.store.recent_runs(&self.0.key, limit).await.map_err(errors::store)?;
        Ok(runs.into_iter().map(SyncRun).collect())
    }
    /// The watchlist: with accounts on it, only their work is ingested; empty, everyone's.
    #[graphql(guard = "AdminOnly")]
    async fn tracked_account_ids(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Deps::of(ctx)?.store.tracked_users(&self.0.key).await.map_err(errors::store)
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum TriggerOutcome {
    /// Enqueued now.
    Started,
    /// Recorded; the next schedule tick (within a minute) starts it.
    Queued,
    /// A run holds the project: this one starts after it ends.
    AfterRunInProgress,
}

/// What a start or trigger did.
pub struct SyncTrigger {
    pub project_key: String,
    pub triggered: Triggered,
}

#[Object]
impl SyncTrigger {
    async fn project_key(&self) -> &str {
        &self.project_key
    }
    async fn outcome(&self) -> TriggerOutcome {
        match self.triggered {
            Triggered::Started => TriggerOutcome::Started,
            Triggered::Queued => TriggerOutcome::Queued,
            Triggered::AfterRunInProgress => TriggerOutcome::AfterRunInProgress,
        }
    }
    /// What to tell the person who asked.
    async fn message(&self) -> String {
        self.triggered.describe(&self.project_key)
    }
    async fn sync_job(&self, ctx: &Context<'_>) -> Result<Option<SyncJob>> {
        let job = Deps::of(ctx)?.store.sync_job(&self.project_key).await.map_err(errors::store)?;
        Ok(job.map(SyncJob))
    }
}
