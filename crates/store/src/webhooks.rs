//! `webhook_deliveries`: each Jira webhook delivery the worker took on, for which project,
//! when it was received and when the re-read of its issue was committed. Those of a project
//! not applied yet are its pending ones, applied together.

use crate::Store;
use crate::error::Result;
use crate::model::DeliveryRecord;
use crate::pool::Statement;
use crate::sql;

const COLUMNS: &str = "id, received_ms, event, issue_id, project_key, applied_ms";

impl Store {
    /// Records deliveries as received and not applied yet; one recorded already (Jira's
    /// retry, a redelivered message) keeps its first reception.
    pub async fn record_webhook_deliveries(&self, deliveries: &[DeliveryRecord]) -> Result<()> {
        const WIDTH: usize = 5;
        let deliveries = sql::last_per_key(deliveries, |delivery| delivery.id.as_str());
        let mut tx = self.pool.begin().await?;
        for chunk in sql::chunks(&deliveries, WIDTH, 0) {
            let mut statement = Statement::new(format!(
                "INSERT INTO webhook_deliveries (id, received_ms, event, issue_id, project_key) \
                 VALUES {} ON CONFLICT (id) DO NOTHING",
                sql::tuples(chunk.len(), WIDTH, 1)
            ));
            for delivery in chunk {
                statement.push(&delivery.id);
                statement.push(delivery.received_ms);
                statement.push(&delivery.event);
                statement.push(&delivery.issue_id);
                statement.push(&delivery.project_key);
            }
            tx.execute(statement).await?;
        }
        tx.commit().await
    }

    /// Marks deliveries applied at `applied_ms`; one applied already keeps its first time.
    pub async fn mark_webhook_deliveries_applied(
        &self,
        ids: &[String],
        applied_ms: i64,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for chunk in sql::chunks(ids, 1, 1) {
            let mut statement = Statement::new(format!(
                "UPDATE webhook_deliveries SET applied_ms = $1 WHERE applied_ms IS NULL \
                 AND id IN ({})",
                sql::list(chunk.len(), 2)
            ))
            .bind(applied_ms);
            for id in chunk {
                statement.push(id);
            }
            tx.execute(statement).await?;
        }
        tx.commit().await
    }

    /// The deliveries that named an issue, oldest first.
    pub async fn webhook_deliveries_of(&self, issue_id: &str) -> Result<Vec<DeliveryRecord>> {
        let statement = Statement::new(format!(
            "SELECT {COLUMNS} FROM webhook_deliveries WHERE issue_id = $1 \
             ORDER BY received_ms, id"
        ));
        self.pool.fetch_all(statement.bind(issue_id)).await
    }

    /// Up to `limit` of the project's deliveries not applied yet, oldest first.
    pub async fn pending_webhook_deliveries(
        &self,
        project: &str,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        let statement = Statement::new(format!(
            "SELECT {COLUMNS} FROM webhook_deliveries \
             WHERE project_key = $1 AND applied_ms IS NULL ORDER BY received_ms, id LIMIT $2"
        ));
        self.pool.fetch_all(statement.bind(project).bind(i64::from(limit))).await
    }

    /// Which of `ids` are recorded and not applied yet.
    pub async fn unapplied_webhook_deliveries(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut unapplied = Vec::new();
        for chunk in sql::chunks(ids, 1, 0) {
            let mut statement = Statement::new(format!(
                "SELECT id FROM webhook_deliveries WHERE applied_ms IS NULL AND id IN ({})",
                sql::list(chunk.len(), 1)
            ));
            for id in chunk {
                statement.push(id);
            }
            let rows: Vec<(String,)> = self.pool.fetch_all(statement).await?;
            unapplied.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(unapplied)
    }
}
