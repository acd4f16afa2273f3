//! JQL the sync sends. Times are epoch milliseconds: Jira reads a zone-less date such as
//! `"2026-02-10 09:00"` in the timezone of the account that searches, so a UTC-formatted
//! cursor skips updates (or re-reads them) whenever that account is not in UTC.

use chrono::{DateTime, Utc};
use clockwork_core::IssueId;

/// A project's issues updated at or after `updated_since` (all of them without one), oldest
/// first with ties broken by id, so that the last issue seen is a safe next cursor.
pub fn project_issues_jql(project_key: &str, updated_since: Option<DateTime<Utc>>) -> String {
    let project = quote(project_key);
    match updated_since {
        Some(since) => format!(
            "project = {project} AND updated >= {} ORDER BY updated ASC, id ASC",
            since.timestamp_millis()
        ),
        None => format!("project = {project} ORDER BY updated ASC, id ASC"),
    }
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
    fn a_re_read_by_id_names_the_project_and_numeric_ids_only() {
        let ids = [IssueId::parse("10001").unwrap(), IssueId::parse("10002").unwrap()];
        assert_eq!(
            issues_by_id_jql("KAN", &ids),
            "project = \"KAN\" AND id in (10001, 10002) ORDER BY id ASC"
        );
    }
}
