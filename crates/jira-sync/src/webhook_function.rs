//! `apply-jira-webhooks` (event `jira/webhook.received`, data `{ deliveries: [...] }`): the
//! deliveries as durable steps — `plan` (grouped by project, the others dropped and
//! counted), `record` (pending for their projects), a wait until the projects' windows
//! close (the run continues in a delayed delivery), then one `project-<KEY>` per project,
//! which re-reads the project's pending issues under its lease, or finds its deliveries
//! applied by another run's re-read. A project a sync run holds fails its step as
//! retryable (`BUSY`): the message comes back later and replays the projects already
//! applied from their memos.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use clockwork_core::event::WEBHOOK_RECEIVED;
use clockwork_core::webhook::{WebhookDeliveries, WebhookDelivery};
use clockwork_core::{IssueId, ProjectKey};
use clockwork_durable::{Function, RunContext, RunEnd, StepError};
use serde::{Deserialize, Serialize};

use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::function::{failure, unserializable};
use crate::webhooks::{Applied, Plan, plan};

pub const FUNCTION: &str = "apply-jira-webhooks";
const PLAN: &str = "plan";
const RECORD: &str = "record";

/// The run's output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSummary {
    pub deliveries: u64,
    /// Dropped: an untracked project, or an issue of no known project.
    pub untracked: u64,
    /// Dropped: a project watching some users, none of them named.
    pub unwatched: u64,
    pub projects: u64,
    pub issues: u64,
    pub deleted: u64,
    /// Changes of the issues' histories stored for the first time.
    #[serde(default)]
    pub changes: u64,
    /// Deliveries another run's re-read had applied already.
    #[serde(default)]
    pub coalesced: u64,
    /// Requests to Jira.
    pub requests: u64,
}

#[derive(Debug)]
pub struct ApplyWebhooks {
    engine: Arc<SyncEngine>,
}

impl ApplyWebhooks {
    pub fn new(engine: Arc<SyncEngine>) -> Self {
        Self { engine }
    }

    /// Which project each delivery is for, which projects are tracked and whom they watch.
    async fn plan(&self, deliveries: Vec<WebhookDelivery>) -> Result<Plan, SyncError> {
        let store = self.engine.store();
        let mut stored = HashMap::new();
        for delivery in deliveries.iter().filter(|d| d.project_key.is_none()) {
            if let Some(issue) = store.issue(&delivery.issue_id).await? {
                stored.insert(delivery.issue_id.clone(), issue.value.project_key);
            }
        }
        let named: BTreeSet<&String> = deliveries
            .iter()
            .filter_map(|d| d.project_key.as_ref())
            .chain(stored.values())
            .collect();
        let mut tracked = HashMap::new();
        for project in store.tracked_projects().await? {
            if named.contains(&project.key) {
                let watched = store.tracked_users(&project.key).await?;
                tracked.insert(project.key, watched);
            }
        }
        Ok(plan(deliveries, &tracked, &stored))
    }
}

#[async_trait]
impl Function for ApplyWebhooks {
    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn event(&self) -> &'static str {
        WEBHOOK_RECEIVED
    }

    fn steps(&self) -> &'static [&'static str] {
        &[PLAN, RECORD]
    }

    async fn run(
        &self,
        ctx: &mut RunContext<'_>,
        data: &serde_json::Value,
    ) -> Result<RunEnd, StepError> {
        let deliveries = parse(data)?;
        let run_id = ctx.run_id().to_owned();
        let mut summary =
            WebhookSummary { deliveries: deliveries.len() as u64, ..WebhookSummary::default() };
        let plan: Plan =
            ctx.step(PLAN, || async { self.plan(deliveries).await.map_err(failure) }).await?;
        (summary.untracked, summary.unwatched) = (plan.untracked, plan.unwatched);
        let due: BTreeMap<String, i64> = ctx
            .step(RECORD, || async {
                let mut due = BTreeMap::new();
                for (project, deliveries) in &plan.projects {
                    let at = self.engine.record_webhooks(project, deliveries).await;
                    due.insert(project.clone(), at.map_err(failure)?);
                }
                Ok(due)
            })
            .await?;
        let now = self.engine.store().now_ms();
        let wait = due.values().max().map_or(0, |at| at.saturating_sub(now));
        if let Ok(wait @ 1..) = u64::try_from(wait) {
            tracing::info!(wait_ms = wait, "waiting for the projects' deliveries to gather");
            return Ok(RunEnd::ContinueAfter(Duration::from_millis(wait), data.clone()));
        }
        for (project, deliveries) in &plan.projects {
            let engine = self.engine.as_ref();
            let applied: Applied = ctx
                .step(&format!("project-{project}"), || async {
                    engine.apply_recorded(project, deliveries, &run_id).await.map_err(failure)
                })
                .await?;
            summary.projects += 1;
            summary.issues += applied.issues;
            summary.deleted += applied.deleted;
            summary.changes += applied.changes;
            summary.coalesced += applied.coalesced;
            summary.requests += applied.requests;
        }
        tracing::info!(?summary, "webhook deliveries handled");
        serde_json::to_value(summary).map(RunEnd::Completed).map_err(unserializable)
    }
}

fn parse(data: &serde_json::Value) -> Result<Vec<WebhookDelivery>, StepError> {
    let malformed = |e: &dyn std::fmt::Display| {
        StepError::permanent(
            "MALFORMED_EVENT",
            format!(
                "{WEBHOOK_RECEIVED} needs data {{deliveries: [{{id, webhookEvent, issueId, …}}]}}: {e}"
            ),
        )
    };
    let WebhookDeliveries { mut deliveries } =
        serde_json::from_value(data.clone()).map_err(|e| malformed(&e))?;
    for delivery in &mut deliveries {
        IssueId::parse(&delivery.issue_id).map_err(|e| malformed(&e))?;
        if let Some(key) = &delivery.project_key {
            let key = ProjectKey::parse(key).map_err(|e| malformed(&e))?;
            delivery.project_key = Some(key.to_string());
        }
    }
    Ok(deliveries)
}
