//! Sync bookkeeping: per-entity cursors and status (`sync_states`) and the run log
//! (`sync_logs`); the schedule record is [`crate::schedule`]'s.

use std::fmt;

use sqlx::FromRow;

use crate::Store;
use crate::error::{Result, StoreError};
use crate::pool::{Statement, Tx};

/// A text column restricted to a few values, stored as its upper- or lower-case name.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = StoreError;

            fn try_from(text: String) -> Result<Self> {
                match text.as_str() {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(StoreError::Corrupt(
                        format!("{text:?} is not a {}", stringify!($name)),
                    )),
                }
            }
        }
    };
}

text_enum!(
    /// What a cursor in `sync_states` tracks.
    SyncEntity {
        Issues => "issues",
        /// The feed of changed worklogs (`/worklog/updated`).
        Worklogs => "worklogs",
        /// The feed of deleted worklogs (`/worklog/deleted`): its own cursor, since the two
        /// feeds end at different times.
        WorklogDeletions => "worklog_deletions",
        Sprints => "sprints",
        Users => "users",
        /// The deleted-issue sweep: its "cursor" is when it last ran.
        Sweep => "sweep",
    }
);

text_enum!(
    SyncStatus { Idle => "IDLE", Running => "RUNNING", Success => "SUCCESS", Failed => "FAILED" }
);

text_enum!(
    JobStatus { Active => "ACTIVE", Paused => "PAUSED", Error => "ERROR" }
);

text_enum!(
    LogLevel { Debug => "DEBUG", Info => "INFO", Warn => "WARN", Error => "ERROR" }
);

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct SyncState {
    pub project_key: String,
    #[sqlx(try_from = "String")]
    pub entity: SyncEntity,
    /// Everything up to this instant is stored (for `issues`: the largest `updated` applied).
    pub cursor_ms: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: SyncStatus,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub last_error_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncLog {
    pub id: i64,
    pub project_key: String,
    pub level: LogLevel,
    pub message: String,
    /// Structured context; for failures it carries the classified error code.
    pub details: Option<serde_json::Value>,
    pub created_ms: i64,
}

#[derive(FromRow)]
struct LogRow {
    id: i64,
    project_key: String,
    #[sqlx(try_from = "String")]
    level: LogLevel,
    message: String,
    details: Option<String>,
    created_ms: i64,
}

impl TryFrom<LogRow> for SyncLog {
    type Error = StoreError;

    fn try_from(row: LogRow) -> Result<Self> {
        let details = row
            .details
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|error| StoreError::Corrupt(format!("sync_logs.details: {error}")))?;
        Ok(Self {
            id: row.id,
            project_key: row.project_key,
            level: row.level,
            message: row.message,
            details,
            created_ms: row.created_ms,
        })
    }
}

const STATE_COLUMNS: &str =
    "project_key, entity, cursor_ms, status, last_success_ms, last_error, last_error_ms";

/// Moves a cursor inside the caller's transaction, creating the state row when needed.
pub(crate) async fn set_cursor(
    tx: &mut Tx,
    project: &str,
    entity: SyncEntity,
    cursor_ms: i64,
) -> Result<()> {
    let statement = Statement::new(
        "INSERT INTO sync_states (project_key, entity, cursor_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (project_key, entity) DO UPDATE SET cursor_ms = excluded.cursor_ms",
    );
    tx.execute(statement.bind(project).bind(entity.as_str()).bind(cursor_ms)).await?;
    Ok(())
}

impl Store {
    pub async fn sync_state(&self, project: &str, entity: SyncEntity) -> Result<Option<SyncState>> {
        let sql = format!(
            "SELECT {STATE_COLUMNS} FROM sync_states WHERE project_key = $1 AND entity = $2"
        );
        self.pool.fetch_optional(Statement::new(sql).bind(project).bind(entity.as_str())).await
    }

