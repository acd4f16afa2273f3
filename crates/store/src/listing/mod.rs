//! Reads for the APIs: keyset pages of live issues with their latest sprint, and one issue
//! by key, with the comments and worklogs asked for ([`Children`]). Each backend is read the
//! way its driver hands values over cheapest: SQLite writes a page as one JSON document
//! ([`document`]), Postgres sends rows ([`plain`]); both become the same [`rows`]. The
//! accounts of the people the issues name (assignees, reporters, authors) follow in one more
//! statement: a page names a few people hundreds of times.

mod document;
mod plain;
mod rows;

use std::collections::HashMap;

use crate::Store;
use crate::config::Backend;
use crate::error::Result;
use crate::model::{JiraUser, ListedIssue};
use crate::pool::{Statement, Value};

/// Which children a listing reads with each issue (none by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Children {
    pub comments: bool,
    pub worklogs: bool,
}

/// Which issues a page lists: every filter is optional; the order is `(updated, id)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueFilter {
    pub project_key: Option<String>,
    /// Issues updated at or after this instant (epoch ms).
    pub updated_since_ms: Option<i64>,
    pub assignee_account_id: Option<String>,
    pub status: Option<String>,
}

/// Where a page starts: after the issue with this `(updated_ms, id)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueKeyset {
    pub updated_ms: i64,
    pub id: String,
}

impl Store {
    /// Up to `limit` live issues matching `filter`, by `(updated, id)` ascending, after
    /// `after`. The order is total and only moves forward, so paging never skips an issue;
    /// one updated while a reader pages moves to the end and is listed again there.
    pub async fn issue_page<'a>(
        &self,
        filter: &'a IssueFilter,
        after: Option<&'a IssueKeyset>,
        limit: u32,
        children: Children,
    ) -> Result<Vec<ListedIssue>> {
        let mut conditions = vec!["deleted_at IS NULL".to_owned()];
        let mut values: Vec<Value<'a>> = Vec::new();
        let mut condition = |sql: &str, value: Value<'a>| {
            values.push(value);
            conditions.push(sql.replace('#', &format!("${}", values.len())));
        };
        if let Some(project) = &filter.project_key {
            condition("project_key = #", project.into());
        }
        if let Some(since) = filter.updated_since_ms {
            condition("updated_ms >= #", since.into());
        }
        if let Some(assignee) = &filter.assignee_account_id {
            condition("assignee_account_id = #", assignee.into());
        }
        if let Some(status) = &filter.status {
            condition("status = #", status.into());
        }
        if let Some(after) = after {
            values.push(after.updated_ms.into());
            values.push((&after.id).into());
            let (ms, id) = (values.len() - 1, values.len());
            conditions.push(format!("(updated_ms, id) > (${ms}, ${id})"));
        }
        // The limit is written into the statement: bound, Postgres plans every execution
        // afresh (a generic plan for an unknown limit assumes a tenth of the table).
        let issues = format!(
            "SELECT * FROM issues WHERE {} ORDER BY updated_ms, id LIMIT {limit}",
            conditions.join(" AND "),
        );
        self.listed(&issues, &values, children).await
    }

    /// The live issue with this key, with its latest sprint.
    pub async fn issue_by_key(&self, key: &str, children: Children) -> Result<Option<ListedIssue>> {
        let issue = "SELECT * FROM issues WHERE issue_key = $1 AND deleted_at IS NULL";
        Ok(self.listed(issue, &[key.into()], children).await?.pop())
    }

    /// The issues that `issues` (a `SELECT` of `issues` rows, with `values` for its
    /// placeholders) selects, by `(updated, id)`, with their children and people.
    async fn listed(
        &self,
        issues: &str,
        values: &[Value<'_>],
        children: Children,
    ) -> Result<Vec<ListedIssue>> {
        let statement = |sql: String| {
            let mut statement = Statement::new(sql);
            for value in values {
                statement.push(*value);
            }
            statement
        };
        let mut issues = match self.backend() {
            Backend::Sqlite => {
                let read = statement(document::statement(issues, children));
                let document: Option<(String,)> = self.pool.fetch_optional(read).await?;
                document::parse(document.as_ref().map_or("[]", |(json,)| json), children)?
            }
            Backend::Postgres => {
                self.plain_listing(statement(plain::statement(issues)), children).await?
            }
        };
        self.fill_accounts(&mut issues).await?;
        Ok(issues)
    }

    /// The stored accounts of the people the issues name, read once each (an account not
    /// stored yet stays `None`).
    async fn fill_accounts(&self, issues: &mut [ListedIssue]) -> Result<()> {
        let mut named: Vec<&str> = Vec::new();
        for listed in issues.iter() {
            named.extend(listed.issue.assignee_account_id.as_deref());
            named.extend(listed.issue.reporter_account_id.as_deref());
            let comments = listed.comments.iter().flatten();
            named.extend(comments.filter_map(|c| c.value.author_account_id.as_deref()));
            let worklogs = listed.worklogs.iter().flatten();
            named.extend(worklogs.filter_map(|w| w.value.author_account_id.as_deref()));
        }
        named.sort_unstable();
        named.dedup();
        if named.is_empty() {
            return Ok(());
        }
        let named: Vec<String> = named.into_iter().map(str::to_owned).collect();
        let accounts: HashMap<String, JiraUser> = self
            .jira_users_by_ids(&named)
            .await?
            .into_iter()
            .map(|user| (user.account_id.clone(), user))
            .collect();
        let account = |id: &Option<String>| id.as_ref().and_then(|id| accounts.get(id)).cloned();
        for listed in issues {
            listed.assignee = account(&listed.issue.assignee_account_id);
            listed.reporter = account(&listed.issue.reporter_account_id);
            for comment in listed.comments.iter_mut().flatten() {
                comment.author = account(&comment.value.author_account_id);
            }
            for worklog in listed.worklogs.iter_mut().flatten() {
                worklog.author = account(&worklog.value.author_account_id);
            }
        }
        Ok(())
    }
}
