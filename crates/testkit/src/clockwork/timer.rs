//! Timers as the Clockwork report app pages them (`RawTimer`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::FakeAuthor;

/// A timer, in the report app's `RawTimer` terms. Running while `finished_at` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeTimer {
    /// `0` lets [`FakeClockwork::add_timer`] pick the next id.
    pub id: u64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The Jira account id the timer runs for.
    pub running_for: String,
    pub comment: Option<String>,
    pub issue_key: String,
    pub issue_id: String,
    pub worklog_count: u32,
    pub within_working_hours: Option<bool>,
    pub started_within_working_hours: Option<bool>,
    pub error_messages: Option<Vec<String>>,
    /// Often absent in real pages, and so is its email.
    pub author: Option<FakeAuthor>,
}

impl FakeTimer {
    /// A running timer without author, comment or worklogs.
    pub fn running(
        issue_key: &str,
        issue_id: &str,
        running_for: &str,
        started_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: 0,
            started_at,
            finished_at: None,
            running_for: running_for.into(),
            comment: None,
            issue_key: issue_key.into(),
            issue_id: issue_id.into(),
            worklog_count: 0,
            within_working_hours: Some(true),
            started_within_working_hours: Some(true),
            error_messages: None,
            author: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.finished_at.is_none()
    }

    /// The report app's `RawTimer` JSON, with `till_now` counted up to `now`.
    pub fn to_raw_json(&self, now: DateTime<Utc>) -> Value {
        let end = self.finished_at.unwrap_or(now);
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let issue_id =
            self.issue_id.parse::<u64>().map_or_else(|_| json!(self.issue_id), |id| json!(id));
        let mut value = json!({
            "id": self.id,
            "started_at": time(self.started_at),
            "finished_at": self.finished_at.map(time),
            "error_messages": self.error_messages,
            "running_for": self.running_for,
            "comment": self.comment,
            "started_within_working_hours": self.started_within_working_hours,
            "within_working_hours": self.within_working_hours,
            "issue": { "key": self.issue_key, "id": issue_id },
            "till_now": (end - self.started_at).num_seconds().max(0),
            "worklog_count": self.worklog_count,
        });
        if let Some(author) = &self.author {
            let mut json =
                json!({ "accountId": author.account_id, "displayName": author.display_name });
            if let Some(email) = &author.email {
                json["emailAddress"] = json!(email);
            }
            if let Some(avatar) = &author.avatar_url {
                json["avatarUrl"] = json!(avatar);
            }
            value["author"] = json;
        }
        value
    }
}
