//! The JSON document a listing's statement answers: an array of issues, each an array of
//! fields in [`IssueRow`]'s order (its latest sprint, its comments and worklogs nested arrays
//! or `null`), written by the database in either dialect and read back with serde. The
//! accounts of the people named are not in it: a page names a few people many times over.

use serde::Deserialize;

use crate::config::Backend;
use crate::error::StoreError;
use crate::listing::Children;
use crate::model::{Authored, Comment, Flow, Issue, ListedIssue, Sprint, StatusDuration, Worklog};

/// An issue's fields (`i`), in [`IssueRow`]'s order up to its sprint.
const ISSUE_FIELDS: &str = "i.id, i.issue_key, i.project_key, i.summary, i.status, \
     i.status_category, i.priority, i.issue_type, i.assignee_account_id, i.reporter_account_id, \
     i.created_ms, i.updated_ms, i.resolved_ms, i.story_points, i.cycle_time_ms, i.lead_time_ms";
/// The latest sprint of each listed issue (`sp`), joined to the issues already cut to size.
const JOINED: &str = "LEFT JOIN sprints sp ON sp.id = \
     (SELECT MAX(s.sprint_id) FROM issue_sprints s WHERE s.issue_id = i.id)";
const SPRINT_FIELDS: &str =
    "sp.id, sp.board_id, sp.name, sp.state, sp.goal, sp.start_ms, sp.end_ms, sp.complete_ms";
/// A child's fields (`c`), in [`CommentRow`]'s and [`WorklogRow`]'s order.
const COMMENT_FIELDS: &str = "c.id, c.author_account_id, c.body, c.created_ms, c.updated_ms";
const WORKLOG_FIELDS: &str = "c.id, c.author_account_id, c.started_ms, c.time_spent_seconds, \
     c.comment, c.created_ms, c.updated_ms";
/// How a database writes JSON: SQLite's functions, or Postgres's.
struct Dialect {
    /// `[a, b, …]` of its arguments.
    array: &'static str,
    /// The array of an expression's values over the rows, in the order given.
    gather: &'static str,
    /// A text column's JSON, nested as JSON rather than as a string (a subquery's JSON
    /// nests as it is in both).
    nested: fn(&str) -> String,
}

const SQLITE: Dialect = Dialect {
    array: "json_array",
    gather: "json_group_array",
    nested: |json| format!("json({json})"),
};
const POSTGRES: Dialect = Dialect {
    array: "json_build_array",
    gather: "json_agg",
    nested: |json| format!("CAST({json} AS json)"),
};

/// The statement writing the live issues that `issues` (a `SELECT` of `issues` rows) selects
/// as one JSON document, with the children asked for. Issues and children come in no order
/// and are sorted once parsed ([`parse`], [`IssueRow::listed`]): an ordered aggregate costs
/// either database a sort of every issue's JSON (SQLite copies it into a temporary b-tree),
/// and one for every issue's children.
pub(super) fn document(backend: Backend, issues: &str, children: Children) -> String {
    let sql = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    let array = sql.array;
    let children_of = |wanted: bool, fields: &str, table: &str| {
        if !wanted {
            return "NULL".to_owned();
        }
        format!(
            "(SELECT {gather}({array}({fields})) FROM {table} c \
             WHERE c.issue_id = i.id AND c.deleted_at IS NULL)",
            gather = sql.gather,
        )
    };
    let sprint = format!("CASE WHEN sp.id IS NULL THEN NULL ELSE {array}({SPRINT_FIELDS}) END");
    format!(
        "SELECT CAST({gather}({array}({ISSUE_FIELDS}, {durations}, {sprint}, {comments}, \
         {worklogs})) AS TEXT) FROM ({issues}) i {JOINED}",
        gather = sql.gather,
        durations = (sql.nested)("i.status_durations"),
        comments = children_of(children.comments, COMMENT_FIELDS, "comments"),
        worklogs = children_of(children.worklogs, WORKLOG_FIELDS, "worklogs"),
    )
}

/// The listed issues in `document` (`None`: the statement listed none) by `(updated, id)`,
/// with the children asked for (Postgres gathers no rows into `null`, SQLite into `[]`).
pub(super) fn parse(
    document: Option<&str>,
    children: Children,
) -> crate::error::Result<Vec<ListedIssue>> {
    let Some(document) = document else { return Ok(Vec::new()) };
    let mut rows: Vec<IssueRow> = serde_json::from_str(document)
        .map_err(|error| StoreError::Corrupt(format!("a listing's JSON: {error}")))?;
    rows.sort_unstable_by(|a, b| (a.updated_ms, &a.id).cmp(&(b.updated_ms, &b.id)));
    Ok(rows.into_iter().map(|row| row.listed(children)).collect())
}