    /// Every entity's state for a project, by entity name.
    pub async fn sync_states(&self, project: &str) -> Result<Vec<SyncState>> {
        let sql = format!(
            "SELECT {STATE_COLUMNS} FROM sync_states WHERE project_key = $1 ORDER BY entity"
        );
        self.pool.fetch_all(Statement::new(sql).bind(project)).await
    }

    /// Sets the status; `Success` also records when, `Failed` records `error` and when.
    pub async fn set_sync_status(
        &self,
        project: &str,
        entity: SyncEntity,
        status: SyncStatus,
        error: Option<&str>,
    ) -> Result<()> {
        let now = self.now_ms();
        let success_ms = (status == SyncStatus::Success).then_some(now);
        let failed = status == SyncStatus::Failed;
        let error_ms = failed.then_some(now);
        let error = if failed { error } else { None };
        let statement = Statement::new(
            "INSERT INTO sync_states (project_key, entity, status, last_success_ms, last_error, \
             last_error_ms) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (project_key, entity) DO UPDATE SET status = excluded.status, \
             last_success_ms = COALESCE(excluded.last_success_ms, sync_states.last_success_ms), \
             last_error = CASE WHEN excluded.last_error_ms IS NULL THEN sync_states.last_error \
                          ELSE excluded.last_error END, \
             last_error_ms = COALESCE(excluded.last_error_ms, sync_states.last_error_ms)",
        )
        .bind(project)
        .bind(entity.as_str())
        .bind(status.as_str())
        .bind(success_ms)
        .bind(error)
        .bind(error_ms);
        self.pool.execute(statement).await?;
        Ok(())
    }

    /// When the deleted-issue sweep last ran for the project.
    pub async fn last_sweep_ms(&self, project: &str) -> Result<Option<i64>> {
        Ok(self.sync_state(project, SyncEntity::Sweep).await?.and_then(|state| state.cursor_ms))
    }

    /// Makes the project's next run sweep, whenever the last sweep was.
    pub async fn forget_last_sweep(&self, project: &str) -> Result<()> {
        let statement = Statement::new(
            "UPDATE sync_states SET cursor_ms = NULL WHERE project_key = $1 AND entity = $2",
        );
        self.pool.execute(statement.bind(project).bind(SyncEntity::Sweep.as_str())).await?;
        Ok(())
    }

    pub async fn set_last_sweep_ms(&self, project: &str, at_ms: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        set_cursor(&mut tx, project, SyncEntity::Sweep, at_ms).await?;
        tx.commit().await
    }

    pub async fn append_log(
        &self,
        project: &str,
        level: LogLevel,
        message: &str,
        details: Option<&serde_json::Value>,
    ) -> Result<()> {
        let details = details.map(serde_json::Value::to_string);
        let statement = Statement::new(
            "INSERT INTO sync_logs (project_key, level, message, details, created_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(project)
        .bind(level.as_str())
        .bind(message)
        .bind(&details)
        .bind(self.now_ms());
        self.pool.execute(statement).await?;
        Ok(())
    }

    /// The project's most recent log entries, newest first.
    pub async fn sync_logs(&self, project: &str, limit: u32) -> Result<Vec<SyncLog>> {
        self.sync_logs_at(project, limit, None).await
    }

    /// The project's most recent log entries of `level` (every level with `None`), newest
    /// first.
    pub async fn sync_logs_at(
        &self,
        project: &str,
        limit: u32,
        level: Option<LogLevel>,
    ) -> Result<Vec<SyncLog>> {
        let statement = Statement::new(
            "SELECT id, project_key, level, message, details, created_ms FROM sync_logs \
             WHERE project_key = $1 AND ($3 IS NULL OR level = $3) ORDER BY id DESC LIMIT $2",
        )
        .bind(project)
        .bind(i64::from(limit))
        .bind(level.map(LogLevel::as_str));
        let rows: Vec<LogRow> = self.pool.fetch_all(statement).await?;
        rows.into_iter().map(SyncLog::try_from).collect()
    }
}
