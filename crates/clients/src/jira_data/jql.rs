//! JQL the sync sends. Times are epoch milliseconds: Jira reads a zone-less date such as
//! `"2026-02-10 09:00"` in the timezone of the account that searches, so a UTC-formatted
//! cursor skips updates (or re-reads them) whenever that account is not in UTC.

use chrono::{DateTime, Utc};
use clockwork_core::IssueId;

/// A project's issues updated at or after `updated_since` (all of them without one), oldest
/// first with ties broken by id, so that the last issue seen is a safe next cursor.
pub fn project_issues_jql(project_key: &str, updated_since: Option<DateTime<Utc>>) -> String {
    partition_issues_jql(project_key, IdRange::ALL, updated_since)
}

/// Issue ids at or above `from` and below `to` (unbounded where `None`): a partition of a
/// project by id, which new issues (with ever larger ids) join at the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct IdRange {
    pub from: Option<u64>,
    pub to: Option<u64>,
}

impl IdRange {
    pub const ALL: Self = Self { from: None, to: None };

    pub fn contains(&self, id: u64) -> bool {
        self.from.is_none_or(|from| id >= from) && self.to.is_none_or(|to| id < to)
    }
}

/// [`project_issues_jql`] within the ids of `range`, in the same order.
pub fn partition_issues_jql(
    project_key: &str,
    range: IdRange,
    updated_since: Option<DateTime<Utc>>,
) -> String {
    let mut jql = format!("project = {}", quote(project_key));
    if let Some(from) = range.from {
        jql.push_str(&format!(" AND id >= {from}"));
    }
    if let Some(to) = range.to {
        jql.push_str(&format!(" AND id < {to}"));
    }
    if let Some(since) = updated_since {
        jql.push_str(&format!(" AND updated >= {}", since.timestamp_millis()));
    }
    jql.push_str(" ORDER BY updated ASC, id ASC");
    jql
}

/// Every issue of a project by id: the census a partitioned sync is planned from.
pub fn project_ids_jql(project_key: &str) -> String {
    format!("project = {} ORDER BY id ASC", quote(project_key))
}

/// The issues of a project among `ids` (numeric issue ids), by id: a re-read of the issues
/// a webhook named. An issue moved to another project is not among them.
pub fn issues_by_id_jql(project_key: &str, ids: &[IssueId]) -> String {
    let ids: Vec<&str> = ids.iter().map(IssueId::as_str).collect();
    format!("project = {} AND id in ({}) ORDER BY id ASC", quote(project_key), ids.join(", "))
}

/// A JQL string literal.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn cursors_are_epoch_milliseconds_and_keys_are_quoted() {
        let since = Utc.with_ymd_and_hms(2024, 11, 29, 10, 44, 51).unwrap();
        assert_eq!(
            project_issues_jql("KAN", Some(since)),
            "project = \"KAN\" AND updated >= 1732877091000 ORDER BY updated ASC, id ASC"
        );
        assert_eq!(
            project_issues_jql("A\"B", None),
            "project = \"A\\\"B\" ORDER BY updated ASC, id ASC"
        );
    }

    #[test]
    fn a_partition_bounds_ids_and_keeps_the_order_of_the_whole_search() {
        let since = Utc.with_ymd_and_hms(2024, 11, 29, 10, 44, 51).unwrap();
        let range = IdRange { from: Some(10_100), to: Some(10_200) };
        assert_eq!(
            partition_issues_jql("KAN", range, Some(since)),
            "project = \"KAN\" AND id >= 10100 AND id < 10200 AND updated >= 1732877091000 \
             ORDER BY updated ASC, id ASC"
        );
        let top = IdRange { from: Some(10_200), to: None };
        assert_eq!(
            partition_issues_jql("KAN", top, None),
            "project = \"KAN\" AND id >= 10200 ORDER BY updated ASC, id ASC"
        );
        assert!(top.contains(u64::MAX) && !top.contains(10_199) && range.contains(10_100));
    }

    #[test]
    fn a_re_read_by_id_names_the_project_and_numeric_ids_only() {
        let ids = [IssueId::parse("10001").unwrap(), IssueId::parse("10002").unwrap()];
        assert_eq!(
            issues_by_id_jql("KAN", &ids),
            "project = \"KAN\" AND id in (10001, 10002) ORDER BY id ASC"
        );
    }
}
