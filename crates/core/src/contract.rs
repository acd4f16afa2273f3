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
    /// Clockwork's `null` reads as `true`: the client shows a falsy value as "On Hold" and
    /// freezes its clock, which a timer Clockwork did not judge should not do.
    #[serde(default = "yes", deserialize_with = "null_as_true")]
    pub within_working_hours: bool,
    #[serde(default = "yes", deserialize_with = "null_as_true")]
    pub started_within_working_hours: bool,
}

fn yes() -> bool {
    true
}

fn null_as_true<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(deserializer)?.unwrap_or(true))
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
    /// Jira's numeric string, answered as a JSON number (the client's type is a number).
    #[serde(with = "numeric_id")]
    pub id: String,
    #[serde(with = "numeric_id")]
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

/// Ids that Jira keeps as numeric strings, on the wire as JSON numbers when they are whole
/// numbers a JavaScript number holds exactly (up to 2^53); anything else stays a string
/// rather than being lost or rounded. Either form reads back.
mod numeric_id {
    use serde::{Deserialize, Deserializer, Serializer};

    /// `Number.MAX_SAFE_INTEGER`.
    const MAX_SAFE: u64 = (1 << 53) - 1;

    pub fn serialize<S: Serializer>(id: &str, serializer: S) -> Result<S::Ok, S::Error> {
        match id.parse::<u64>() {
            Ok(n) if n <= MAX_SAFE && n.to_string() == id => serializer.serialize_u64(n),
            _ => serializer.serialize_str(id),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Id {
            Number(u64),
            Text(String),
        }
        Ok(match Id::deserialize(deserializer)? {
            Id::Number(n) => n.to_string(),
            Id::Text(text) => text,
        })
    }
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
/// `timeZone` (IANA) decides which day is the user's "today" for worklogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedJiraUser {
    pub account_id: String,
    pub email_address: String,
    pub display_name: String,
    pub avatar_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn worklog(id: &str, issue_id: &str) -> Worklog {
        Worklog {
            id: id.into(),
            issue_id: issue_id.into(),
            issue_key: None,
            issue_name: None,
            project_name: None,
            time_spent_seconds: 60,
            started: "2026-02-10T09:00:00.000+0700".into(),
            comment: None,
            author: Author::default(),
        }
    }

    #[test]
    fn numeric_worklog_ids_are_answered_as_numbers() {
        let value = serde_json::to_value(worklog("10042", "9007199254740991")).unwrap();
        assert_eq!(
            (value["id"].clone(), value["issueId"].clone()),
            (json!(10042), json!(9_007_199_254_740_991_u64))
        );
        let back: Worklog = serde_json::from_value(value).unwrap();
        assert_eq!((back.id.as_str(), back.issue_id.as_str()), ("10042", "9007199254740991"));
    }

    #[test]
    fn ids_a_number_cannot_hold_exactly_stay_strings() {
        for id in ["9007199254740992", "wl-7", "007", ""] {
            let value = serde_json::to_value(worklog(id, "1")).unwrap();
            assert_eq!(value["id"], json!(id), "{id}");
        }
    }

    #[test]
    fn unjudged_working_hours_read_as_within() {
        let timer = json!({
            "id": 1, "startedAt": "t", "finishedAt": null, "comment": null, "runningFor": "acc",
            "tillNow": 5, "worklogCount": 0, "issue": { "key": "KAN-1", "id": 10001 },
            "withinWorkingHours": null,
        });
        let timer: Timer = serde_json::from_value(timer).unwrap();
        assert!(timer.within_working_hours && timer.started_within_working_hours);
        let value = serde_json::to_value(&timer).unwrap();
        assert_eq!(value["withinWorkingHours"], true);
        assert_eq!(value["startedWithinWorkingHours"], true);
    }
}
