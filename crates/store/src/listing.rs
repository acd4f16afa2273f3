//! Reads for the APIs: keyset pages of live issues with their latest sprint, and one issue
//! by key, each in one statement. The live comments and worklogs of each listed issue, with
//! their authors, come in the same statement when asked for ([`Children`]): the database
//! gathers each issue's children into one JSON column of its row, so a page of 100 issues
//! with 1,000 children is 100 rows, not 1,100 (each row the driver hands over costs more
//! than the JSON of a child does to read).

use serde::Deserialize;

use crate::Store;
use crate::config::Backend;
use crate::error::Result;
use crate::issues::ISSUE_COLUMNS;
use crate::model::{Authored, Comment, JiraUser, ListedIssue, Worklog};
use crate::pool::{Statement, Value};

/// The latest sprint of each listed issue (`i`), joined to a page already cut to size.
const WITH_SPRINT: &str = "LEFT JOIN sprints sp ON sp.id = \
     (SELECT MAX(s.sprint_id) FROM issue_sprints s WHERE s.issue_id = i.id)";
const SPRINT_COLUMNS: &str = "sp.id AS sprint_id, sp.board_id AS sprint_board_id, \
     sp.name AS sprint_name, sp.state AS sprint_state, sp.goal AS sprint_goal, \
     sp.start_ms AS sprint_start_ms, sp.end_ms AS sprint_end_ms, \
     sp.complete_ms AS sprint_complete_ms";
/// What the issue's history says, read with it.
const FLOW_COLUMNS: &str = "status_durations, cycle_time_ms, lead_time_ms";
/// A child's author (`u`), after the child's own columns in each JSON row.
const AUTHOR_FIELDS: &str = "u.account_id, u.display_name, u.email, u.avatar_url, u.active";
/// The JSON rows of a listed issue's comments and worklogs, each followed by its author's
/// (`[id, …, [account_id, …]]`: `CommentRow`, `WorklogRow`).
const COMMENT_FIELDS: &str = "c.id, c.author_account_id, c.body, c.created_ms, c.updated_ms";
const WORKLOG_FIELDS: &str = "c.id, c.author_account_id, c.started_ms, c.time_spent_seconds, \
     c.comment, c.created_ms, c.updated_ms";

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
            conditions.push(format!("(updated_ms > ${ms} OR (updated_ms = ${ms} AND id > ${id}))"));
        }
        values.push(i64::from(limit).into());
        let sql = format!(
            "SELECT i.*, {SPRINT_COLUMNS}{} FROM (SELECT {ISSUE_COLUMNS}, {FLOW_COLUMNS} FROM issues \
             WHERE {} ORDER BY updated_ms, id LIMIT ${}) i {WITH_SPRINT} ORDER BY i.updated_ms, i.id",
            children_columns(self.backend(), children),
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
    pub async fn issue_by_key(&self, key: &str, children: Children) -> Result<Option<ListedIssue>> {
        let sql = format!(
            "SELECT i.*, {SPRINT_COLUMNS}{} FROM (SELECT {ISSUE_COLUMNS}, {FLOW_COLUMNS} \
             FROM issues WHERE issue_key = $1 AND deleted_at IS NULL) i {WITH_SPRINT}",
            children_columns(self.backend(), children)
        );
        self.pool.fetch_optional(Statement::new(sql).bind(key)).await
    }
}

/// `, (…) AS comment_rows, (…) AS worklog_rows` for the children asked for: each the JSON
/// array of the issue's live rows in order, one array of fields a row (NULL or `[]` when none).
fn children_columns(backend: Backend, children: Children) -> String {
    let mut columns = String::new();
    if children.comments {
        columns += &json_rows(backend, COMMENT_FIELDS, "comments", "c.created_ms, c.id");
        columns += " AS comment_rows";
    }
    if children.worklogs {
        columns += &json_rows(backend, WORKLOG_FIELDS, "worklogs", "c.started_ms, c.id");
        columns += " AS worklog_rows";
    }
    columns
}

