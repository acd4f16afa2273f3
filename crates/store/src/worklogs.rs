//! Worklogs: written with their issue's batch, and from the site-wide stream of changed and
//! deleted worklogs.

use tracing::instrument;

use crate::error::Result;
use crate::model::{Stored, Worklog};
use crate::pool::{Statement, Tx};
use crate::sync_state::{SyncEntity, set_cursor};
use crate::{Store, sql};

pub(crate) const WORKLOG_COLUMNS: &str = "id, issue_id, author_account_id, started_ms, time_spent_seconds, \
     comment, created_ms, updated_ms";

/// Where the two worklog feeds stand (epoch ms): the next run reads each from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCursors {
    pub updated_ms: i64,
    pub deleted_ms: i64,
}

impl FeedCursors {
    /// Both feeds from one time, as after a full sync.
    pub fn both(at_ms: i64) -> Self {
        Self { updated_ms: at_ms, deleted_ms: at_ms }
    }
}

/// What one call to [`Store::apply_worklog_changes`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorklogChanges {
    /// Worklogs inserted or updated.
    pub upserted: u64,
    /// Worklogs left out because their issue is not stored (another project's, or one the
    /// issue sync has not reached: it brings the worklogs along when it does).
    pub skipped: u64,
    /// Live worklogs marked deleted.
    pub deleted: u64,
}

/// Upserts worklogs whose issue is stored (un-deleting any that were marked deleted) and
/// returns how many that was; the rest are skipped.
pub(crate) async fn upsert_worklogs(tx: &mut Tx, worklogs: &[&Worklog]) -> Result<u64> {
    const WIDTH: usize = 8;
    let worklogs = sql::last_per_key(worklogs.iter().copied(), |worklog| worklog.id.as_str());
    let mut upserted = 0;
    for chunk in sql::chunks(&worklogs, WIDTH, 0) {
        // VALUES columns are named column1… in both databases. (SQLite needs the WHERE to
        // tell the upsert's ON CONFLICT from a join's ON.)
        let mut statement = Statement::new(format!(
            "INSERT INTO worklogs ({WORKLOG_COLUMNS}) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, \
             v.column7, v.column8 FROM (VALUES {}) AS v \
             WHERE EXISTS (SELECT 1 FROM issues WHERE issues.id = v.column2) \
             ON CONFLICT (id) DO UPDATE SET issue_id = excluded.issue_id, \
             author_account_id = excluded.author_account_id, started_ms = excluded.started_ms, \
             time_spent_seconds = excluded.time_spent_seconds, comment = excluded.comment, \
             created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, \
             deleted_at = NULL",
            sql::tuples(chunk.len(), WIDTH, 1)
        ));
        for worklog in chunk {
            statement.push(&worklog.id);
            statement.push(&worklog.issue_id);
            statement.push(&worklog.author_account_id);
            statement.push(worklog.started_ms);
            statement.push(worklog.time_spent_seconds);
            statement.push(&worklog.comment);
            statement.push(worklog.created_ms);
            statement.push(worklog.updated_ms);
        }
        upserted += tx.execute(statement).await?;
    }
    Ok(upserted)
}

impl Store {
    /// One page of the worklog stream, in one transaction: upserts the changed worklogs,
    /// soft-deletes the deleted ones and moves the project's two worklog feed cursors.
    #[instrument(skip_all, fields(project, upserts = upserts.len(), deleted = deleted_ids.len()))]
    pub async fn apply_worklog_changes(
        &self,
        project: &str,
        upserts: &[Worklog],
        deleted_ids: &[String],
        cursors: FeedCursors,
    ) -> Result<WorklogChanges> {
        let now = self.now_ms();
        let unique = sql::last_per_key(upserts, |worklog| worklog.id.as_str());
        let mut tx = self.pool.begin_lookups().await?;
        let upserted = upsert_worklogs(&mut tx, &unique).await?;
        let mut deleted = 0;
        for chunk in sql::chunks(deleted_ids, 1, 1) {
            let mut statement = Statement::new(format!(
                "UPDATE worklogs SET deleted_at = $1 WHERE deleted_at IS NULL AND id IN ({})",
                sql::list(chunk.len(), 2)
            ))
            .bind(now);
            for id in chunk {
                statement.push(id);
            }
            deleted += tx.execute(statement).await?;
        }
        set_cursor(&mut tx, project, SyncEntity::Worklogs, cursors.updated_ms).await?;
        set_cursor(&mut tx, project, SyncEntity::WorklogDeletions, cursors.deleted_ms).await?;
        tx.commit().await?;
        let seen = u64::try_from(unique.len()).unwrap_or(u64::MAX);
        Ok(WorklogChanges { upserted, skipped: seen.saturating_sub(upserted), deleted })
    }

    /// Where the project's worklog feeds resume; `None` before its first full sync. (A store
    /// written before deletions had a cursor of their own resumes both from the one.)
    pub async fn feed_cursors(&self, project: &str) -> Result<Option<FeedCursors>> {
        let states = self.sync_states(project).await?;
        let cursor = |entity| states.iter().find(|s| s.entity == entity).and_then(|s| s.cursor_ms);
        Ok(cursor(SyncEntity::Worklogs).map(|updated_ms| FeedCursors {
            updated_ms,
            deleted_ms: cursor(SyncEntity::WorklogDeletions).unwrap_or(updated_ms),
        }))
    }

    /// The issue's worklogs, deleted ones included, by start time.
    pub async fn worklogs_of(&self, issue_id: &str) -> Result<Vec<Stored<Worklog>>> {
        let sql = format!(
            "SELECT {WORKLOG_COLUMNS}, deleted_at FROM worklogs WHERE issue_id = $1 \
             ORDER BY started_ms, id"
        );
        self.pool.fetch_all(Statement::new(sql).bind(issue_id)).await
    }
}
