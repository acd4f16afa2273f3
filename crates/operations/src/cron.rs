//! Standard 5-field cron expressions (minute hour day-of-month month day-of-week), in UTC.

use std::fmt;

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds, Year};

const FIELDS: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];

/// A parsed cron; it keeps the text it was written as.
#[derive(Clone)]
pub struct Schedule {
    cron: croner::Cron,
    text: String,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Schedule").field(&self.text).finish()
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

/// Why a cron was refused, naming the field at fault when one is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CronError {
    /// `minute`, `hour`, `day-of-month`, `month` or `day-of-week`.
    pub field: Option<&'static str>,
    pub message: String,
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Self, CronError> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != FIELDS.len() {
            return Err(CronError {
                field: None,
                message: format!(
                    "{text:?} has {} field(s); a cron has 5, separated by spaces: minute hour \
                     day-of-month month day-of-week (e.g. \"*/15 * * * *\")",
                    fields.len()
                ),
            });
        }
        let parser = parser();
        // Each field alone against wildcards, so the error names the one at fault.
        for (index, (name, value)) in FIELDS.iter().zip(&fields).enumerate() {
            let mut alone = ["*"; 5];
            alone[index] = value;
            if let Err(error) = parser.parse(&alone.join(" ")) {
                return Err(CronError {
                    field: Some(name),
                    message: format!("the {name} field {value:?} of {text:?} is invalid: {error}"),
                });
            }
        }
        let text = fields.join(" ");
        let cron = parser
            .parse(&text)
            .map_err(|error| CronError { field: None, message: format!("{text:?}: {error}") })?;
        Ok(Self { cron, text })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first firing strictly after `after_ms` (epoch ms), if the cron ever fires again.
    pub fn next_after_ms(&self, after_ms: i64) -> Option<i64> {
        let after = DateTime::<Utc>::from_timestamp_millis(after_ms)?;
        let next = self.cron.find_next_occurrence(&after, false).ok()?;
        Some(next.timestamp_millis())
    }
}

fn parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;
    /// 2026-12-03T10:07:30Z.
    const NOW: i64 = 1_796_292_450_000;

    #[test]
    fn next_runs_follow_the_cron_in_utc() {
        let every_quarter = Schedule::parse("*/15 * * * *").unwrap();
        let next = every_quarter.next_after_ms(NOW).unwrap();
        assert_eq!(
            DateTime::from_timestamp_millis(next).unwrap().to_rfc3339(),
            "2026-12-03T10:15:00+00:00"
        );
        assert_eq!(every_quarter.next_after_ms(next), Some(next + 15 * MINUTE), "strictly after");
        let daily = Schedule::parse("0 0 * * *").unwrap();
        let next = daily.next_after_ms(NOW).unwrap();
        assert_eq!(
            DateTime::from_timestamp_millis(next).unwrap().to_rfc3339(),
            "2026-12-04T00:00:00+00:00"
        );
    }

    #[test]
    fn a_bad_field_is_named() {
        let error = Schedule::parse("0 25 * * *").unwrap_err();
        assert_eq!(error.field, Some("hour"), "{error}");
        assert!(error.message.contains("\"25\""), "{error}");
        assert_eq!(Schedule::parse("*/15 * * 13 *").unwrap_err().field, Some("month"));
        assert_eq!(Schedule::parse("x * * * *").unwrap_err().field, Some("minute"));
    }

    #[test]
    fn only_five_fields_are_a_cron() {
        for text in ["", "* * * *", "0 */15 * * * *", "@hourly"] {
            let error = Schedule::parse(text).unwrap_err();
            assert_eq!(error.field, None, "{text:?}");
            assert!(error.message.contains("a cron has 5"), "{error}");
        }
    }
}
