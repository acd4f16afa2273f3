//! After every run, whatever started it: read the project's recent runs, apply the
//! [`policy`](crate::policy) and write, log and alert what it decided.

use async_trait::async_trait;
use clockwork_jira_sync::RunObserver;
use clockwork_store::{RunRecord, Store, StoreError};

use crate::alerts::Alerts;
use crate::policy::{self, Policy};

#[derive(Debug, Clone)]
pub struct Telemetry {
    store: Store,
    policy: Policy,
    alerts: Alerts,
}

impl Telemetry {
    pub fn new(store: Store, policy: Policy, alerts: Alerts) -> Self {
        Self { store, policy, alerts }
    }

    /// Assesses the project after its latest run.
    pub async fn assess(&self, project: &str) -> Result<(), StoreError> {
        let Some(job) = self.store.sync_job(project).await? else { return Ok(()) };
        let runs = self.store.recent_runs(project, self.policy.history()).await?;
        let assessment = policy::assess(&self.policy, &job, &runs, self.store.now_ms());
        self.store.set_job_health(project, &assessment.health).await?;
        if let Some(log) = &assessment.log {
            self.store.append_log(project, log.level, &log.message, Some(&log.details)).await?;
        }
        if let Some(alert) = &assessment.alert {
            self.alerts.send(alert).await;
        }
        Ok(())
    }
}

#[async_trait]
impl RunObserver for Telemetry {
    async fn run_ended(&self, run: &RunRecord) {
        if let Err(error) = self.assess(&run.project_key).await {
            tracing::error!(project = %run.project_key, %error, "telemetry could not assess the run");
        }
    }
}
