//! Reads for the APIs: keyset pages of live issues with their latest sprint, one issue by
//! key, and the live comments and worklogs of many issues at once with their authors, each
//! in one statement (a page of 100 issues costs one statement per kind of row).

use crate::error::Result;
use crate::issues::{COMMENT_COLUMNS, ISSUE_COLUMNS};
use crate::model::{Authored, Comment, ListedIssue, Worklog};
use crate::pool::{Record, Statement, Value};
use crate::worklogs::WORKLOG_COLUMNS;
use crate::{Store, sql};

/// The latest sprint of each listed issue (`i`), joined to a page already cut to size.
const WITH_SPRINT: &str = "LEFT JOIN sprints sp ON sp.id = \
     (SELECT MAX(s.sprint_id) FROM issue_sprints s WHERE s.issue_id = i.id)";
const SPRINT_COLUMNS: &str = "sp.id AS sprint_id, sp.board_id AS sprint_board_id, \
     sp.name AS sprint_name, sp.state AS sprint_state, sp.goal AS sprint_goal, \
     sp.start_ms AS sprint_start_ms, sp.end_ms AS sprint_end_ms, \
     sp.complete_ms AS sprint_complete_ms";
/// What the issue's history says, read with it.
const FLOW_COLUMNS: &str = "status_durations, cycle_time_ms, lead_time_ms";
/// The author's account of each listed row (`c`), named apart from the row's own columns.
const AUTHOR_COLUMNS: &str = "u.account_id AS author_user_id, \
     u.display_name AS author_display_name, u.email AS author_email, \
     u.avatar_url AS author_avatar_url, u.active AS author_active";

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
            conditions.push(format!("(updated_ms > ${ms} OR (updated_ms = ${ms} AND id > ${id}))"));
        }
        values.push(i64::from(limit).into());
        let sql = format!(
            "SELECT i.*, {SPRINT_COLUMNS} FROM (SELECT {ISSUE_COLUMNS}, {FLOW_COLUMNS} FROM issues WHERE {} \
             ORDER BY updated_ms, id LIMIT ${}) i {WITH_SPRINT} ORDER BY i.updated_ms, i.id",
            conditions.join(" AND "),
            values.len()
        );
        let mut statement = Statement::new(sql);
        for value in values {
            statement.push(value);
        }
        self.pool.fetch_all(statement).await
    }

    /// The live issue with this key, with its latest sprint.
    pub async fn issue_by_key(&self, key: &str) -> Result<Option<ListedIssue>> {
        let sql = format!(
            "SELECT i.*, {SPRINT_COLUMNS} FROM (SELECT {ISSUE_COLUMNS}, {FLOW_COLUMNS} \
             FROM issues WHERE issue_key = $1 AND deleted_at IS NULL) i {WITH_SPRINT}"
        );
        self.pool.fetch_optional(Statement::new(sql).bind(key)).await
    }

    /// The live comments of these issues with their authors, by issue then oldest first.
    pub async fn comments_of_issues(&self, issue_ids: &[String]) -> Result<Vec<Authored<Comment>>> {
        self.children_of(COMMENT_COLUMNS, "comments", "created_ms", issue_ids).await
    }

    /// The live worklogs of these issues with their authors, by issue then start time.
    pub async fn worklogs_of_issues(&self, issue_ids: &[String]) -> Result<Vec<Authored<Worklog>>> {
        self.children_of(WORKLOG_COLUMNS, "worklogs", "started_ms", issue_ids).await
    }

    async fn children_of<T: Record>(
        &self,
        columns: &str,
        table: &str,
        order: &str,
        issue_ids: &[String],
    ) -> Result<Vec<T>> {
        let mut rows = Vec::new();
        for chunk in sql::chunks(issue_ids, 1, 0) {
            let mut statement = Statement::new(format!(
                "SELECT {columns}, {AUTHOR_COLUMNS} FROM {table} \
                 LEFT JOIN jira_users u ON u.account_id = author_account_id \
                 WHERE deleted_at IS NULL AND issue_id IN ({}) ORDER BY issue_id, {order}, id",
                sql::list(chunk.len(), 1)
            ));
            for id in chunk {
                statement.push(id);
            }
            rows.extend(self.pool.fetch_all(statement).await?);
        }
        Ok(rows)
    }
}
