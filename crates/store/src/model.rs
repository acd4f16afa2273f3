//! The rows the store keeps, as plain data. Timestamps are epoch milliseconds.

use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

/// A Jira issue, as the sync engine normalized it.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct Issue {
    /// Jira's numeric id, kept as text (it never changes, even when the key does).
    pub id: String,
    #[sqlx(rename = "issue_key")]
    pub key: String,
    pub project_key: String,
    pub summary: String,
    pub status: String,
    /// `new`, `indeterminate` or `done` in Jira's terms.
    pub status_category: Option<String>,
    pub priority: Option<String>,
    pub issue_type: Option<String>,
    pub assignee_account_id: Option<String>,
    pub reporter_account_id: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub resolved_ms: Option<i64>,
    pub story_points: Option<f64>,
    /// The sprints the issue is in (the `issue_sprints` rows), ascending when read back.
    #[sqlx(skip)]
    pub sprint_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Comment {
    pub id: String,
    pub issue_id: String,
    pub author_account_id: Option<String>,
    /// Plain text (the engine flattens Jira's document format).
    pub body: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Worklog {
    pub id: String,
    pub issue_id: String,
    pub author_account_id: Option<String>,
    pub started_ms: i64,
    pub time_spent_seconds: i64,
    pub comment: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Sprint {
    pub id: i64,
    pub board_id: Option<i64>,
    pub name: String,
    /// `future`, `active` or `closed`.
    pub state: String,
    pub goal: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub complete_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct JiraUser {
    pub account_id: String,
    pub display_name: String,
    /// Often hidden by the user's privacy settings; a hidden email never erases a known one.
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub active: bool,
}

/// A person of the team, matched to a Jira account when one is known.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TeamMember {
    pub id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub jira_account_id: Option<String>,
}

impl TeamMember {
    /// A new, unmatched member. Its id is its email, else its name, so adding the same
    /// person again updates them instead of adding a twin.
    pub fn named(display_name: &str, email: Option<&str>) -> Self {
        Self {
            id: email.unwrap_or(display_name).to_owned(),
            display_name: display_name.to_owned(),
            email: email.map(str::to_owned),
            jira_account_id: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TrackedProject {
    #[sqlx(rename = "project_key")]
    pub key: String,
    #[sqlx(rename = "project_id")]
    pub id: String,
    pub name: String,
    pub created_ms: i64,
}

/// A stored row and its soft-delete mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    pub value: T,
    /// When the sync saw the row gone from Jira; `None` while it is live.
    pub deleted_at_ms: Option<i64>,
}

impl<T> Stored<T> {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at_ms.is_some()
    }
}

impl<'r, R, T> FromRow<'r, R> for Stored<T>
where
    R: Row,
    T: FromRow<'r, R>,
    &'r str: ColumnIndex<R>,
    Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self { value: T::from_row(row)?, deleted_at_ms: row.try_get("deleted_at")? })
    }
}

/// A live issue as listed by [`crate::Store::issue_page`]: with its latest sprint (the
/// highest sprint id it is linked to) and what its history says, read in the same statement.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedIssue {
    pub issue: Issue,
    /// `None` when the issue is in no sprint, or in one not read from its board yet.
    pub sprint: Option<Sprint>,
    pub flow: Flow,
    /// The stored accounts of its assignee and reporter (`None` when it has none, or the
    /// account is not stored yet).
    pub assignee: Option<JiraUser>,
    pub reporter: Option<JiraUser>,
    /// Its live comments with their authors, oldest first, when the read asked for them
    /// ([`crate::Children`]); `None` when it did not.
    pub comments: Option<Vec<Authored<Comment>>>,
    /// Its live worklogs with their authors, by start time, when the read asked for them.
    pub worklogs: Option<Vec<Authored<Worklog>>>,
}

/// One changed field of a Jira changelog entry (`issue_changes`).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct IssueChange {
    pub issue_id: String,
    /// The changelog entry's id; one entry changes one or more fields at once.
    pub change_id: String,
    pub author_account_id: Option<String>,
    pub created_ms: i64,
    /// Jira's field id (`status`, `assignee`, `customfield_10016`), else the field's name.
    pub field: String,
    /// Jira's raw values (a status id, an account id).
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    /// The values as Jira displays them (a status name, a person's name).
    pub from_string: Option<String>,
    pub to_string: Option<String>,
}

/// The changelogs of some issues, read to the end: the unit of the history sync.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueHistory {
    pub project_key: String,
    /// The issues whose changelogs were read (their derived values are recomputed, changes
    /// or not); issues the store does not hold are left out.
    pub issue_ids: Vec<String>,
    pub changes: Vec<IssueChange>,
    /// The changes' authors.
    pub users: Vec<JiraUser>,
    /// The category key (`new`, `indeterminate`, `done`) of each status the changes name,
    /// by status id (a change's `from_value`/`to_value`).
    pub status_categories: std::collections::HashMap<String, String>,
}

