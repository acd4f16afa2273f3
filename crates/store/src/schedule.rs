//! Each project's schedule and health (`sync_jobs`), the runs asked for outside it, and the
//! record of finished runs (`sync_runs`) that the telemetry reads.
//!
//! The store keeps no cron logic: callers compute next runs and pass them in. What it owns
//! is atomicity: [`Store::claim_runs`] moves a due job on only if nobody else did first, so
//! two ticks (or two hosts) never start the same due run twice.

use sqlx::FromRow;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::pool::Statement;
use crate::sql;
use crate::sync_state::JobStatus;

/// A project's schedule record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncJob {
    pub project_key: String,
    /// The cron in force: the ladder's rung while backed off, else `original_cron`.
    pub cron: String,
    /// The cron an admin chose.
    pub original_cron: String,
    pub status: JobStatus,
    pub last_run_ms: Option<i64>,
    /// `None`: due at the next tick.
    pub next_run_ms: Option<i64>,
    /// 0 at the original cadence; n on the n-th rung of the ladder.
    pub backoff_rung: u32,
    pub backoff_reason: Option<String>,
    /// Failed runs since the last success.
    pub consecutive_failures: u32,
    pub last_error_code: Option<String>,
    /// Slow successful runs in a row.
    pub slow_runs: u32,
    /// A run asked for outside the schedule, when one is pending.
    pub request: Option<RunRequest>,
}

/// A run asked for now: a trigger, or runs merged from several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    pub requested_ms: i64,
    pub full: bool,
    /// Backfill only these accounts; empty: the project's whole scope.
    pub accounts: Vec<String>,
}

#[derive(FromRow)]
struct JobRow {
    project_key: String,
    cron: String,
    original_cron: String,
    #[sqlx(try_from = "String")]
    status: JobStatus,
    last_run_ms: Option<i64>,
    next_run_ms: Option<i64>,
    backoff_rung: i64,
    backoff_reason: Option<String>,
    consecutive_failures: i64,
    last_error_code: Option<String>,
    slow_runs: i64,
    requested_ms: Option<i64>,
    requested_full: bool,
    requested_accounts: Option<String>,
}

const JOB_COLUMNS: &str = "j.project_key, j.cron, j.original_cron, j.status, j.last_run_ms, \
     j.next_run_ms, j.backoff_rung, j.backoff_reason, j.consecutive_failures, \
     j.last_error_code, j.slow_runs, j.requested_ms, j.requested_full, j.requested_accounts";

impl TryFrom<JobRow> for SyncJob {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<Self> {
        let count = |value: i64, column: &str| {
            u32::try_from(value)
                .map_err(|_| StoreError::Corrupt(format!("sync_jobs.{column} = {value}")))
        };
        let accounts = match &row.requested_accounts {
            Some(text) => serde_json::from_str(text).map_err(|error| {
                StoreError::Corrupt(format!("sync_jobs.requested_accounts: {error}"))
            })?,
            None => Vec::new(),
        };
        let request = row.requested_ms.map(|requested_ms| RunRequest {
            requested_ms,
            full: row.requested_full,
            accounts,
        });
        Ok(Self {
            backoff_rung: count(row.backoff_rung, "backoff_rung")?,
            consecutive_failures: count(row.consecutive_failures, "consecutive_failures")?,
            slow_runs: count(row.slow_runs, "slow_runs")?,
            project_key: row.project_key,
            cron: row.cron,
            original_cron: row.original_cron,
            status: row.status,
            last_run_ms: row.last_run_ms,
            next_run_ms: row.next_run_ms,
            backoff_reason: row.backoff_reason,
            last_error_code: row.last_error_code,
            request,
        })
    }
}

/// What [`Store::claim_runs`] saw of a due job, and where its schedule moves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub project_key: String,
    pub seen_next_run_ms: Option<i64>,
    pub seen_requested_ms: Option<i64>,
    /// The next scheduled run once this one is claimed.
    pub next_run_ms: Option<i64>,
}

