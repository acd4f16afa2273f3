//! A listed issue's rows as the database reads them, in either backend's way ([`document`]
//! on SQLite, [`plain`] on Postgres), and how they become [`ListedIssue`]s.
//!
//! [`document`]: super::document
//! [`plain`]: super::plain

use serde::Deserialize;
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

use crate::listing::Children;
use crate::model::{Authored, Comment, Flow, Issue, ListedIssue, Sprint, StatusDuration, Worklog};

/// An issue's fields (`i`), in [`IssueRow`]'s order up to its sprint.
pub(super) const ISSUE_FIELDS: &str = "i.id, i.issue_key, i.project_key, i.summary, i.status, \
     i.status_category, i.priority, i.issue_type, i.assignee_account_id, i.reporter_account_id, \
     i.created_ms, i.updated_ms, i.resolved_ms, i.story_points, i.cycle_time_ms, i.lead_time_ms";
/// The fields of an issue's latest sprint (`sp`), in [`SprintRow`]'s order.
pub(super) const SPRINT_FIELDS: &str =
    "sp.id, sp.board_id, sp.name, sp.state, sp.goal, sp.start_ms, sp.end_ms, sp.complete_ms";
/// A child's fields (`c`), in [`CommentRow`]'s and [`WorklogRow`]'s order.
pub(super) const COMMENT_FIELDS: &str =
    "c.id, c.author_account_id, c.body, c.created_ms, c.updated_ms";
pub(super) const WORKLOG_FIELDS: &str = "c.id, c.author_account_id, c.started_ms, \
     c.time_spent_seconds, c.comment, c.created_ms, c.updated_ms";

/// A listed issue with its latest sprint and the children read: serde reads it from a JSON
/// array in field order, sqlx from a row of [`ISSUE_FIELDS`], `status_durations` and
/// [`SPRINT_FIELDS`] (the children follow in rows of their own).
#[derive(Deserialize)]
pub(super) struct IssueRow {
    pub(super) id: String,
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
    pub(super) comments: Option<Vec<CommentRow>>,
    pub(super) worklogs: Option<Vec<WorklogRow>>,
}

#[derive(Deserialize)]
pub(super) struct SprintRow {
    id: i64,
    board_id: Option<i64>,
    name: Option<String>,
    state: Option<String>,
    goal: Option<String>,
    start_ms: Option<i64>,
    end_ms: Option<i64>,
    complete_ms: Option<i64>,
}

impl<'r, R: Row> FromRow<'r, R> for IssueRow
where
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    f64: Decode<'r, R::Database> + Type<R::Database>,
{
    /// By position: a row of [`ISSUE_FIELDS`], `status_durations` (JSON text) and
    /// [`SPRINT_FIELDS`].
    fn from_row(row: &'r R) -> sqlx::Result<Self> {
        let durations: Option<String> = row.try_get(16)?;
        let status_durations = durations
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|error| sqlx::Error::ColumnDecode {
                index: "status_durations".into(),
                source: Box::new(error),
            })?;
        let sprint = match row.try_get::<Option<i64>, _>(17)? {
            None => None,
            Some(id) => Some(SprintRow {
                id,
                board_id: row.try_get(18)?,
                name: row.try_get(19)?,
                state: row.try_get(20)?,
                goal: row.try_get(21)?,
                start_ms: row.try_get(22)?,
                end_ms: row.try_get(23)?,
                complete_ms: row.try_get(24)?,
            }),
        };
        Ok(Self {
            id: row.try_get(0)?,
            key: row.try_get(1)?,
            project_key: row.try_get(2)?,
            summary: row.try_get(3)?,
            status: row.try_get(4)?,
            status_category: row.try_get(5)?,
            priority: row.try_get(6)?,
            issue_type: row.try_get(7)?,
            assignee_account_id: row.try_get(8)?,
            reporter_account_id: row.try_get(9)?,
            created_ms: row.try_get(10)?,
            updated_ms: row.try_get(11)?,
            resolved_ms: row.try_get(12)?,
            story_points: row.try_get(13)?,
            cycle_time_ms: row.try_get(14)?,
            lead_time_ms: row.try_get(15)?,
            status_durations,
            sprint,
            comments: None,
            worklogs: None,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct CommentRow {
    pub(super) id: String,
    pub(super) author_account_id: Option<String>,
    pub(super) body: String,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
}

#[derive(Deserialize)]
pub(super) struct WorklogRow {
    pub(super) id: String,
    pub(super) author_account_id: Option<String>,
    pub(super) started_ms: i64,
    pub(super) time_spent_seconds: i64,
    pub(super) comment: Option<String>,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
}

impl IssueRow {
    /// The issues by `(updated, id)`, each with the children asked for (none read counts as
    /// none there).
    pub(super) fn listed_in_order(mut rows: Vec<Self>, children: Children) -> Vec<ListedIssue> {
        rows.sort_unstable_by(|a, b| (a.updated_ms, &a.id).cmp(&(b.updated_ms, &b.id)));
        rows.into_iter().map(|row| row.listed(children)).collect()
    }

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
