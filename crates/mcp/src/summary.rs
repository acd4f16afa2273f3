//! The one-line texts a model reads, and the per-day totals of `get_worklogs`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

/// One day of a worklog range: what was logged on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    pub date: String,
    pub seconds: i64,
    /// `h:mm`.
    pub hours: String,
}

/// Seconds as `h:mm`, e.g. `5400` → `1:30`.
pub fn hours(seconds: i64) -> String {
    let minutes = seconds.max(0) / 60;
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// Every day from `from` to `to` with the seconds its worklogs log. A worklog's day is the
/// date it started on in its author's zone, as Clockwork reports `started`.
pub fn days(answer: &Value, from: NaiveDate, to: NaiveDate) -> Vec<Day> {
    let mut seconds: BTreeMap<NaiveDate, i64> =
        from.iter_days().take_while(|day| *day <= to).map(|day| (day, 0)).collect();
    for worklog in answer["worklogs"].as_array().into_iter().flatten() {
        let started = worklog["started"].as_str().unwrap_or_default();
        let day = started.get(..10).and_then(|date| date.parse::<NaiveDate>().ok());
        if let Some(total) = day.and_then(|day| seconds.get_mut(&day)) {
            *total += worklog["timeSpentSeconds"].as_i64().unwrap_or_default();
        }
    }
    seconds
        .into_iter()
        .map(|(date, seconds)| Day { date: date.to_string(), seconds, hours: hours(seconds) })
        .collect()
}

pub fn worklogs(answer: &Value, days: &[Day], from: NaiveDate, to: NaiveDate) -> String {
    let count = answer["worklogs"].as_array().map_or(0, Vec::len);
    let total = hours(answer["total"].as_i64().unwrap_or_default());
    let range = if from == to { from.to_string() } else { format!("{from} to {to}") };
    let logged: Vec<String> = days
        .iter()
        .filter(|day| day.seconds > 0)
        .map(|day| format!("{} {}", day.date, day.hours))
        .collect();
    let per_day =
        if logged.is_empty() { String::new() } else { format!(": {}", logged.join(", ")) };
    format!("{count} worklog(s) {range}, {total} in total{per_day}")
}

pub fn timers(answer: &Value) -> String {
    let timers = answer["timers"].as_array().map(Vec::as_slice).unwrap_or_default();
    if timers.is_empty() {
        return "No running timers.".to_owned();
    }
    let listed: Vec<String> = timers
        .iter()
        .map(|timer| {
            format!(
                "{} for {} ({} so far, timer {})",
                timer["issue"]["key"].as_str().unwrap_or("?"),
                timer["runningFor"].as_str().unwrap_or("?"),
                hours(timer["tillNow"].as_i64().unwrap_or_default()),
                timer["id"],
            )
        })
        .collect();
    format!("{} running timer(s): {}", timers.len(), listed.join("; "))
}

pub fn issues(answer: &Value) -> String {
    let issues = answer["issues"].as_array().map(Vec::as_slice).unwrap_or_default();
    if issues.is_empty() {
        return "No issues found.".to_owned();
    }
    let listed: Vec<String> = issues
        .iter()
        .map(|issue| {
            format!(
                "{} {} [{}]",
                issue["key"].as_str().unwrap_or("?"),
                issue["summary"].as_str().unwrap_or_default(),
                issue["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    format!("{} issue(s): {}", issues.len(), listed.join("; "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn date(raw: &str) -> NaiveDate {
        raw.parse().expect("date")
    }

    #[test]
    fn hours_are_whole_minutes_as_h_mm() {
        assert_eq!(hours(0), "0:00");
        assert_eq!(hours(5_400), "1:30");
        assert_eq!(hours(36_059), "10:00");
    }

    #[test]
    fn every_day_of_the_range_is_totalled_by_the_day_its_worklogs_started() {
        let answer = json!({ "worklogs": [
            { "started": "2026-01-05T09:00:00.000+0700", "timeSpentSeconds": 3600 },
            { "started": "2026-01-05T23:30:00.000-0500", "timeSpentSeconds": 1800 },
            { "started": "2026-01-07T08:00:00.000+0000", "timeSpentSeconds": 600 },
        ]});
        let days = days(&answer, date("2026-01-05"), date("2026-01-07"));
        let totals: Vec<(&str, i64, &str)> =
            days.iter().map(|d| (d.date.as_str(), d.seconds, d.hours.as_str())).collect();
        assert_eq!(
            totals,
            [("2026-01-05", 5400, "1:30"), ("2026-01-06", 0, "0:00"), ("2026-01-07", 600, "0:10")]
        );
    }
}