/// A listed issue as its JSON array carries it (serde reads a struct from an array in field
/// order).
#[derive(Deserialize)]
struct IssueRow {
    id: String,
    key: String,
    project_key: String,
    summary: String,
    status: String,
    status_category: Option<String>,
    priority: Option<String>,
    issue_type: Option<String>,
    assignee_account_id: Option<String>,
    reporter_account_id: Option<String>,
    created_ms: i64,
    updated_ms: i64,
    resolved_ms: Option<i64>,
    story_points: Option<f64>,
    cycle_time_ms: Option<i64>,
    lead_time_ms: Option<i64>,
    status_durations: Option<Vec<StatusDuration>>,
    sprint: Option<SprintRow>,
    comments: Option<Vec<CommentRow>>,
    worklogs: Option<Vec<WorklogRow>>,
}

#[derive(Deserialize)]
struct SprintRow {
    id: i64,
    board_id: Option<i64>,
    name: Option<String>,
    state: Option<String>,
    goal: Option<String>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    complete_ms: Option<i64>,
}

#[derive(Deserialize)]
struct CommentRow {
    id: String,
    author_account_id: Option<String>,
    body: String,
    created_ms: i64,
    updated_ms: i64,
}

#[derive(Deserialize)]
struct WorklogRow {
    id: String,
    author_account_id: Option<String>,
    started_ms: i64,
    time_spent_seconds: i64,
    comment: Option<String>,
    created_ms: i64,
    updated_ms: i64,
}

impl IssueRow {
    fn listed(self, children: Children) -> ListedIssue {
        let id = self.id;
        let comments = children.comments.then(|| {
            let mut rows = self.comments.unwrap_or_default();
            rows.sort_unstable_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
            rows.into_iter().map(|row| row.authored(&id)).collect()
        });
        let worklogs = children.worklogs.then(|| {
            let mut rows = self.worklogs.unwrap_or_default();
            rows.sort_unstable_by(|a, b| (a.started_ms, &a.id).cmp(&(b.started_ms, &b.id)));
            rows.into_iter().map(|row| row.authored(&id)).collect()
        });
        ListedIssue {
            issue: Issue {
                id,
                key: self.key,
                project_key: self.project_key,
                summary: self.summary,
                status: self.status,
                status_category: self.status_category,
                priority: self.priority,
                issue_type: self.issue_type,
                assignee_account_id: self.assignee_account_id,
                reporter_account_id: self.reporter_account_id,
                created_ms: self.created_ms,
                updated_ms: self.updated_ms,
                resolved_ms: self.resolved_ms,
                story_points: self.story_points,
                sprint_ids: Vec::new(),
            },
            sprint: self.sprint.map(|sprint| Sprint {
                id: sprint.id,
                board_id: sprint.board_id,
                name: sprint.name.unwrap_or_default(),
                state: sprint.state.unwrap_or_default(),
                goal: sprint.goal,
                start_ms: sprint.start_ms,
                end_ms: sprint.end_ms,
                complete_ms: sprint.complete_ms,
            }),
            flow: Flow {
                status_durations: self.status_durations.unwrap_or_default(),
                cycle_time_ms: self.cycle_time_ms,
                lead_time_ms: self.lead_time_ms,
            },
            assignee: None,
            reporter: None,
            comments,
            worklogs,
        }
    }
}

impl CommentRow {
    fn authored(self, issue_id: &str) -> Authored<Comment> {
        Authored {
            value: Comment {
                id: self.id,
                issue_id: issue_id.to_owned(),
                author_account_id: self.author_account_id,
                body: self.body,
                created_ms: self.created_ms,
                updated_ms: self.updated_ms,
            },
            author: None,
        }
    }
}

impl WorklogRow {
    fn authored(self, issue_id: &str) -> Authored<Worklog> {
        Authored {
            value: Worklog {
                id: self.id,
                issue_id: issue_id.to_owned(),
                author_account_id: self.author_account_id,
                started_ms: self.started_ms,
                time_spent_seconds: self.time_spent_seconds,
                comment: self.comment,
                created_ms: self.created_ms,
                updated_ms: self.updated_ms,
            },
            author: None,
        }
    }
}
