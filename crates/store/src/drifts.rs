//! `schema_drifts`: each way Jira's answers were seen to differ from what the sync reads,
//! kept once per project so that a drift is reported when it is new, and only then.

use crate::Store;
use crate::error::Result;
use crate::model::Drift;
use crate::pool::Statement;

impl Store {
    /// Records that `project`'s answers showed `drift`; `true` when it had never been seen
    /// for the project (its first sample is the one kept).
    pub async fn record_drift(&self, project: &str, drift: &Drift) -> Result<bool> {
        let statement = Statement::new(
            "INSERT INTO schema_drifts (project_key, entity, path, kind, sample, first_seen_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (project_key, entity, path, kind) DO NOTHING",
        )
        .bind(project)
        .bind(&drift.entity)
        .bind(&drift.path)
        .bind(&drift.kind)
        .bind(&drift.sample)
        .bind(self.now_ms());
        Ok(self.pool.execute(statement).await? == 1)
    }
}
