//! Change history: the changelogs of the issues a sync or a webhook's re-read wrote, read
//! with `POST /changelog/bulkfetch` ([`CHANGELOG_ISSUES`] issues a request) and stored with
//! what they say (time in status, cycle and lead times) in one transaction.
//!
//! The store knows which issues owe a read (updated since their history was stored), so a
//! run reads every [`CHANGELOG_ISSUES`] issues it wrote and the rest at its end, and a run
//! that failed between a batch and its read leaves the debt to the next run. A run that
//! wrote nothing asks Jira nothing. Changes already stored are stored once. The categories
//! of the statuses the moves name (what cycle time starts from) come from the site's status
//! list, read by the first read that needs it and again when a move names a status it lacks.

use std::collections::HashMap;
use std::sync::Mutex;

use clockwork_clients::jira_data::{CHANGELOG_ISSUES, IssueChangelog};
use clockwork_core::IssueId;
use clockwork_store::model::{IssueChange, IssueHistory, JiraUser};

use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::normalize;

/// Issues one read asks for: a request's worth.
const READ: u32 = CHANGELOG_ISSUES as u32;
/// The field id of a status move.
const STATUS: &str = "status";

/// The site's status categories by status id, as last read.
#[derive(Debug, Default)]
pub(crate) struct StatusCategories(Mutex<HashMap<String, String>>);

impl StatusCategories {
    fn known(&self) -> HashMap<String, String> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    fn replace(&self, categories: HashMap<String, String>) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = categories;
    }
}

impl SyncEngine {
    /// Notes that `written` more issues were committed; once a request's worth is owed,
    /// reads and stores that many changelogs. Returns the changes new to the store.
    pub(crate) async fn history_after_batch(
        &self,
        project: &str,
        owed: &mut u64,
        written: usize,
    ) -> Result<u64, SyncError> {
        *owed += written as u64;
        if *owed < u64::from(READ) {
            return Ok(0);
        }
        *owed = 0;
        self.read_history(project).await.map(|(_, changes)| changes)
    }

    /// Reads and stores every changelog the project owes. Returns the changes new to the
    /// store.
    pub(crate) async fn settle_history(&self, project: &str) -> Result<u64, SyncError> {
        let mut changes = 0;
        loop {
            let (issues, added) = self.read_history(project).await?;
            changes += added;
            if issues < READ as usize {
                return Ok(changes);
            }
        }
    }

    /// One read of up to a request's worth of owed changelogs: (issues read, new changes).
    async fn read_history(&self, project: &str) -> Result<(usize, u64), SyncError> {
        let owed = self.store.issues_owing_history(project, READ).await?;
        if owed.is_empty() {
            return Ok((0, 0));
        }
        let ids: Vec<IssueId> = owed.iter().filter_map(|id| IssueId::parse(id).ok()).collect();
        let logs = self.jira.all_changelogs(&ids, &[]).await?;
        let mut history = history(project, owed, logs);
        history.status_categories = self.status_categories(&history.changes).await?;
        let added = self.store.apply_history(&history).await?;
        tracing::debug!(issues = history.issue_ids.len(), added, "changelogs stored");
        Ok((history.issue_ids.len(), added))
    }
}

impl SyncEngine {
    /// The categories of the statuses `changes` move between, reading the site's statuses
    /// when one is not known yet.
    async fn status_categories(
        &self,
        changes: &[IssueChange],
    ) -> Result<HashMap<String, String>, SyncError> {
        let known = self.statuses.known();
        let named = changes
            .iter()
            .filter(|change| change.field == STATUS)
            .flat_map(|change| [&change.from_value, &change.to_value])
            .flatten();
        if named.into_iter().all(|id| known.contains_key(id)) {
            return Ok(known);
        }
        let read: HashMap<String, String> = self
            .jira
            .statuses()
            .await?
            .into_iter()
            .filter_map(|status| Some((status.id, status.status_category?.key)))
            .collect();
        self.statuses.replace(read.clone());
        Ok(read)
    }
}

/// The changelogs read for `issue_ids` as the store's rows: one per changed field, with
/// the authors.
pub(crate) fn history(
    project: &str,
    issue_ids: Vec<String>,
    logs: Vec<IssueChangelog>,
) -> IssueHistory {
    let mut users: HashMap<String, JiraUser> = HashMap::new();
    let mut changes = Vec::new();
    for log in logs {
        for entry in log.change_histories {
            if let Some(author) = &entry.author {
                users.entry(author.account_id.clone()).or_insert_with(|| normalize::user(author));
            }
            for item in entry.items {
                changes.push(IssueChange {
                    issue_id: log.issue_id.clone(),
                    change_id: entry.id.clone(),
                    author_account_id: entry.author.as_ref().map(|a| a.account_id.clone()),
                    created_ms: entry.created.timestamp_millis(),
                    field: item.field_id.filter(|id| !id.is_empty()).unwrap_or(item.field),
                    from_value: item.from,
                    to_value: item.to,
                    from_string: item.from_string,
                    to_string: item.to_string,
                });
            }
        }
    }
    IssueHistory {
        project_key: project.to_owned(),
        issue_ids,
        changes,
        users: users.into_values().collect(),
        status_categories: HashMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_changed_field_is_one_row_named_by_its_field_id() {
        let logs: Vec<IssueChangelog> = serde_json::from_value(serde_json::json!([{
            "issueId": "10001",
            "changeHistories": [{
                "id": "500",
                "author": { "accountId": "acc-1", "displayName": "Ann" },
                "created": "2026-02-10T09:00:00.000+0000",
                "items": [
                    { "field": "status", "fieldId": "status", "from": "1", "fromString": "To Do",
                      "to": "3", "toString": "In Progress" },
                    { "field": "Story Points", "fieldId": "customfield_10016", "toString": "3" },
                    { "field": "Legacy", "toString": "x" }
                ]
            }, { "id": "501", "created": "2026-02-10T10:00:00.000+0000", "items": [] }]
        }]))
        .unwrap();
        let history = history("KAN", vec!["10001".into(), "10002".into()], logs);
        let fields: Vec<&str> = history.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["status", "customfield_10016", "Legacy"]);
        assert_eq!(history.changes[0].to_string.as_deref(), Some("In Progress"));
        assert_eq!(history.changes[0].author_account_id.as_deref(), Some("acc-1"));
        assert_eq!(history.issue_ids, ["10001", "10002"], "every issue read, changed or not");
        assert_eq!(history.users.len(), 1);
    }
}
