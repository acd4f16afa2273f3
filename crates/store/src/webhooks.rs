//! `webhook_deliveries`: each Jira webhook delivery the worker took on, when it was received
//! and when the re-read of its issue was committed.

use crate::Store;
use crate::error::Result;
use crate::model::DeliveryRecord;
use crate::pool::Statement;
use crate::sql;

impl Store {
    /// Records deliveries as received and not applied yet; one recorded already (Jira's
    /// retry, a redelivered message) keeps its first reception.
    pub async fn record_webhook_deliveries(&self, deliveries: &[DeliveryRecord]) -> Result<()> {
        const WIDTH: usize = 4;
        let deliveries = sql::last_per_key(deliveries, |delivery| delivery.id.as_str());
        let mut tx = self.pool.begin().await?;
        for chunk in sql::chunks(tx.backend(), &deliveries, WIDTH, 0) {
            let mut statement = Statement::new(format!(
                "INSERT INTO webhook_deliveries (id, received_ms, event, issue_id) VALUES {} \
                 ON CONFLICT (id) DO NOTHING",
                sql::tuples(chunk.len(), WIDTH, 1)
            ));
            for delivery in chunk {
                statement.push(&delivery.id);
                statement.push(delivery.received_ms);
                statement.push(&delivery.event);
                statement.push(&delivery.issue_id);
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
        for chunk in sql::chunks(tx.backend(), ids, 1, 1) {
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
        let statement = Statement::new(
            "SELECT id, received_ms, event, issue_id, applied_ms FROM webhook_deliveries \
             WHERE issue_id = $1 ORDER BY received_ms, id",
        );
        self.pool.fetch_all(statement.bind(issue_id)).await
    }
}
