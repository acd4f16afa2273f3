//! One timer as `timers.json` lists it (`RawTimer`), and the page around it.
//!
//! Tolerant by design: ids arrive as numbers or strings, most fields may be missing or null,
//! unknown fields are ignored, and one malformed timer is left out rather than failing its page.

use clockwork_core::contract::{Author, Timer, TimerIssue};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::TimersPage;
use crate::ClientError;

/// A timer of the report app. Running while `finished_at` is null.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RawTimer {
    #[serde(deserialize_with = "id")]
    pub id: u64,
    #[serde(default, deserialize_with = "text")]
    pub started_at: String,
    #[serde(default)]
    pub finished_at: Option<String>,
    #[serde(default, deserialize_with = "messages")]
    pub error_messages: Option<Vec<String>>,
    /// The Jira account id the timer runs for.
    pub running_for: String,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub started_within_working_hours: Option<bool>,
    #[serde(default)]
    pub within_working_hours: Option<bool>,
    pub issue: RawIssue,
    /// Seconds run so far.
    #[serde(default, deserialize_with = "count")]
    pub till_now: i64,
    #[serde(default, deserialize_with = "count")]
    pub worklog_count: i64,
    /// Often absent, and so is its email.
    #[serde(default)]
    pub author: Option<RawAuthor>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RawIssue {
    pub key: String,
    #[serde(deserialize_with = "id")]
    pub id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawAuthor {
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

impl RawTimer {
    pub fn is_running(&self) -> bool {
        self.finished_at.as_deref().is_none_or(|finished| finished.trim().is_empty())
    }

    /// The timer as the desktop client sees it; blank strings become absent.
    pub fn into_timer(self) -> Timer {
        let running = self.is_running();
        let author = self.author.map(|author| Author {
            account_id: non_blank(author.account_id).unwrap_or_else(|| self.running_for.clone()),
            email_address: non_blank(author.email_address),
            display_name: non_blank(author.display_name),
            avatar_url: non_blank(author.avatar_url),
        });
        Timer {
            id: self.id,
            started_at: self.started_at,
            finished_at: if running { None } else { self.finished_at },
            comment: self.comment,
            running_for: self.running_for,
            till_now: self.till_now,
            worklog_count: self.worklog_count,
            issue: TimerIssue { key: self.issue.key, id: self.issue.id },
            author,
            // Not judged by Clockwork: within, so the client does not show "On Hold".
            within_working_hours: self.within_working_hours.unwrap_or(true),
            started_within_working_hours: self.started_within_working_hours.unwrap_or(true),
        }
    }
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.trim().is_empty())
}

/// `{ timers, startAt, maxResults, total, isLast, page, pages, isFirst }`, any of them but
/// `timers` possibly missing. Without `isLast`, the page is last when `page >= pages`; an
/// empty page always is, so a confused server cannot keep a reader paging.
pub(super) fn parse_page(body: Value, asked: u32) -> Result<TimersPage, ClientError> {
    let Value::Object(mut page) = body else {
        return Err(ClientError::Decode("timers.json did not answer with an object".into()));
    };
    let Some(Value::Array(raw)) = page.remove("timers") else {
        return Err(ClientError::Decode("timers.json answered without a timers list".into()));
    };
    let number = |name: &str| page.get(name).and_then(lenient_u64).and_then(|n| n.try_into().ok());
    let number_page: Option<u32> = number("page");
    let pages: Option<u32> = number("pages");
    let page_number = number_page.unwrap_or(asked);
    let is_last = raw.is_empty()
        || page
            .get("isLast")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| pages.is_some_and(|pages| page_number >= pages));
    let timers = raw
        .into_iter()
        .filter_map(|timer| {
            serde_json::from_value::<RawTimer>(timer)
                .inspect_err(|error| tracing::warn!(%error, "left out a malformed timer"))
                .ok()
        })
        .collect();
    Ok(TimersPage { timers, page: page_number, pages, is_last, refreshed: None })
}

/// A non-negative whole number given as a number or a numeric string.
fn lenient_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let value = Value::deserialize(deserializer)?;
    lenient_u64(&value)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a numeric id, got {value}")))
}

/// A count given as an integer, a float, a numeric string or null (0).
fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Number(number) => {
            number.as_i64().or_else(|| number.as_f64().map(|n| n as i64)).unwrap_or_default()
        }
        Value::String(text) => text.trim().parse::<f64>().map_or(0, |n| n as i64),
        _ => 0,
    })
}

/// A string, or null as empty.
fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// A list of messages; entries that are not strings are kept as their JSON text.
fn messages<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    Ok(Option::<Vec<Value>>::deserialize(deserializer)?.map(|list| {
        list.into_iter()
            .map(|message| match message {
                Value::String(text) => text,
                other => other.to_string(),
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_may_be_strings_and_nulls_and_unknown_fields_are_tolerated() {
        let timer: RawTimer = serde_json::from_value(json!({
            "id": "123", "running_for": "acc-1", "issue": { "key": "KAN-9", "id": "10009" },
            "started_at": null, "till_now": 75.9, "worklog_count": null,
            "error_messages": ["late", { "code": 7 }], "brand_new_field": [1, 2],
        }))
        .unwrap();
        assert_eq!(
            (timer.id, timer.issue.id, timer.till_now, timer.worklog_count),
            (123, 10009, 75, 0)
        );
        assert_eq!(timer.started_at, "");
        assert_eq!(timer.error_messages.unwrap(), ["late", r#"{"code":7}"#]);
        assert!(timer.author.is_none());
    }

    #[test]
    fn a_page_without_is_last_ends_at_pages_or_when_empty() {
        let timer = json!({ "id": 1, "running_for": "a", "issue": { "key": "K-1", "id": 1 } });
        let page = parse_page(json!({ "timers": [timer], "page": 2, "pages": 2 }), 2).unwrap();
        assert!(page.is_last);
        let page = parse_page(json!({ "timers": [timer], "page": "1", "pages": 2 }), 1).unwrap();
        assert!(!page.is_last);
        assert_eq!((page.page, page.pages), (1, Some(2)));
        let page = parse_page(json!({ "timers": [timer] }), 4).unwrap();
        assert!(!page.is_last, "nothing says so: the next page will tell");
        assert_eq!(page.page, 4);
        let page = parse_page(json!({ "timers": [], "isLast": false }), 5).unwrap();
        assert!(page.is_last);
    }

    #[test]
    fn a_malformed_timer_is_left_out_of_its_page() {
        let good = json!({ "id": 1, "running_for": "a", "issue": { "key": "K-1", "id": 1 } });
        let bad = json!({ "id": "one", "running_for": "a", "issue": { "key": "K-1", "id": 1 } });
        let page = parse_page(json!({ "timers": [good, bad], "isLast": true }), 1).unwrap();
        assert_eq!(page.timers.len(), 1);
        assert!(matches!(parse_page(json!({ "error": "x" }), 1), Err(ClientError::Decode(_))));
        assert!(matches!(parse_page(json!([]), 1), Err(ClientError::Decode(_))));
    }
}
