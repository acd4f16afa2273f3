//! Schema drift: what the client's probe found in a run's samples of Jira's answers (the
//! first issue of each search page; [`SchemaDrift`]), counted once per run in the summary and
//! reported once per project: a drift never seen for the project is stored (`schema_drifts`)
//! and logged as one WARN entry with its path, kind and sample. Drift never fails a run. An
//! answer the client cannot read does (a value of a type it cannot parse), and the drifts of
//! the issue at fault are still reported, before the failure is.

use clockwork_clients::jira_data::SchemaDrift;
use clockwork_store::StoreError;
use clockwork_store::model::Drift;
use clockwork_store::sync_state::LogLevel;
use serde_json::json;

use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::run_state::RunState;

impl SyncEngine {
    /// Counts the drifts of a page the run has not seen yet, and reports those new to the
    /// project.
    pub(crate) async fn note_drifts(
        &self,
        state: &mut RunState,
        drifts: Vec<SchemaDrift>,
    ) -> Result<(), SyncError> {
        for drift in drifts {
            let identity = identity(&drift);
            if state.drifts_seen.contains(&identity) {
                continue;
            }
            state.drifts_seen.push(identity);
            state.summary.drifts += 1;
            if self.report_drift(&state.project, &drift).await? {
                state.summary.new_drifts += 1;
            }
        }
        Ok(())
    }

    /// Reports the drifts of an answer that failed the run. The failure is what the run
    /// records, so a store error here is only logged.
    pub(crate) async fn report_failure_drifts(&self, project: &str, error: &SyncError) {
        let SyncError::Jira(error) = error else {
            return;
        };
        for drift in &error.drifts {
            if let Err(store_error) = self.report_drift(project, drift).await {
                tracing::error!(%store_error, "could not record a schema drift");
            }
        }
    }

    /// Stores `drift` for `project` and, when new to it, logs it; `true` when it was new.
    async fn report_drift(&self, project: &str, drift: &SchemaDrift) -> Result<bool, StoreError> {
        let (entity, kind) = (drift.entity.as_str(), drift.kind.as_str());
        let row = Drift {
            entity: entity.to_owned(),
            path: drift.path.clone(),
            kind: kind.to_owned(),
            sample: drift.sample.clone(),
        };
        if !self.store.record_drift(project, &row).await? {
            return Ok(false);
        }
        tracing::warn!(entity, path = %drift.path, kind, "schema drift");
        let details =
            json!({ "entity": entity, "path": drift.path, "kind": kind, "sample": drift.sample });
        let message = format!("schema drift: {drift}");
        self.store.append_log(project, LogLevel::Warn, &message, Some(&details)).await?;
        Ok(true)
    }
}

/// What tells a drift from another within a run: its entity, path and kind.
fn identity(drift: &SchemaDrift) -> String {
    format!("{} {} {}", drift.entity.as_str(), drift.path, drift.kind.as_str())
}
