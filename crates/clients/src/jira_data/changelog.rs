//! Issues' change histories from `POST /rest/api/3/changelog/bulkfetch`
//! (`BulkChangelogResponseBean`): pages of histories, oldest first, grouped by issue; and the
//! site's statuses with their categories (`GET /rest/api/3/status`), which the moves name.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::DataUser;
use super::time;

/// One page of bulk changelogs.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangelogPage {
    #[serde(default)]
    pub issue_change_logs: Vec<IssueChangelog>,
    /// `None` on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// Histories of one issue; an issue's histories may continue on the next page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueChangelog {
    pub issue_id: String,
    #[serde(default)]
    pub change_histories: Vec<ChangeHistory>,
}

/// One changelog entry: who changed which fields when.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ChangeHistory {
    pub id: String,
    /// `None` for changes made by Jira itself or an anonymous automation.
    #[serde(default)]
    pub author: Option<DataUser>,
    #[serde(deserialize_with = "instant")]
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub items: Vec<ChangeItem>,
}

/// One changed field (`ChangeDetails`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeItem {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub field_id: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub from_string: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub to_string: Option<String>,
}

/// A status of the site's workflows (`StatusDetails`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataStatus {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status_category: Option<DataStatusCategory>,
}

/// `new`, `indeterminate` or `done` in `key`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DataStatusCategory {
    #[serde(default)]
    pub key: String,
}

/// `created` is a date-time string by the schema, but the document's own example gives
/// epoch seconds: both are read.
fn instant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Seconds(i64),
    }
    let unreadable = |raw: &dyn std::fmt::Debug| {
        serde::de::Error::custom(format!("unreadable change time {raw:?}"))
    };
    match Raw::deserialize(deserializer)? {
        Raw::Text(text) => time::parse(&text).ok_or_else(|| unreadable(&text)),
        Raw::Seconds(seconds) => {
            DateTime::from_timestamp(seconds, 0).ok_or_else(|| unreadable(&seconds))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_as_the_document_describes_it() {
        let page: ChangelogPage = serde_json::from_value(serde_json::json!({
            "issueChangeLogs": [{
                "issueId": "10100",
                "changeHistories": [
                    {
                        "id": "10001",
                        "author": { "accountId": "5b10a2844c20165700ede21g", "displayName": "Mia" },
                        "created": "2026-02-10T09:00:00.000+0700",
                        "items": [{ "field": "status", "fieldId": "status", "from": "1",
                                    "fromString": "To Do", "to": "3", "toString": "In Progress" }]
                    },
                    { "id": "10002", "created": 1492071429, "items": [] }
                ]
            }],
            "nextPageToken": "UxAQBFRF"
        }))
        .unwrap();
        let histories = &page.issue_change_logs[0].change_histories;
        assert_eq!(histories[0].created, time::parse("2026-02-10T02:00:00Z").unwrap());
        assert_eq!(histories[0].items[0].to_string.as_deref(), Some("In Progress"));
        assert_eq!(histories[1].created.timestamp(), 1_492_071_429);
        assert_eq!(histories[1].author, None);
        assert_eq!(page.next_page_token.as_deref(), Some("UxAQBFRF"));
    }
}
