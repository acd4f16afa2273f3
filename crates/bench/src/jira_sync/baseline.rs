//! The per-issue baseline: a project synced the way existing connectors do it. Issues are
//! paged without their comments and worklogs; then each issue's comments and its worklogs
//! are read with a request each, one issue after another (they are sequential), and every
//! page of issues is written with the same store call the engine uses.
//!
//! It reads no boards, sprints, assignable users or deletions, so it does less than the
//! engine; its figures are a floor for what the per-issue way costs.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use clockwork_clients::jira_data::{DataIssue, JiraData, project_issues_jql};
use clockwork_core::IssueId;
use clockwork_jira_sync::normalize;
use clockwork_store::Store;
use clockwork_store::model::{IssueBatch, IssueRecord};

/// Issues a search page holds, as in the engine.
const PAGE: u32 = 100;

/// What a baseline run stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BaselineRun {
    pub issues: u64,
    pub comments: u64,
    pub worklogs: u64,
}

/// The per-issue connector.
#[derive(Debug)]
pub struct PerIssueConnector {
    jira: Arc<dyn JiraData>,
    store: Store,
}

impl PerIssueConnector {
    pub fn new(jira: Arc<dyn JiraData>, store: Store) -> Self {
        Self { jira, store }
    }

    /// Syncs the first `limit` issues of `project`, in the engine's search order.
    pub async fn sync(&self, project: &str, limit: usize) -> Result<BaselineRun> {
        let jql = project_issues_jql(project, None);
        let fields: Vec<&str> = self
            .jira
            .sync_fields()
            .into_iter()
            .filter(|field| !matches!(*field, "comment" | "worklog"))
            .collect();
        let mut run = BaselineRun::default();
        let mut token: Option<String> = None;
        loop {
            let page = self.jira.search(&jql, &fields, PAGE, token.as_deref()).await?;
            let room = limit.saturating_sub(usize::try_from(run.issues)?);
            let issues: Vec<DataIssue> = page.issues.into_iter().take(room).collect();
            if let Some(batch) = self.batch(project, issues).await? {
                run.issues += batch.issues.len() as u64;
                run.comments += batch.issues.iter().map(|r| r.comments.len() as u64).sum::<u64>();
                run.worklogs += batch.issues.iter().map(|r| r.worklogs.len() as u64).sum::<u64>();
                self.store.apply_batch(&batch).await?;
            }
            match page.next_page_token {
                Some(next) if !page.is_last && usize::try_from(run.issues)? < limit => {
                    token = Some(next);
                }
                _ => return Ok(run),
            }
        }
    }

    /// The page's issues with every comment and worklog, read one issue at a time.
    async fn batch(&self, project: &str, issues: Vec<DataIssue>) -> Result<Option<IssueBatch>> {
        let Some(cursor_ms) =
            issues.iter().filter_map(|i| i.updated).map(|at| at.timestamp_millis()).max()
        else {
            return Ok(None);
        };
        let mut users = HashMap::new();
        let mut sprints = HashMap::new();
        let mut records = Vec::with_capacity(issues.len());
        for data in issues {
            let id = IssueId::parse(&data.id).with_context(|| format!("issue {}", data.key))?;
            let comments = self.jira.all_issue_comments(&id).await?;
            let worklogs = self.jira.all_issue_worklogs(&id).await?;
            let authors = comments.iter().filter_map(|c| c.author.as_ref());
            for person in data.assignee.iter().chain(data.reporter.iter()).chain(authors) {
                users.entry(person.account_id.clone()).or_insert_with(|| normalize::user(person));
            }
            for sprint in data.sprints.iter().map(normalize::sprint) {
                sprints.insert(sprint.id, sprint);
            }
            records.push(IssueRecord {
                issue: normalize::issue(&data, project),
                comments: comments.iter().map(|c| normalize::comment(&data.id, c)).collect(),
                comments_complete: true,
                worklogs: worklogs.iter().map(|w| normalize::worklog(&data.id, w)).collect(),
                worklogs_complete: true,
            });
        }
        Ok(Some(IssueBatch {
            project_key: project.to_owned(),
            issues: records,
            sprints: sprints.into_values().collect(),
            users: users.into_values().collect(),
            cursor_ms: Some(cursor_ms),
            deleted_issue_ids: Vec::new(),
        }))
    }
}
