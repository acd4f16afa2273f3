//! JQL the sync sends. Times are epoch milliseconds: Jira reads a zone-less date such as
//! `"2026-02-10 09:00"` in the timezone of the account that searches, so a UTC-formatted
//! cursor skips updates (or re-reads them) whenever that account is not in UTC.

use chrono::{DateTime, Utc};

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
}
