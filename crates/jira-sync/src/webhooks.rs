//! Jira's webhook deliveries, applied as hints rather than data: the issues they name are
//! read again through the sync's own search and normalisation and committed through the
//! same batch transaction, under the project's lease. A duplicate, late or out-of-order
//! delivery only reads the issue's current state once more; the issue cursor never moves
//! (a few issues are no prefix of the sync's search), so polling still finds every change.
//! The changelogs of the issues written are read and stored before the deliveries are
//! marked applied.
//!
//! Deliveries coalesce: each is recorded as pending for its project at once, and applied
//! once the project's oldest pending delivery is [`SyncOptions::webhook_window`] old, by
//! one re-read of every pending issue of the project. A delivery another run applied
//! meanwhile costs no request.
//!
//! [`plan`] is the pure part: deliveries grouped by project, those for an untracked project
//! or (in a project that watches some users) naming none of its watched accounts dropped
//! and counted.
//!
//! [`SyncOptions::webhook_window`]: crate::SyncOptions::webhook_window

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use clockwork_clients::jira_data::{DataIssue, issues_by_id_jql};
use clockwork_core::IssueId;
use clockwork_core::webhook::{ISSUE_DELETED, WebhookDelivery};
use clockwork_store::DeliveryRecord;
use clockwork_store::model::IssueBatch;
use serde::{Deserialize, Serialize};

use crate::batch::Read;
use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::normalize::Scope;

/// Issue ids one search names at most: the page size of a sync's search.
pub const IDS_PER_SEARCH: usize = 100;

/// The most pending deliveries of a project one re-read takes on (ten searches' worth of
/// distinct issues at most); the rest are applied by their own runs.
const PENDING_PER_REREAD: u32 = 1000;

/// The deliveries to apply, by project, and those dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub projects: BTreeMap<String, Vec<WebhookDelivery>>,
    /// For a project that is not tracked, or an issue whose project is unknown.
    pub untracked: u64,
    /// For a project that watches some users, naming none of them.
    pub unwatched: u64,
}

/// What applying one project's deliveries did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// Issues read again and written.
    pub issues: u64,
    /// Issues marked deleted.
    pub deleted: u64,
    /// Changes of the issues' histories stored for the first time.
    #[serde(default)]
    pub changes: u64,
    /// Deliveries of this run that another run's re-read had applied already.
    #[serde(default)]
    pub coalesced: u64,
    /// Requests to Jira.
    pub requests: u64,
}

/// Sorts `deliveries` by project. `tracked` maps each tracked project to its watched
/// accounts (empty: everyone's work); `stored` names the project of issues the store holds,
/// for the deliveries that name none (worklog events).
pub fn plan(
    deliveries: Vec<WebhookDelivery>,
    tracked: &HashMap<String, Vec<String>>,
    stored: &HashMap<String, String>,
) -> Plan {
    let mut plan = Plan::default();
    for mut delivery in deliveries {
        let project =
            delivery.project_key.clone().or_else(|| stored.get(&delivery.issue_id).cloned());
        let Some((project, watched)) = project.and_then(|p| tracked.get_key_value(&p)) else {
            plan.untracked += 1;
            continue;
        };
        if !watched.is_empty() && !delivery.account_ids.iter().any(|id| watched.contains(id)) {
            plan.unwatched += 1;
            continue;
        }
        delivery.project_key = Some(project.clone());
        plan.projects.entry(project.clone()).or_default().push(delivery);
    }
    plan
}

impl SyncEngine {
    /// Records one project's deliveries as pending and returns when the project's pending
    /// deliveries are due to be applied (epoch ms): its oldest one's reception plus the
    /// window.
    pub async fn record_webhooks(
        &self,
        project: &str,
        deliveries: &[WebhookDelivery],
    ) -> Result<i64, SyncError> {
        self.store.record_webhook_deliveries(&records(deliveries, project)).await?;
        let oldest = self.store.pending_webhook_deliveries(project, 1).await?;
        let oldest = oldest.first().map_or_else(|| self.store.now_ms(), |d| d.received_ms);
        let window = i64::try_from(self.options.webhook_window.as_millis()).unwrap_or(i64::MAX);
        Ok(oldest.saturating_add(window))
    }

    /// Records one project's deliveries and applies them: [`SyncEngine::apply_recorded`].
    pub async fn apply_webhooks(
        &self,
        project: &str,
        deliveries: &[WebhookDelivery],
        holder: &str,
    ) -> Result<Applied, SyncError> {
        self.store.record_webhook_deliveries(&records(deliveries, project)).await?;
        self.apply_recorded(project, deliveries, holder).await
    }

    /// Applies one project's recorded deliveries, with every other delivery of the project
    /// pending, under its lease, taken for `holder` and given back at the end:
    /// [`SyncError::Busy`] (retryable) while a sync run holds it. Deliveries that another
    /// run applied already cost nothing. The named issues are read again,
    /// [`IDS_PER_SEARCH`] to a search; an issue a delivery says was deleted, and the search
    /// no longer finds, is marked deleted. The deliveries are then recorded as applied.
    #[tracing::instrument(skip_all, fields(project, deliveries = deliveries.len()))]
    pub(crate) async fn apply_recorded(
        &self,
        project: &str,
        deliveries: &[WebhookDelivery],
        holder: &str,
    ) -> Result<Applied, SyncError> {
        let own = records(deliveries, project);
        let ids: Vec<String> = own.iter().map(|record| record.id.clone()).collect();
        if self.store.unapplied_webhook_deliveries(&ids).await?.is_empty() {
            tracing::info!("applied already by another delivery's re-read");
            return Ok(Applied { coalesced: ids.len() as u64, ..Applied::default() });
        }
        if !self.store.try_lease(project, holder, self.options.lease).await? {
            return Err(SyncError::Busy(project.to_owned()));
        }
        let requests = self.jira.requests();
        let result = self.reread(project, own).await;
        if let Err(error) = self.store.release_lease(project, holder).await {
            tracing::error!(%error, "could not release the lease after applying webhooks");
        }
        let mut applied = result?;
        applied.requests = self.jira.requests() - requests;
        tracing::info!(issues = applied.issues, deleted = applied.deleted, "webhooks applied");
        Ok(applied)
    }

