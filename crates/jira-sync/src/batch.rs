//! Issues read from Jira as one [`IssueBatch`]: what every writer of issues (a sync's search
//! page, a webhook's re-read) commits, built one way so they never disagree.

use std::collections::HashMap;

use clockwork_clients::jira_data::{DataIssue, ErrorCode, JiraDataError};
use clockwork_core::IssueId;
use clockwork_store::model::{IssueBatch, IssueRecord, JiraUser, Sprint};

use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::normalize::{self, Scope};

/// Why the issues were read, which decides what their batch may claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    /// A page of an incremental search: truncated worklogs are left to the worklog stream.
    Incremental,
    /// A page of a full sync: worklogs are read to the end.
    Full,
    /// A page of a backfill of a few accounts: it holds their work, not an issue's whole,
    /// so it deletes nothing, and its old pages leave the cursor alone.
    Backfill,
    /// Issues a webhook named, read again by id: worklogs are read to the end (no stream
    /// run follows), and the cursor stays (a few issues are no prefix of the search).
    Webhook,
}

impl Read {
    fn reads_all_worklogs(self) -> bool {
        !matches!(self, Self::Incremental)
    }

    fn moves_cursor(self) -> bool {
        matches!(self, Self::Incremental | Self::Full)
    }
}

impl SyncEngine {
    /// The issues as a batch (`None` for none): truncated comments (always) and worklogs
    /// (when `read` says so) are paged through the per-issue endpoints first. The cursor
    /// is the newest `updated` when `read` moves it.
    pub(crate) async fn batch(
        &self,
        project: &str,
        issues: Vec<DataIssue>,
        scope: &Scope,
        read: Read,
    ) -> Result<Option<IssueBatch>, SyncError> {
        if issues.is_empty() {
            return Ok(None);
        }
        let newest = issues.iter().filter_map(|i| i.updated).map(|at| at.timestamp_millis()).max();
        let whole = read != Read::Backfill;
        let mut users: HashMap<String, JiraUser> = HashMap::new();
        let mut sprints: HashMap<i64, Sprint> = HashMap::new();
        let mut records: Vec<IssueRecord> = Vec::with_capacity(issues.len());
        for data in issues {
            let comments_complete = data.comments_complete();
            let comments: Vec<_> = if comments_complete {
                data.comments
                    .iter()
                    .flat_map(|p| &p.comments)
                    .map(|c| normalize::comment(&data.id, c))
                    .collect()
            } else {
                let id = issue_id(&data)?;
                self.jira
                    .all_issue_comments(&id)
                    .await?
                    .iter()
                    .map(|c| normalize::comment(&data.id, c))
                    .collect()
            };
            let (worklogs, worklogs_complete): (Vec<_>, bool) = if data.worklogs_complete() {
                let embedded = data.worklogs.iter().flat_map(|p| &p.worklogs);
                (embedded.map(|w| normalize::worklog(&data.id, w)).collect(), true)
            } else if read.reads_all_worklogs() {
                let id = issue_id(&data)?;
                let all = self.jira.all_issue_worklogs(&id).await?;
                (all.iter().map(|w| normalize::worklog(&data.id, w)).collect(), true)
            } else {
                (Vec::new(), false)
            };
            let people = data.assignee.iter().chain(data.reporter.iter());
            let authors =
                data.comments.iter().flat_map(|p| &p.comments).filter_map(|c| c.author.as_ref());
            for person in people.chain(authors) {
                users.entry(person.account_id.clone()).or_insert_with(|| normalize::user(person));
            }
            for sprint in &data.sprints {
                let sprint = normalize::sprint(sprint);
                sprints.insert(sprint.id, sprint);
            }
            let issue = normalize::issue(&data, project);
            records.extend(scope.record(
                issue,
                comments,
                comments_complete && whole,
                worklogs,
                worklogs_complete && whole,
            ));
        }
        Ok(Some(IssueBatch {
            project_key: project.to_owned(),
            issues: records,
            sprints: sprints.into_values().collect(),
            users: users.into_values().collect(),
            cursor_ms: newest.filter(|_| read.moves_cursor()),
            deleted_issue_ids: Vec::new(),
        }))
    }
}

fn issue_id(issue: &DataIssue) -> Result<IssueId, SyncError> {
    IssueId::parse(&issue.id).map_err(|e| {
        SyncError::Jira(JiraDataError::new(
            ErrorCode::SchemaMismatch,
            None,
            format!("issue {}: {e}", issue.key),
        ))
    })
}
