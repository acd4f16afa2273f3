//! JSON shapes shared by the routes, the worker and the cache (camelCase on the wire).

use serde::{Deserialize, Serialize};

/// Cache-key prefixes and lifetimes fixed by the architecture.
pub mod keys {
    pub const TIMERS_PREFIX: &str = "clockwork:timers:";
    pub const TIMERS_ALL: &str = "clockwork:timers:all";
    pub const ACTIVE_USERS: &str = "clockwork:active_users";
    pub const TIMERS_TTL_SECS: u64 = 600;
    pub const JIRA_USER_PREFIX: &str = "jira:user:";
    pub const JIRA_USER_TTL_SECS: u64 = 172_800;
    pub const JIRA_ISSUE_PREFIX: &str = "jira:issue:";
    pub const JIRA_ISSUE_TTL_SECS: u64 = 86_400;

    pub fn timers(user_key: &str) -> String {
        format!("{TIMERS_PREFIX}{user_key}")
    }

    pub fn jira_user(account_id: &str) -> String {
        format!("{JIRA_USER_PREFIX}{account_id}")
    }

    pub fn jira_issue(key_or_id: &str) -> String {
        format!("{JIRA_ISSUE_PREFIX}{key_or_id}")
    }
}

/// A running Clockwork timer as the desktop client sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timer {
    pub id: u64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub comment: Option<String>,
    pub running_for: String,
    pub till_now: i64,
    pub worklog_count: i64,
    pub issue: TimerIssue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    pub within_working_hours: Option<bool>,
    pub started_within_working_hours: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerIssue {
    pub key: String,
    pub id: u64,
}

/// A Jira user as timers and worklogs carry it; only the account id is certain.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Author {
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// The value under every `clockwork:timers:*` key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedTimers {
    pub timers: Vec<Timer>,
    pub cached_at: String,
    pub user_key: String,
}

/// `GET /api/timers/active`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveTimersResponse {
    pub timers: Vec<Timer>,
    pub cached_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_email: Option<String>,
}

/// One Clockwork worklog, with the issue's key, summary and project filled in when known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Worklog {
    pub id: String,
    pub issue_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    pub time_spent_seconds: i64,
    pub started: String,
    pub comment: Option<String>,
    pub author: Author,
}

/// `GET /api/worklogs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorklogsResponse {
    pub worklogs: Vec<Worklog>,
    /// Sum of `timeSpentSeconds`.
    pub total: i64,
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub account_id: Option<String>,
}

/// A Jira issue as the desktop client shows it; also the value under `jira:issue:*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueDetails {
    pub key: String,
    pub id: String,
    pub summary: String,
    pub status: String,
    pub project: ProjectRef,
    pub assignee: Option<Author>,
    pub priority: Option<String>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRef {
    pub id: String,
    pub key: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// The value under `jira:user:<accountId>`; an empty email means Jira hides or lacks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedJiraUser {
    pub account_id: String,
    pub email_address: String,
    pub display_name: String,
    pub avatar_url: String,
}
