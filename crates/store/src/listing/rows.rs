//! The JSON document a listing's statement answers: an array of issues, each an array of
//! fields in [`IssueRow`]'s order (its latest sprint, its assignee's and reporter's accounts,
//! its comments and worklogs nested arrays or `null`), written by the database in either
//! dialect and read back with serde.

use serde::Deserialize;

use crate::config::Backend;
use crate::error::StoreError;
use crate::listing::Children;
use crate::model::{
    Authored, Comment, Flow, Issue, JiraUser, ListedIssue, Sprint, StatusDuration, Worklog,
};

/// An issue's fields (`i`), in [`IssueRow`]'s order up to its sprint.
const ISSUE_FIELDS: &str = "i.id, i.issue_key, i.project_key, i.summary, i.status, \
     i.status_category, i.priority, i.issue_type, i.assignee_account_id, i.reporter_account_id, \
     i.created_ms, i.updated_ms, i.resolved_ms, i.story_points, i.cycle_time_ms, i.lead_time_ms";
/// The latest sprint of each listed issue (`sp`) and the accounts of its assignee (`a`) and
/// reporter (`r`), joined to the issues already cut to size.
const JOINED: &str = "LEFT JOIN sprints sp ON sp.id = \
     (SELECT MAX(s.sprint_id) FROM issue_sprints s WHERE s.issue_id = i.id) \
     LEFT JOIN jira_users a ON a.account_id = i.assignee_account_id \
     LEFT JOIN jira_users r ON r.account_id = i.reporter_account_id";
const SPRINT_FIELDS: &str =
    "sp.id, sp.board_id, sp.name, sp.state, sp.goal, sp.start_ms, sp.end_ms, sp.complete_ms";
/// A child's fields (`c`), then its author's (`u`), in [`CommentRow`]'s and [`WorklogRow`]'s order.
const COMMENT_FIELDS: &str = "c.id, c.author_account_id, c.body, c.created_ms, c.updated_ms";
const WORKLOG_FIELDS: &str = "c.id, c.author_account_id, c.started_ms, c.time_spent_seconds, \
     c.comment, c.created_ms, c.updated_ms";
/// The fields of the account `alias` stands for, in [`AccountRow`]'s order.
fn account_fields(alias: &str) -> String {
    ["account_id", "display_name", "email", "avatar_url", "active"]
        .map(|f| format!("{alias}.{f}"))
        .join(", ")
}

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
/// as one JSON document, in `(updated, id)` order, with the children asked for. The children
/// come in no order and are sorted once parsed ([`IssueRow::listed`]): an ordered aggregate
/// would cost either database a sort for every issue.
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
            "(SELECT {gather}({array}({fields}, {array}({author}))) \
             FROM {table} c LEFT JOIN jira_users u ON u.account_id = c.author_account_id \
             WHERE c.issue_id = i.id AND c.deleted_at IS NULL)",
            gather = sql.gather,
            author = account_fields("u"),
        )
    };
    let sprint = format!("CASE WHEN sp.id IS NULL THEN NULL ELSE {array}({SPRINT_FIELDS}) END");
    format!(
        "SELECT CAST({gather}({array}({ISSUE_FIELDS}, {durations}, {sprint}, \
         {array}({assignee}), {array}({reporter}), {comments}, {worklogs}) \
         ORDER BY i.updated_ms, i.id) AS TEXT) FROM ({issues}) i {JOINED}",
        gather = sql.gather,
        assignee = account_fields("a"),
        reporter = account_fields("r"),
        durations = (sql.nested)("i.status_durations"),
        comments = children_of(children.comments, COMMENT_FIELDS, "comments"),
        worklogs = children_of(children.worklogs, WORKLOG_FIELDS, "worklogs"),
    )
}

/// The listed issues in `document` (`None`: the statement listed none), with the children
/// asked for (Postgres gathers no rows into `null`, SQLite into `[]`).
pub(super) fn parse(
    document: Option<&str>,
    children: Children,
) -> crate::error::Result<Vec<ListedIssue>> {
    let Some(document) = document else { return Ok(Vec::new()) };
    let rows: Vec<IssueRow> = serde_json::from_str(document)
        .map_err(|error| StoreError::Corrupt(format!("a listing's JSON: {error}")))?;
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
    assignee: AccountRow,
    reporter: AccountRow,
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
    author: AccountRow,
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
    author: AccountRow,
}

/// A person's account (an assignee, a reporter, an author): all `null` when there is none or
/// the account is not stored.
#[derive(Deserialize)]
struct AccountRow {
    account_id: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
    active: Option<Flag>,
}

/// A boolean as either database writes it into JSON (SQLite has none: `0`/`1`).
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean, or 0 or 1")
            }
            fn visit_bool<E>(self, flag: bool) -> Result<Flag, E> {
                Ok(Flag(flag))
            }
            fn visit_u64<E>(self, flag: u64) -> Result<Flag, E> {
                Ok(Flag(flag != 0))
            }
            fn visit_i64<E>(self, flag: i64) -> Result<Flag, E> {
                Ok(Flag(flag != 0))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
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
            assignee: self.assignee.user(),
            reporter: self.reporter.user(),
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
            author: self.author.user(),
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
            author: self.author.user(),
        }
    }
}

impl AccountRow {
    fn user(self) -> Option<JiraUser> {
        Some(JiraUser {
            account_id: self.account_id?,
            display_name: self.display_name.unwrap_or_default(),
            email: self.email,
            avatar_url: self.avatar_url,
            active: self.active.is_none_or(|Flag(active)| active),
        })
    }
}