/// What the telemetry decided about a project's schedule after a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobHealth {
    pub cron: String,
    pub status: JobStatus,
    pub backoff_rung: u32,
    pub backoff_reason: Option<String>,
    pub consecutive_failures: u32,
    pub last_error_code: Option<String>,
    pub slow_runs: u32,
    /// Moved only when the cron changed.
    pub next_run_ms: Option<i64>,
}

/// One finished sync run.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RunRecord {
    pub project_key: String,
    pub started_ms: i64,
    pub finished_ms: i64,
    pub succeeded: bool,
    /// The classified code of a failure.
    pub error_code: Option<String>,
    /// Whether the failure may pass by itself (rate limits, outages).
    pub retryable: bool,
    pub issues: i64,
}

impl RunRecord {
    pub fn duration_ms(&self) -> i64 {
        (self.finished_ms - self.started_ms).max(0)
    }
}

/// Where a trigger stands once recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requested {
    /// The next tick starts it.
    Queued,
    /// A run holds the project; the first tick after it ends starts this one.
    AfterRunInProgress,
}

impl Store {
    /// Creates the project's schedule record (`ACTIVE`, `cron`, first run at `next_run_ms`)
    /// unless it has one, which is kept as it is; returns the record.
    pub async fn create_sync_job(
        &self,
        project: &str,
        cron: &str,
        next_run_ms: Option<i64>,
    ) -> Result<SyncJob> {
        let insert = Statement::new(
            "INSERT INTO sync_jobs (project_key, cron, original_cron, status, next_run_ms) \
             VALUES ($1, $2, $2, 'ACTIVE', $3) ON CONFLICT (project_key) DO NOTHING",
        )
        .bind(project)
        .bind(cron)
        .bind(next_run_ms);
        self.pool.execute(insert).await?;
        self.sync_job(project).await?.ok_or_else(|| vanished(project))
    }

    /// The project's schedule record, created `ACTIVE` with the default cron and due at the
    /// next tick when missing.
    pub async fn ensure_sync_job(&self, project: &str) -> Result<SyncJob> {
        let insert = Statement::new(
            "INSERT INTO sync_jobs (project_key) VALUES ($1) ON CONFLICT (project_key) DO NOTHING",
        );
        self.pool.execute(insert.bind(project)).await?;
        self.sync_job(project).await?.ok_or_else(|| vanished(project))
    }