/// Time spent in one status, summed over every stay in it that has ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StatusDuration {
    pub status: String,
    pub ms: i64,
}

/// What an issue's history says (NULL columns until its changelog is read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flow {
    /// By status, first entered first; the stay in the current status is still running and
    /// not counted.
    pub status_durations: Vec<StatusDuration>,
    /// From the first move into an indeterminate ("In Progress") status to the resolution.
    pub cycle_time_ms: Option<i64>,
    /// From creation to the resolution.
    pub lead_time_ms: Option<i64>,
}

/// A comment or worklog with its author's account, read in the same statement (`None`
/// when it has no author or the account is not stored).
#[derive(Debug, Clone, PartialEq)]
pub struct Authored<T> {
    pub value: T,
    pub author: Option<JiraUser>,
}

impl<'r, R, T> FromRow<'r, R> for Authored<T>
where
    R: Row,
    T: FromRow<'r, R>,
    &'r str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        let author = match row.try_get::<Option<String>, _>("author_user_id")? {
            Some(account_id) => Some(JiraUser {
                account_id,
                display_name: row
                    .try_get::<Option<String>, _>("author_display_name")?
                    .unwrap_or_default(),
                email: row.try_get("author_email")?,
                avatar_url: row.try_get("author_avatar_url")?,
                active: row.try_get::<Option<bool>, _>("author_active")?.unwrap_or(true),
            }),
            None => None,
        };
        Ok(Self { value: T::from_row(row)?, author })
    }
}

/// Live rows of a project, for its health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct ProjectCounts {
    pub issues: i64,
    pub comments: i64,
    pub worklogs: i64,
}

/// One unit of the issue sync: it commits whole or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IssueBatch {
    pub project_key: String,
    pub issues: Vec<IssueRecord>,
    /// Sprints named by the issues' sprint field, upserted with them.
    pub sprints: Vec<Sprint>,
    /// Users seen in the batch (assignees, reporters, authors).
    pub users: Vec<JiraUser>,
    /// The `issues` cursor once this batch is stored: the largest `updated_ms` it covers.
    /// `None` leaves the cursor where it is (a backfill of a few accounts reads old pages;
    /// a webhook's re-read of a few issues is no prefix of the search).
    pub cursor_ms: Option<i64>,
    /// Issues of the project Jira no longer has (a webhook said so and a re-read did not
    /// find them): soft-deleted in the same transaction.
    pub deleted_issue_ids: Vec<String>,
}

/// An issue with the children read alongside it.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRecord {
    pub issue: Issue,
    pub comments: Vec<Comment>,
    /// True when `comments` is every comment the issue has (not a truncated page): stored
    /// comments missing from it are then soft-deleted.
    pub comments_complete: bool,
    pub worklogs: Vec<Worklog>,
    /// Like `comments_complete`, for worklogs.
    pub worklogs_complete: bool,
}

/// Rows per table; for the soft-deleting tables, how many of them are marked deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct TableCounts {
    pub jira_users: i64,
    pub team_members: i64,
    pub tracked_projects: i64,
    pub project_tracked_users: i64,
    pub issues: i64,
    pub issues_deleted: i64,
    pub comments: i64,
    pub comments_deleted: i64,
    pub worklogs: i64,
    pub worklogs_deleted: i64,
    pub sprints: i64,
    pub issue_sprints: i64,
    pub sync_jobs: i64,
    pub sync_states: i64,
    pub sync_logs: i64,
    pub sync_leases: i64,
}

/// What one deletion sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Issues marked deleted.
    pub deleted: usize,
    /// Issues missing while too many were: kept live, marked for the next sweep to confirm.
    pub unobserved: usize,
    /// Deleted or unobserved issues Jira lists again.
    pub restored: usize,
}

/// A Jira webhook delivery the worker took on (`webhook_deliveries`).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DeliveryRecord {
    /// Jira's identifier of the delivery.
    pub id: String,
    pub received_ms: i64,
    /// e.g. `jira:issue_updated`.
    pub event: String,
    pub issue_id: String,
    /// The tracked project it was planned for; absent on deliveries stored before 0006.
    pub project_key: Option<String>,
    /// When the re-read of its issue was committed.
    pub applied_ms: Option<i64>,
}

/// A way Jira's answers were seen to differ from what the sync reads (`schema_drifts`):
/// `entity`, `path` and `kind` are its identity, `sample` what was seen first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// `issue`, `comment` or `worklog`.
    pub entity: String,
    /// Dotted, from the entity: `fields.status.statusCategory.key`.
    pub path: String,
    /// `missing`, `type` or `new`.
    pub kind: String,
    pub sample: String,
}
