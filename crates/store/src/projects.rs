//! Which projects are synced (`tracked_projects`) and whose work in them
//! (`project_tracked_users`).

use crate::Store;
use crate::error::{Result, StoreError};
use crate::model::{ProjectCounts, TrackedProject};
use crate::pool::Statement;
use crate::sql;
use crate::sync_state::SyncEntity;

impl Store {
    /// Tracks a project (again); true when it was not tracked before.
    pub async fn track_project(&self, key: &str, id: &str, name: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let was_active: Option<(bool,)> = tx
            .fetch_optional(
                Statement::new("SELECT is_active FROM tracked_projects WHERE project_key = $1")
                    .bind(key),
            )
            .await?;
        let upsert = Statement::new(
            "INSERT INTO tracked_projects (project_key, project_id, name, is_active, created_ms) \
             VALUES ($1, $2, $3, TRUE, $4) ON CONFLICT (project_key) DO UPDATE SET \
             project_id = excluded.project_id, name = excluded.name, is_active = TRUE",
        )
        .bind(key)
        .bind(id)
        .bind(name)
        .bind(self.now_ms());
        tx.execute(upsert).await?;
        tx.commit().await?;
        Ok(!matches!(was_active, Some((true,))))
    }

    /// Stops tracking a project; its data and its tracked users stay for a later re-track.
    /// False when it was not tracked.
    pub async fn untrack_project(&self, key: &str) -> Result<bool> {
        let statement = Statement::new(
            "UPDATE tracked_projects SET is_active = FALSE \
             WHERE project_key = $1 AND is_active = TRUE",
        );
        Ok(self.pool.execute(statement.bind(key)).await? > 0)
    }

    /// The tracked projects, by key.
    pub async fn tracked_projects(&self) -> Result<Vec<TrackedProject>> {
        let statement = Statement::new(
            "SELECT project_key, project_id, name, created_ms FROM tracked_projects \
             WHERE is_active = TRUE ORDER BY project_key",
        );
        self.pool.fetch_all(statement).await
    }

    /// Live issues, comments and worklogs of each of `projects`, in one grouped statement;
    /// a project without issues is absent.
    pub async fn project_counts(
        &self,
        projects: &[String],
    ) -> Result<Vec<(String, ProjectCounts)>> {
        let mut counts = Vec::new();
        for chunk in sql::chunks(projects, 1, 0) {
            let mut statement = Statement::new(format!(
                "SELECT i.project_key, COUNT(*) AS issues, \
                 CAST(COALESCE(SUM(c.n), 0) AS BIGINT) AS comments, \
                 CAST(COALESCE(SUM(w.n), 0) AS BIGINT) AS worklogs FROM issues i \
                 LEFT JOIN (SELECT issue_id, COUNT(*) AS n FROM comments \
                            WHERE deleted_at IS NULL GROUP BY issue_id) c ON c.issue_id = i.id \
                 LEFT JOIN (SELECT issue_id, COUNT(*) AS n FROM worklogs \
                            WHERE deleted_at IS NULL GROUP BY issue_id) w ON w.issue_id = i.id \
                 WHERE i.deleted_at IS NULL AND i.project_key IN ({}) GROUP BY i.project_key",
                sql::list(chunk.len(), 1)
            ));
            for project in chunk {
                statement.push(project);
            }
            let rows: Vec<(String, i64, i64, i64)> = self.pool.fetch_all(statement).await?;
            counts.extend(rows.into_iter().map(|(key, issues, comments, worklogs)| {
                (key, ProjectCounts { issues, comments, worklogs })
            }));
        }
        Ok(counts)
    }

    /// Adds an account to the project's watchlist; true when it was not on it yet. A new
    /// account's history is not in the store (only watched work is ingested), so the same
    /// transaction drops the project's issue cursor: the next sync is a full one (a backfill).
    pub async fn add_tracked_user(&self, project: &str, account_id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let insert = Statement::new(
            "INSERT INTO project_tracked_users (project_key, account_id, added_ms) \
             VALUES ($1, $2, $3) ON CONFLICT (project_key, account_id) DO NOTHING",
        )
        .bind(project)
        .bind(account_id)
        .bind(self.now_ms());
        let added = match tx.execute(insert).await {
            Ok(added) => added > 0,
            // The only foreign key here is the project's.
            Err(StoreError::Constraint(_)) => {
                return Err(StoreError::UnknownProject(project.into()));
            }
            Err(other) => return Err(other),
        };
        if added {
            tx.execute(full_sync_next(project)).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Makes the project's next sync a full one, by dropping its issue cursor.
    pub async fn request_full_sync(&self, project: &str) -> Result<()> {
        self.pool.execute(full_sync_next(project)).await?;
        Ok(())
    }

    /// False when the account was not on the watchlist.
    pub async fn remove_tracked_user(&self, project: &str, account_id: &str) -> Result<bool> {
        let statement = Statement::new(
            "DELETE FROM project_tracked_users WHERE project_key = $1 AND account_id = $2",
        );
        Ok(self.pool.execute(statement.bind(project).bind(account_id)).await? > 0)
    }

    /// The project's watchlist, by account id.
    pub async fn tracked_users(&self, project: &str) -> Result<Vec<String>> {
        let statement = Statement::new(
            "SELECT account_id FROM project_tracked_users WHERE project_key = $1 \
             ORDER BY account_id",
        );
        let rows: Vec<(String,)> = self.pool.fetch_all(statement.bind(project)).await?;
        Ok(rows.into_iter().map(|(account_id,)| account_id).collect())
    }
}

fn full_sync_next(project: &str) -> Statement<'_> {
    Statement::new("UPDATE sync_states SET cursor_ms = NULL WHERE project_key = $1 AND entity = $2")
        .bind(project)
        .bind(SyncEntity::Issues.as_str())
}