    pub async fn sync_job(&self, project: &str) -> Result<Option<SyncJob>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM sync_jobs j WHERE j.project_key = $1");
        let row: Option<JobRow> =
            self.pool.fetch_optional(Statement::new(sql).bind(project)).await?;
        row.map(SyncJob::try_from).transpose()
    }

    /// The schedule records of the tracked projects, by key.
    pub async fn sync_jobs(&self) -> Result<Vec<SyncJob>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM sync_jobs j JOIN tracked_projects p \
             ON p.project_key = j.project_key AND p.is_active = TRUE ORDER BY j.project_key"
        );
        let rows: Vec<JobRow> = self.pool.fetch_all(Statement::new(sql)).await?;
        rows.into_iter().map(SyncJob::try_from).collect()
    }

    /// The tracked projects that a tick should start now: `ACTIVE` ones whose next run has
    /// come (or was never planned), and any with a requested run, unless a run holds the
    /// project (the first tick after it ends takes them).
    pub async fn due_jobs(&self, now_ms: i64) -> Result<Vec<SyncJob>> {
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM sync_jobs j JOIN tracked_projects p \
             ON p.project_key = j.project_key AND p.is_active = TRUE \
             WHERE ((j.status = 'ACTIVE' AND (j.next_run_ms IS NULL OR j.next_run_ms <= $1)) \
                    OR j.requested_ms IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM sync_leases l \
                             WHERE l.project_key = j.project_key AND l.expires_ms > $1) \
             ORDER BY j.project_key"
        );
        let rows: Vec<JobRow> = self.pool.fetch_all(Statement::new(sql).bind(now_ms)).await?;
        rows.into_iter().map(SyncJob::try_from).collect()
    }

    /// Moves each claimed job to its next run and clears its request, if it is still as
    /// the claim saw it; returns the projects claimed. A job that another tick moved first
    /// is left out, so every due run is started once.
    pub async fn claim_runs(&self, claims: &[Claim]) -> Result<Vec<String>> {
        const WIDTH: usize = 4;
        let mut claimed = Vec::with_capacity(claims.len());
        for chunk in claims.chunks(sql::MAX_PARAMS / WIDTH) {
            let sql = format!(
                "UPDATE sync_jobs SET next_run_ms = v.column4, requested_ms = NULL, \
                 requested_full = FALSE, requested_accounts = NULL \
                 FROM (VALUES {}) AS v \
                 WHERE sync_jobs.project_key = v.column1 \
                 AND sync_jobs.next_run_ms IS NOT DISTINCT FROM v.column2 \
                 AND sync_jobs.requested_ms IS NOT DISTINCT FROM v.column3 \
                 RETURNING sync_jobs.project_key",
                sql::tuples(chunk.len(), WIDTH, 1)
            );
            let mut statement = Statement::new(sql);
            for claim in chunk {
                statement.push(claim.project_key.as_str());
                statement.push(claim.seen_next_run_ms);
                statement.push(claim.seen_requested_ms);
                statement.push(claim.next_run_ms);
            }
            let rows: Vec<(String,)> = self.pool.fetch_all(statement).await?;
            claimed.extend(rows.into_iter().map(|(key,)| key));
        }
        Ok(claimed)
    }

    /// Asks for a run of a tracked project now, merged with one already asked for: a full
    /// run if either is, and the union of the accounts to backfill (the whole scope if
    /// either asks for it). The next tick starts it, even when the schedule is paused.
    pub async fn request_run(
        &self,
        project: &str,
        full: bool,
        accounts: &[String],
    ) -> Result<Requested> {
        let now = self.now_ms();
        let mut tx = self.pool.begin().await?;
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM sync_jobs j JOIN tracked_projects p \
             ON p.project_key = j.project_key AND p.is_active = TRUE WHERE j.project_key = $1"
        );
        let row: Option<JobRow> = tx.fetch_optional(Statement::new(sql).bind(project)).await?;
        let Some(job) = row.map(SyncJob::try_from).transpose()? else {
            return Err(StoreError::UnknownProject(project.to_owned()));
        };
        let (full, accounts) = match job.request {
            Some(pending) => (pending.full || full, merge_scopes(pending.accounts, accounts)),
            None => (full, accounts.to_vec()),
        };
        let accounts = (!accounts.is_empty())
            .then(|| serde_json::to_string(&accounts))
            .transpose()
            .map_err(|error| StoreError::Invalid(error.to_string()))?;
        let update = Statement::new(
            "UPDATE sync_jobs SET requested_ms = $2, requested_full = $3, \
             requested_accounts = $4 WHERE project_key = $1",
        )
        .bind(project)
        .bind(now)
        .bind(full)
        .bind(&accounts);
        tx.execute(update).await?;
        let lease: Option<(i64,)> = tx
            .fetch_optional(
                Statement::new(
                    "SELECT expires_ms FROM sync_leases WHERE project_key = $1 AND expires_ms > $2",
                )
                .bind(project)
                .bind(now),
            )
            .await?;
        tx.commit().await?;
        Ok(if lease.is_some() { Requested::AfterRunInProgress } else { Requested::Queued })
    }

    /// Sets the schedule's status and, when given, its next run; false when the project has
    /// no schedule record.
    pub async fn set_job_status(
        &self,
        project: &str,
        status: JobStatus,
        next_run_ms: Option<i64>,
    ) -> Result<bool> {
        let statement = Statement::new(
            "UPDATE sync_jobs SET status = $2, next_run_ms = COALESCE($3, next_run_ms) \
             WHERE project_key = $1",
        )
        .bind(project)
        .bind(status.as_str())
        .bind(next_run_ms);
        Ok(self.pool.execute(statement).await? > 0)
    }

    /// Sets the admin's cron, the cron in force and the next run; false when the project
    /// has no schedule record.
    pub async fn set_job_schedule(
        &self,
        project: &str,
        original_cron: &str,
        cron: &str,
        next_run_ms: Option<i64>,
    ) -> Result<bool> {
        let statement = Statement::new(
            "UPDATE sync_jobs SET original_cron = $2, cron = $3, next_run_ms = $4 \
             WHERE project_key = $1",
        )
        .bind(project)
        .bind(original_cron)
        .bind(cron)
        .bind(next_run_ms);
        Ok(self.pool.execute(statement).await? > 0)
    }

    /// Writes what the telemetry decided.
    pub async fn set_job_health(&self, project: &str, health: &JobHealth) -> Result<()> {
        let statement = Statement::new(
            "UPDATE sync_jobs SET cron = $2, status = $3, backoff_rung = $4, backoff_reason = $5, \
             consecutive_failures = $6, last_error_code = $7, slow_runs = $8, \
             next_run_ms = COALESCE($9, next_run_ms) WHERE project_key = $1",
        )
        .bind(project)
        .bind(health.cron.as_str())
        .bind(health.status.as_str())
        .bind(i64::from(health.backoff_rung))
        .bind(&health.backoff_reason)
        .bind(i64::from(health.consecutive_failures))
        .bind(&health.last_error_code)
        .bind(i64::from(health.slow_runs))
        .bind(health.next_run_ms);
        self.pool.execute(statement).await?;
        Ok(())
    }

    /// Records a finished run, and when it ended on the project's schedule record.
    pub async fn record_run(&self, run: &RunRecord) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let insert = Statement::new(
            "INSERT INTO sync_runs (project_key, started_ms, finished_ms, succeeded, error_code, \
             retryable, issues) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(run.project_key.as_str())
        .bind(run.started_ms)
        .bind(run.finished_ms)
        .bind(run.succeeded)
        .bind(&run.error_code)
        .bind(run.retryable)
        .bind(run.issues);
        tx.execute(insert).await?;
        let job = Statement::new(
            "INSERT INTO sync_jobs (project_key, last_run_ms) VALUES ($1, $2) \
             ON CONFLICT (project_key) DO UPDATE SET last_run_ms = excluded.last_run_ms",
        )
        .bind(run.project_key.as_str())
        .bind(run.finished_ms);
        tx.execute(job).await?;
        tx.commit().await
    }

    /// The project's latest runs, newest first.
    pub async fn recent_runs(&self, project: &str, limit: u32) -> Result<Vec<RunRecord>> {
        let statement = Statement::new(
            "SELECT project_key, started_ms, finished_ms, succeeded, error_code, retryable, \
             issues FROM sync_runs WHERE project_key = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(project)
        .bind(i64::from(limit));
        self.pool.fetch_all(statement).await
    }
}

/// Two backfill scopes as one: the whole scope (empty) wins, else the union.
fn merge_scopes(mut pending: Vec<String>, more: &[String]) -> Vec<String> {
    if pending.is_empty() || more.is_empty() {
        return Vec::new();
    }
    for account in more {
        if !pending.contains(account) {
            pending.push(account.clone());
        }
    }
    pending
}

fn vanished(project: &str) -> StoreError {
    StoreError::Database(format!("sync job of {project} vanished"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_scope_request_absorbs_account_backfills() {
        let accounts = |ids: &[&str]| ids.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        assert_eq!(merge_scopes(accounts(&["a"]), &accounts(&["b", "a"])), accounts(&["a", "b"]));
        assert!(merge_scopes(Vec::new(), &accounts(&["b"])).is_empty());
        assert!(merge_scopes(accounts(&["a"]), &[]).is_empty());
    }
}
