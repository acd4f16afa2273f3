//! Where a run stands between two batches ([`RunState`], what the worker memoizes) and what
//! it did ([`SyncSummary`]).

use chrono::DateTime;
use clockwork_clients::jira_data::{DataIssue, project_issues_jql};
use serde::{Deserialize, Serialize};

use crate::normalize::Scope;
use crate::partition::{self, Partition};

/// What a run did (`clockwork-local sync jira` prints it last).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncSummary {
    pub project: String,
    pub issues: u64,
    pub comments: u64,
    pub worklogs: u64,
    pub sprints: u64,
    pub users: u64,
    pub deleted: u64,
    /// Changes of the issues' histories stored for the first time.
    #[serde(default)]
    pub changes: u64,
    /// Issues the run found new or changed on Jira: changes no webhook delivery had
    /// brought in (with webhooks healthy, near 0 for an incremental run).
    #[serde(default)]
    pub missed_by_webhooks: u64,
    /// Ways the run's samples of Jira's answers differed from what the sync reads, each
    /// counted once.
    #[serde(default)]
    pub drifts: u64,
    /// Of those, the ones never seen before for the project (each logged as a WARN).
    #[serde(default)]
    pub new_drifts: u64,
    /// Requests to Jira, retries included.
    pub requests: u64,
    pub seconds: f64,
}

/// Where a run stands between two batches. Serializable: the worker memoizes it after
/// each batch and hands it to the run's continuation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    pub project: String,
    pub full: bool,
    /// Who holds the project's lease: a process, or a worker run's id.
    pub holder: String,
    /// When the lease was last taken or renewed (the store's clock, epoch ms).
    #[serde(default)]
    pub(crate) lease_renewed_ms: i64,
    pub started_ms: i64,
    /// The project's watchlist when the run began.
    pub(crate) tracked: Vec<String>,
    /// A backfill: only these accounts' work, read from the whole project, the cursors
    /// left where they are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) backfill: Vec<String>,
    /// Where the issue search starts (epoch ms); `None`: the whole project.
    pub(crate) since_ms: Option<i64>,
    /// The search's next page.
    pub(crate) page_token: Option<String>,
    /// Set on a continuation: the next batch searches again from the stored cursor.
    pub(crate) reseek: bool,
    /// The newest `updated` (epoch ms) committed so far, and the issues that carry it:
    /// searching again from it reads them again, and they are not counted twice.
    pub(crate) edge_ms: Option<i64>,
    pub(crate) edge_ids: Vec<String>,
    /// A partitioned full sync's partitions, each searched on its own (the fields above
    /// unused); empty: one search.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) partitions: Vec<Partition>,
    /// Whether every issue page is committed.
    pub issues_done: bool,
    /// Issues committed since the last read of changelogs.
    #[serde(default)]
    pub(crate) history_owed: u64,
    /// The schema drifts the run has seen (`drift`), each once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) drifts_seen: Vec<String>,
    /// Issues read so far, those outside a tracked scope included (for progress).
    pub read: u64,
    pub summary: SyncSummary,
}

impl RunState {
    /// The state a continuation starts from: the issue search resumes from the stored
    /// cursor rather than a page token an earlier process was handed.
    pub fn continued(mut self) -> Self {
        self.page_token = None;
        self.reseek = !self.issues_done && self.partitions.is_empty();
        self.partitions.iter_mut().for_each(Partition::continued);
        self
    }

    /// Whether an issue was committed already, unchanged, at the edge of the search.
    pub(crate) fn is_edge(&self, issue: &DataIssue) -> bool {
        let updated = issue.updated.map(|at| at.timestamp_millis());
        updated.is_some() && updated == self.edge_ms && self.edge_ids.contains(&issue.id)
    }

    /// The issue cursor a batch whose newest issue is `newest` may commit.
    pub(crate) fn cursor(&self, newest: Option<i64>) -> Option<i64> {
        if self.partitions.is_empty() {
            newest
        } else {
            newest.and(partition::safe_cursor(&self.partitions))
        }
    }

    /// Whose work the run ingests.
    pub(crate) fn scope(&self) -> Scope {
        let accounts = if self.backfill.is_empty() { &self.tracked } else { &self.backfill };
        Scope::new(accounts.iter().cloned())
    }

    /// The JQL of the issue search.
    pub fn jql(&self) -> String {
        project_issues_jql(&self.project, self.since_ms.and_then(DateTime::from_timestamp_millis))
    }
}
