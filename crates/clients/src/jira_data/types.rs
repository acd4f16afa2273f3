//! What the data client returns. Shapes follow Atlassian's OpenAPI documents, read
//! tolerantly: optional and null fields are `None`, unknown fields are ignored; only a
//! missing id or an unreadable timestamp makes a response unparseable.

use super::adf::Adf;
use super::time;
use crate::jira::JiraUser;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A Jira user; `email_address` is `None` when the user's privacy settings hide it.
pub type DataUser = JiraUser;

/// A project (`/rest/api/3/project/search`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub id: String,
    pub key: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub project_type_key: Option<String>,
    #[serde(default)]
    pub simplified: Option<bool>,
    #[serde(default)]
    pub archived: Option<bool>,
}

/// An agile board and the project it is located in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "WireBoard")]
pub struct Board {
    pub id: u64,
    pub name: String,
    /// `scrum`, `kanban` or `simple`.
    pub kind: Option<String>,
    pub project_id: Option<u64>,
    pub project_key: Option<String>,
}

#[derive(Deserialize)]
struct WireBoard {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    location: Option<BoardLocation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BoardLocation {
    #[serde(default)]
    project_id: Option<u64>,
    #[serde(default)]
    project_key: Option<String>,
}

impl From<WireBoard> for Board {
    fn from(wire: WireBoard) -> Self {
        let location = wire.location;
        Self {
            id: wire.id,
            name: wire.name,
            kind: wire.kind,
            project_id: location.as_ref().and_then(|l| l.project_id),
            project_key: location.and_then(|l| l.project_key),
        }
    }
}

/// A sprint, from a board's sprint list or from an issue's sprint field.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "WireSprint")]
pub struct Sprint {
    pub id: u64,
    pub name: String,
    /// `future`, `active` or `closed`.
    pub state: String,
    /// `boardId` in issue fields, `originBoardId` in the Agile API.
    pub board_id: Option<u64>,
    pub goal: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub complete_date: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSprint {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    board_id: Option<u64>,
    #[serde(default)]
    origin_board_id: Option<u64>,
    #[serde(default)]
    goal: Option<String>,
    #[serde(default, deserialize_with = "time::optional")]
    start_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    end_date: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    complete_date: Option<DateTime<Utc>>,
}

impl From<WireSprint> for Sprint {
    fn from(wire: WireSprint) -> Self {
        Self {
            id: wire.id,
            name: wire.name,
            state: wire.state,
            board_id: wire.board_id.or(wire.origin_board_id),
            goal: wire.goal.filter(|goal| !goal.is_empty()),
            start_date: wire.start_date,
            end_date: wire.end_date,
            complete_date: wire.complete_date,
        }
    }
}

/// A comment; `body` is Atlassian Document Format ([`DataComment::text`] flattens it).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataComment {
    pub id: String,
    #[serde(default)]
    pub author: Option<DataUser>,
    #[serde(default)]
    pub body: Option<Adf>,
    #[serde(default, deserialize_with = "time::optional")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    pub updated: Option<DateTime<Utc>>,
}

impl DataComment {
    pub fn text(&self) -> String {
        self.body.as_ref().map(Adf::text).unwrap_or_default()
    }
}

/// A worklog; `comment` is Atlassian Document Format ([`DataWorklog::text`] flattens it).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataWorklog {
    pub id: String,
    #[serde(default)]
    pub issue_id: Option<String>,
    #[serde(default)]
    pub author: Option<DataUser>,
    #[serde(default)]
    pub comment: Option<Adf>,
    #[serde(default, deserialize_with = "time::optional")]
    pub started: Option<DateTime<Utc>>,
    #[serde(default)]
    pub time_spent_seconds: Option<u64>,
    #[serde(default, deserialize_with = "time::optional")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time::optional")]
    pub updated: Option<DateTime<Utc>>,
}

impl DataWorklog {
    pub fn text(&self) -> String {
        self.comment.as_ref().map(Adf::text).unwrap_or_default()
    }
}

/// `PageOfComments`: a page of an issue's comments, or those embedded in a search result.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CommentPage {
    pub comments: Vec<DataComment>,
    pub start_at: u64,
    pub max_results: u64,
    pub total: u64,
}

impl CommentPage {
    /// Whether no comment follows this page.
    pub fn is_last(&self) -> bool {
        self.comments.is_empty() || self.start_at + self.comments.len() as u64 >= self.total
    }
}

/// `PageOfWorklogs`: a page of an issue's worklogs, or those embedded in a search result.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorklogPage {
    pub worklogs: Vec<DataWorklog>,
    pub start_at: u64,
    pub max_results: u64,
    pub total: u64,
}

impl WorklogPage {
    /// Whether no worklog follows this page.
    pub fn is_last(&self) -> bool {
        self.worklogs.is_empty() || self.start_at + self.worklogs.len() as u64 >= self.total
    }
}

/// One entry of the worklog change feeds: which worklog, and when (epoch ms) it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedWorklog {
    pub worklog_id: u64,
    pub updated_time: i64,
}

/// A page of `/worklog/updated` or `/worklog/deleted` (`ChangedWorklogs`), oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangedWorklogs {
    #[serde(default)]
    pub values: Vec<ChangedWorklog>,
    #[serde(default)]
    pub since: Option<i64>,
    /// The time of the page's last change: where the next page, or the next run, starts.
    #[serde(default)]
    pub until: Option<i64>,
    /// A page that does not say is taken as the last, so that reading always ends.
    #[serde(default = "last_page_unless_said")]
    pub last_page: bool,
    #[serde(default)]
    pub next_page: Option<String>,
}

fn last_page_unless_said() -> bool {
    true
}

impl ChangedWorklogs {
    /// Where the page after this one (asked for `since`) starts; `None` after the last page.
    /// A full page whose changes all share `since` would be answered again and again, so the
    /// next page then starts a millisecond later.
    pub fn next_since(&self, since: i64) -> Option<i64> {
        if self.last_page {
            return None;
        }
        let until = self.until.or(self.values.last().map(|v| v.updated_time)).unwrap_or(since);
        Some(if until > since { until } else { since + 1 })
    }

    /// The cursor for the next run after this last page: its `until`, never the clock, since
    /// Jira leaves the last minute out of the feed.
    pub fn cursor(&self, since: i64) -> i64 {
        self.until.unwrap_or(since).max(since)
    }
}

/// Which worklog change feed to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeFeed {
    Updated,
    Deleted,
}

/// Every change of a feed since a cursor, each worklog once, and the cursor for next time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorklogChanges {
    pub values: Vec<ChangedWorklog>,
    pub next_since: i64,
}
