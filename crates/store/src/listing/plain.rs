//! Postgres's read of a listing: the issues as rows, then their comments and worklogs in one
//! more statement, in the binary rows the driver decodes where they lie. Writing JSON costs
//! Postgres a type lookup and an output call for every value, and a re-run subquery for
//! every issue's children: most of the statement, where rows are sent as they are stored
//! and the children of a page are found by one scan of the index.

use std::collections::HashMap;

use crate::Store;
use crate::error::Result;
use crate::listing::Children;
use crate::listing::rows::{CommentRow, ISSUE_FIELDS, IssueRow, SPRINT_FIELDS, WorklogRow};
use crate::model::ListedIssue;
use crate::pool::Statement;
use crate::sql;

/// A comment (kind 0) or worklog (kind 1) of a listed issue: kind, issue id, id, author,
/// created, updated, body or comment, and a worklog's start and seconds.
type ChildRow =
    (i32, String, String, Option<String>, i64, i64, Option<String>, Option<i64>, Option<i64>);

/// The rows of the live issues that `issues` (a `SELECT` of `issues` rows) selects, each
/// with its latest sprint: the highest sprint id it is in, looked up once per issue (as a
/// join condition, Postgres plans that subquery into a hash join that runs it twice per
/// issue), and that sprint if its board was read.
pub(super) fn statement(issues: &str) -> String {
    format!(
        "SELECT {ISSUE_FIELDS}, i.status_durations, {SPRINT_FIELDS} FROM ({issues}) i \
         LEFT JOIN LATERAL (SELECT MAX(s.sprint_id) AS id FROM issue_sprints s \
         WHERE s.issue_id = i.id) latest ON TRUE LEFT JOIN sprints sp ON sp.id = latest.id"
    )
}

/// The live children asked for of `count` issues, whose ids are the arguments.
fn children_statement(count: usize, children: Children) -> String {
    let ids = sql::list(count, 1);
    let mut parts = Vec::new();
    if children.comments {
        parts.push(format!(
            "SELECT 0, c.issue_id, c.id, c.author_account_id, c.created_ms, c.updated_ms, \
             c.body, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT) FROM comments c \
             WHERE c.issue_id IN ({ids}) AND c.deleted_at IS NULL"
        ));
    }
    if children.worklogs {
        parts.push(format!(
            "SELECT 1, c.issue_id, c.id, c.author_account_id, c.created_ms, c.updated_ms, \
             c.comment, c.started_ms, c.time_spent_seconds FROM worklogs c \
             WHERE c.issue_id IN ({ids}) AND c.deleted_at IS NULL"
        ));
    }
    parts.join(" UNION ALL ")
}

impl Store {
    /// The issues `issues` ([`statement`]) reads by `(updated, id)`, with the children
    /// asked for.
    pub(super) async fn plain_listing(
        &self,
        issues: Statement<'_>,
        children: Children,
    ) -> Result<Vec<ListedIssue>> {
        let mut rows: Vec<IssueRow> = self.pool.fetch_all(issues).await?;
        if (children.comments || children.worklogs) && !rows.is_empty() {
            let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
            let mut found: Vec<ChildRow> = Vec::new();
            for chunk in sql::chunks(&ids, 1, 0) {
                let mut statement = Statement::new(children_statement(chunk.len(), children));
                for id in chunk {
                    statement.push(*id);
                }
                found.extend(self.pool.fetch_all::<ChildRow>(statement).await?);
            }
            attach(&mut rows, found);
        }
        Ok(IssueRow::listed_in_order(rows, children))
    }
}

/// Each child given to its issue.
fn attach(rows: &mut [IssueRow], found: Vec<ChildRow>) {
    let slots: HashMap<&str, usize> =
        rows.iter().enumerate().map(|(slot, row)| (row.id.as_str(), slot)).collect();
    let placed: Vec<(usize, ChildRow)> = found
        .into_iter()
        .filter_map(|child| slots.get(child.1.as_str()).map(|&slot| (slot, child)))
        .collect();
    for (slot, (kind, _, id, author_account_id, created_ms, updated_ms, text, started, seconds)) in
        placed
    {
        let row = &mut rows[slot];
        if kind == 0 {
            row.comments.get_or_insert_with(Vec::new).push(CommentRow {
                id,
                author_account_id,
                body: text.unwrap_or_default(),
                created_ms,
                updated_ms,
            });
        } else {
            row.worklogs.get_or_insert_with(Vec::new).push(WorklogRow {
                id,
                author_account_id,
                started_ms: started.unwrap_or_default(),
                time_spent_seconds: seconds.unwrap_or_default(),
                comment: text,
                created_ms,
                updated_ms,
            });
        }
    }
}