    /// Re-reads the issues of `own` and of the project's other pending deliveries.
    async fn reread(
        &self,
        project: &str,
        mut records: Vec<DeliveryRecord>,
    ) -> Result<Applied, SyncError> {
        let known: HashSet<String> = records.iter().map(|record| record.id.clone()).collect();
        let pending = self.store.pending_webhook_deliveries(project, PENDING_PER_REREAD).await?;
        records.extend(pending.into_iter().filter(|record| !known.contains(&record.id)));
        let ids: BTreeSet<&str> = records.iter().map(|d| d.issue_id.as_str()).collect();
        let ids: Vec<IssueId> = ids.into_iter().filter_map(|id| IssueId::parse(id).ok()).collect();
        let gone: HashSet<&str> = records
            .iter()
            .filter(|record| record.event == ISSUE_DELETED)
            .map(|record| record.issue_id.as_str())
            .collect();
        let scope = Scope::new(self.store.tracked_users(project).await?);
        let mut applied = Applied::default();
        for chunk in ids.chunks(IDS_PER_SEARCH) {
            let issues = self.issues_by_id(project, chunk).await?;
            let found: HashSet<&str> = issues.iter().map(|issue| issue.id.as_str()).collect();
            let deleted: Vec<String> = chunk
                .iter()
                .map(IssueId::as_str)
                .filter(|id| gone.contains(id) && !found.contains(id))
                .map(str::to_owned)
                .collect();
            let batch = self.batch(project, issues, &scope, Read::Webhook).await?;
            let mut batch = batch.unwrap_or_else(|| IssueBatch {
                project_key: project.to_owned(),
                ..IssueBatch::default()
            });
            batch.deleted_issue_ids = deleted;
            applied.issues += batch.issues.len() as u64;
            applied.deleted += batch.deleted_issue_ids.len() as u64;
            self.store.apply_batch(&batch).await?;
        }
        applied.changes = self.settle_history(project).await?;
        let ids: Vec<String> = records.into_iter().map(|record| record.id).collect();
        self.store.mark_webhook_deliveries_applied(&ids, self.store.now_ms()).await?;
        Ok(applied)
    }

    /// The project's issues among `ids`, following the search's pages should Jira answer
    /// with fewer than asked for.
    async fn issues_by_id(
        &self,
        project: &str,
        ids: &[IssueId],
    ) -> Result<Vec<DataIssue>, SyncError> {
        let jql = issues_by_id_jql(project, ids);
        let fields = self.jira.sync_fields();
        let mut issues = Vec::with_capacity(ids.len());
        let mut token: Option<String> = None;
        loop {
            let size = u32::try_from(IDS_PER_SEARCH).unwrap_or(u32::MAX);
            let page = self.jira.search(&jql, &fields, size, token.as_deref()).await?;
            issues.extend(page.issues);
            match page.next_page_token {
                Some(next) if !page.is_last => token = Some(next),
                _ => return Ok(issues),
            }
        }
    }
}

/// The deliveries as `webhook_deliveries` rows for `project`, not applied yet.
fn records(deliveries: &[WebhookDelivery], project: &str) -> Vec<DeliveryRecord> {
    let record = |delivery: &WebhookDelivery| DeliveryRecord {
        id: delivery.id.clone(),
        received_ms: delivery.received_ms,
        event: delivery.webhook_event.clone(),
        issue_id: delivery.issue_id.clone(),
        project_key: Some(project.to_owned()),
        applied_ms: None,
    };
    deliveries.iter().map(record).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(id: &str, project: Option<&str>, issue: &str, people: &[&str]) -> WebhookDelivery {
        WebhookDelivery {
            id: id.into(),
            webhook_event: "jira:issue_updated".into(),
            issue_id: issue.into(),
            issue_key: None,
            project_key: project.map(Into::into),
            timestamp: None,
            received_ms: 0,
            account_ids: people.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    #[test]
    fn deliveries_are_grouped_by_project_and_the_others_dropped_and_counted() {
        let tracked = HashMap::from([
            ("KAN".to_owned(), Vec::new()),
            ("OPS".to_owned(), vec!["acc-ann".to_owned()]),
        ]);
        let stored = HashMap::from([("30".to_owned(), "KAN".to_owned())]);
        let plan = plan(
            vec![
                delivery("a", Some("KAN"), "10", &[]),
                delivery("b", Some("OPS"), "20", &["acc-bob", "acc-ann"]),
                delivery("c", Some("OPS"), "21", &["acc-bob"]),
                delivery("d", Some("XYZ"), "40", &[]),
                delivery("e", None, "30", &[]),
                delivery("f", None, "99", &[]),
            ],
            &tracked,
            &stored,
        );
        let ids = |project: &str| -> Vec<String> {
            plan.projects[project].iter().map(|d| d.id.clone()).collect()
        };
        assert_eq!(ids("KAN"), ["a", "e"]);
        assert_eq!(ids("OPS"), ["b"]);
        assert_eq!((plan.untracked, plan.unwatched), (2, 1));
        assert_eq!(plan.projects["KAN"][1].project_key.as_deref(), Some("KAN"), "resolved");
    }
}
