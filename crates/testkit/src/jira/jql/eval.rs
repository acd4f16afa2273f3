//! Matching issues against a parsed query, and ordering them.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::{Expr, Field, Query, words};
use crate::jira::model::StatusCategory;
use crate::jira::{FakeIssue, FakeProject};

/// What a query can ask about an issue.
pub(in crate::jira) trait Subject {
    fn issue(&self) -> &FakeIssue;
    fn project(&self) -> Option<&FakeProject>;
    fn has_worklog_by(&self, account_id: &str) -> bool;
    /// The bodies of the issue's comments.
    fn comment_bodies(&self) -> Vec<&str>;
}

/// Epoch milliseconds, or a zone-less date read in `zone`.
pub(super) fn parse_date(value: &str, zone: Tz) -> Option<DateTime<Utc>> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return DateTime::from_timestamp_millis(value.parse().ok()?);
    }
    let naive = ["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d"]
                .iter()
                .find_map(|format| NaiveDate::parse_from_str(value, format).ok())
                .map(|date| date.and_time(NaiveTime::MIN))
        })?;
    // A wall time skipped by a DST change means the first instant after the gap.
    zone.from_local_datetime(&naive)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(naive + TimeDelta::hours(1))).earliest())
        .map(|time| time.with_timezone(&Utc))
}

impl Query {
    pub(in crate::jira) fn matches(&self, subject: &impl Subject) -> bool {
        self.filter.matches(subject)
    }

    pub(in crate::jira) fn compare(&self, a: &FakeIssue, b: &FakeIssue) -> Ordering {
        self.order
            .iter()
            .map(|&(field, descending)| {
                let ordering = field.compare(a, b);
                if descending { ordering.reverse() } else { ordering }
            })
            .find(|ordering| ordering.is_ne())
            .unwrap_or_else(|| Field::Id.compare(a, b))
    }
}

impl Expr {
    fn matches(&self, subject: &impl Subject) -> bool {
        let issue = subject.issue();
        match self {
            Self::Or(terms) => terms.iter().any(|t| t.matches(subject)),
            Self::And(terms) => terms.iter().all(|t| t.matches(subject)),
            Self::Id(ids) => ids.iter().any(|id| id.trim() == issue.id),
            Self::IdCompare { cmp, or_equal, id } => issue.id.parse::<u64>().is_ok_and(|own| {
                let ordering = own.cmp(id);
                ordering == *cmp || (*or_equal && ordering.is_eq())
            }),
            Self::Key(keys) => keys.iter().any(|key| key.eq_ignore_ascii_case(&issue.key)),
            Self::Project(values) => values.iter().any(|value| {
                value.eq_ignore_ascii_case(&issue.project_key)
                    || subject
                        .project()
                        .is_some_and(|p| p.id == *value || p.name.eq_ignore_ascii_case(value))
            }),
            Self::Assignee(ids) => issue.assignee.as_ref().is_some_and(|a| ids.contains(a)),
            Self::WorklogAuthor(ids) => ids.iter().any(|id| subject.has_worklog_by(id)),
            Self::Status(names) => {
                names.iter().any(|name| name.eq_ignore_ascii_case(&issue.status))
            }
            Self::StatusCategory(values) => {
                let category = StatusCategory::of(&issue.status);
                values.iter().any(|value| category.is_named(value))
            }
            Self::Contains { words: wanted, comments } => {
                let mut found = words(&issue.summary);
                if *comments {
                    found.extend(subject.comment_bodies().into_iter().flat_map(words));
                }
                wanted.iter().all(|w| found.iter().any(|f| f.starts_with(w.as_str())))
            }
            Self::Date { field, cmp, or_equal, at } => {
                let time = if *field == Field::Created { issue.created } else { issue.updated };
                let ordering = time.cmp(at);
                ordering == *cmp || (*or_equal && ordering.is_eq())
            }
        }
    }
}

impl Field {
    fn compare(self, a: &FakeIssue, b: &FakeIssue) -> Ordering {
        match self {
            Self::Id => numeric_order(&a.id, &b.id),
            Self::Key => {
                let split =
                    |key: &str| key.rsplit_once('-').map(|(p, n)| (p.to_owned(), n.to_owned()));
                match (split(&a.key), split(&b.key)) {
                    (Some((pa, na)), Some((pb, nb))) => {
                        pa.cmp(&pb).then_with(|| numeric_order(&na, &nb))
                    }
                    _ => a.key.cmp(&b.key),
                }
            }
            Self::Created => a.created.cmp(&b.created),
            Self::Updated => a.updated.cmp(&b.updated),
        }
    }
}

/// Numbers by value (`9` before `10`), anything else as text.
fn numeric_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    }
}
