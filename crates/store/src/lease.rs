//! One sync run per project at a time, across processes: a row in `sync_leases` that its
//! holder owns until it releases it or the lease expires (a crashed holder never releases).

use std::time::Duration;

use crate::Store;
use crate::error::Result;
use crate::pool::Statement;

impl Store {
    /// Takes the project's lease for `ttl`: true when it was free, expired, or already this
    /// holder's (which renews it). One atomic statement, so two callers never both win.
    pub async fn try_lease(&self, project: &str, holder: &str, ttl: Duration) -> Result<bool> {
        let now = self.now_ms();
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let statement = Statement::new(
            "INSERT INTO sync_leases (project_key, holder, expires_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (project_key) DO UPDATE SET holder = excluded.holder, \
             expires_ms = excluded.expires_ms \
             WHERE sync_leases.expires_ms <= $4 OR sync_leases.holder = excluded.holder",
        )
        .bind(project)
        .bind(holder)
        .bind(now.saturating_add(ttl_ms))
        .bind(now);
        Ok(self.pool.execute(statement).await? > 0)
    }

    /// Who holds the project's lease and until when (epoch ms), expired or not.
    pub async fn lease(&self, project: &str) -> Result<Option<(String, i64)>> {
        let statement =
            Statement::new("SELECT holder, expires_ms FROM sync_leases WHERE project_key = $1");
        self.pool.fetch_optional(statement.bind(project)).await
    }

    /// Gives the lease back; false when this holder did not hold it (any more).
    pub async fn release_lease(&self, project: &str, holder: &str) -> Result<bool> {
        let statement =
            Statement::new("DELETE FROM sync_leases WHERE project_key = $1 AND holder = $2")
                .bind(project)
                .bind(holder);
        Ok(self.pool.execute(statement).await? > 0)
    }
}