fn json_rows(backend: Backend, fields: &str, table: &str, order: &str) -> String {
    let from = format!(
        "FROM {table} c LEFT JOIN jira_users u ON u.account_id = c.author_account_id \
         WHERE c.issue_id = i.id AND c.deleted_at IS NULL"
    );
    match backend {
        Backend::Sqlite => format!(
            ", (SELECT json_group_array(json_array({fields}, json_array({AUTHOR_FIELDS})) \
             ORDER BY {order}) {from})"
        ),
        Backend::Postgres => format!(
            ", (SELECT json_agg(json_build_array({fields}, json_build_array({AUTHOR_FIELDS})) \
             ORDER BY {order})::text {from})"
        ),
    }
}

/// A listed comment as its JSON row carries it (fields in `COMMENT_FIELDS` order).
#[derive(Deserialize)]
struct CommentRow {
    id: String,
    author_account_id: Option<String>,
    body: String,
    created_ms: i64,
    updated_ms: i64,
    author: AuthorRow,
}

/// A listed worklog as its JSON row carries it (fields in `WORKLOG_FIELDS` order).
#[derive(Deserialize)]
struct WorklogRow {
    id: String,
    author_account_id: Option<String>,
    started_ms: i64,
    time_spent_seconds: i64,
    comment: Option<String>,
    created_ms: i64,
    updated_ms: i64,
    author: AuthorRow,
}

/// A child's author account (`AUTHOR_FIELDS`): all `null` when the child has no author or
/// the account is not stored.
#[derive(Deserialize)]
struct AuthorRow {
    account_id: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
    active: Option<Flag>,
}

/// A boolean as either database writes it into JSON (SQLite has no boolean: `0`/`1`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Flag {
    Bool(bool),
    Int(i64),
}

impl AuthorRow {
    fn user(self) -> Option<JiraUser> {
        Some(JiraUser {
            account_id: self.account_id?,
            display_name: self.display_name.unwrap_or_default(),
            email: self.email,
            avatar_url: self.avatar_url,
            active: match self.active {
                Some(Flag::Bool(active)) => active,
                Some(Flag::Int(active)) => active != 0,
                None => true,
            },
        })
    }
}

/// The comments of issue `issue_id` from its `comment_rows` column.
pub(crate) fn comments_from_json(
    issue_id: &str,
    json: Option<&str>,
) -> serde_json::Result<Vec<Authored<Comment>>> {
    let rows: Vec<CommentRow> = parse_rows(json)?;
    Ok(rows
        .into_iter()
        .map(|row| Authored {
            value: Comment {
                id: row.id,
                issue_id: issue_id.to_owned(),
                author_account_id: row.author_account_id,
                body: row.body,
                created_ms: row.created_ms,
                updated_ms: row.updated_ms,
            },
            author: row.author.user(),
        })
        .collect())
}

/// The worklogs of issue `issue_id` from its `worklog_rows` column.
pub(crate) fn worklogs_from_json(
    issue_id: &str,
    json: Option<&str>,
) -> serde_json::Result<Vec<Authored<Worklog>>> {
    let rows: Vec<WorklogRow> = parse_rows(json)?;
    Ok(rows
        .into_iter()
        .map(|row| Authored {
            value: Worklog {
                id: row.id,
                issue_id: issue_id.to_owned(),
                author_account_id: row.author_account_id,
                started_ms: row.started_ms,
                time_spent_seconds: row.time_spent_seconds,
                comment: row.comment,
                created_ms: row.created_ms,
                updated_ms: row.updated_ms,
            },
            author: row.author.user(),
        })
        .collect())
}

fn parse_rows<T: serde::de::DeserializeOwned>(json: Option<&str>) -> serde_json::Result<Vec<T>> {
    json.map_or(Ok(Vec::new()), serde_json::from_str)
}
