//! What tests build and edit: users, projects, issues, comments, worklogs, boards and sprints.
//! The fake stores comments and worklogs more compactly than these shapes (see `store`).

use chrono::{DateTime, Utc};

/// A Jira user. `email: None` is a user whose privacy settings hide the address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeUser {
    pub account_id: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The address of a user with `email: None`: Jira's user search still finds them by it
    /// exactly, and never shows it.
    pub hidden_email: Option<String>,
    pub active: bool,
    /// An IANA zone name, e.g. `Asia/Ho_Chi_Minh`.
    pub time_zone: String,
}

impl Default for FakeUser {
    fn default() -> Self {
        Self {
            account_id: String::new(),
            display_name: String::new(),
            email: None,
            hidden_email: None,
            active: true,
            time_zone: "UTC".to_owned(),
        }
    }
}

impl FakeUser {
    /// An active user in UTC whose email is hidden.
    pub fn new(account_id: &str, display_name: &str) -> Self {
        Self { account_id: account_id.into(), display_name: display_name.into(), ..Self::default() }
    }

    pub fn with_email(self, email: &str) -> Self {
        Self { email: Some(email.into()), ..self }
    }

    /// A user whose privacy settings hide `email`.
    pub fn with_hidden_email(self, email: &str) -> Self {
        Self { email: None, hidden_email: Some(email.into()), ..self }
    }

    pub fn with_time_zone(self, time_zone: &str) -> Self {
        Self { time_zone: time_zone.into(), ..self }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FakeProject {
    pub id: String,
    pub key: String,
    pub name: String,
}

impl FakeProject {
    pub fn new(id: &str, key: &str, name: &str) -> Self {
        Self { id: id.into(), key: key.into(), name: name.into() }
    }
}

/// A Jira issue. `status`, `priority` and `issue_type` are names (`"In Progress"`, `"High"`,
/// `"Bug"`); the fake derives ids and status categories from them.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeIssue {
    /// Numeric, as Jira's are (`"10001"`).
    pub id: String,
    pub key: String,
    pub summary: String,
    pub status: String,
    pub issue_type: String,
    pub project_key: String,
    /// An account id.
    pub assignee: Option<String>,
    /// An account id.
    pub reporter: Option<String>,
    pub priority: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub resolution_date: Option<DateTime<Utc>>,
    /// Ids of [`FakeSprint`]s, rendered in the sprint custom field.
    pub sprints: Vec<u64>,
    /// The story-point estimate custom field.
    pub story_points: Option<f64>,
}

impl Default for FakeIssue {
    fn default() -> Self {
        let now = Utc::now();
        Self {
            id: String::new(),
            key: String::new(),
            summary: String::new(),
            status: "To Do".to_owned(),
            issue_type: "Task".to_owned(),
            project_key: String::new(),
            assignee: None,
            reporter: None,
            priority: Some("Medium".to_owned()),
            created: now,
            updated: now,
            resolution_date: None,
            sprints: Vec::new(),
            story_points: None,
        }
    }
}

impl FakeIssue {
    /// A "To Do" task of medium priority created now, in the project its key names.
    pub fn new(id: &str, key: &str, summary: &str) -> Self {
        let project_key = key.rsplit_once('-').map_or(key, |(project, _)| project);
        Self {
            id: id.into(),
            key: key.into(),
            summary: summary.into(),
            project_key: project_key.into(),
            ..Self::default()
        }
    }
}

/// The category Jira files a status under, derived from the status's name as the fake's
/// workflow does: searches (`statusCategory = …`) and rendered issues agree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::jira) struct StatusCategory {
    pub id: u8,
    pub key: &'static str,
    pub color: &'static str,
    pub name: &'static str,
}

impl StatusCategory {
    pub fn of(status: &str) -> Self {
        let (id, key, color, name) = match status.to_ascii_lowercase().as_str() {
            "to do" | "open" | "backlog" | "selected for development" => {
                (2, "new", "blue-gray", "To Do")
            }
            "done" | "closed" | "resolved" => (3, "done", "green", "Done"),
            _ => (4, "indeterminate", "yellow", "In Progress"),
        };
        Self { id, key, color, name }
    }

    /// Whether a JQL value names this category: by name, key or id, as Jira accepts.
    pub fn is_named(&self, value: &str) -> bool {
        value.eq_ignore_ascii_case(self.name)
            || value.eq_ignore_ascii_case(self.key)
            || value == self.id.to_string()
    }
}

/// A comment; its body becomes one ADF paragraph per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeComment {
    /// An account id.
    pub author: String,
    pub body: String,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl FakeComment {
    /// A comment made now.
    pub fn new(author: &str, body: &str) -> Self {
        let now = Utc::now();
        Self { author: author.into(), body: body.into(), created: now, updated: now }
    }
}

/// A Jira worklog (not to be confused with Clockwork's [`crate::FakeWorklog`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeJiraWorklog {
    /// An account id.
    pub author: String,
    pub started: DateTime<Utc>,
    pub time_spent_seconds: u64,
    /// Plain text; rendered as ADF.
    pub comment: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl FakeJiraWorklog {
    /// A worklog logged now, without a comment.
    pub fn new(author: &str, started: DateTime<Utc>, time_spent_seconds: u64) -> Self {
        let now = Utc::now();
        Self {
            author: author.into(),
            started,
            time_spent_seconds,
            comment: None,
            created: now,
            updated: now,
        }
    }
}

/// An agile board of one project; kanban boards have sprints disabled unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeBoard {
    pub id: u64,
    pub name: String,
    /// `scrum` or `kanban`.
    pub kind: String,
    pub project_key: String,
    pub sprints_enabled: bool,
}

impl FakeBoard {
    pub fn scrum(id: u64, name: &str, project_key: &str) -> Self {
        Self {
            id,
            name: name.into(),
            kind: "scrum".into(),
            project_key: project_key.into(),
            sprints_enabled: true,
        }
    }

    pub fn kanban(id: u64, name: &str, project_key: &str) -> Self {
        Self { kind: "kanban".into(), sprints_enabled: false, ..Self::scrum(id, name, project_key) }
    }
}

/// A sprint of a board; `state` is `future`, `active` or `closed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeSprint {
    pub id: u64,
    pub board_id: u64,
    pub name: String,
    pub state: String,
    pub goal: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub complete_date: Option<DateTime<Utc>>,
}

impl FakeSprint {
    /// A sprint without dates or goal.
    pub fn new(id: u64, board_id: u64, name: &str, state: &str) -> Self {
        Self {
            id,
            board_id,
            name: name.into(),
            state: state.into(),
            goal: None,
            start_date: None,
            end_date: None,
            complete_date: None,
        }
    }
}
