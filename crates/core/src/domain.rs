//! Newtypes that parse untrusted input once, so nothing malformed reaches a URL or a key.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

/// Why a value was rejected; the route names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn reject(message: impl Into<String>) -> ParseError {
    ParseError(message.into())
}

/// A Jira issue key such as `KAN-9`: a project key (a letter, then letters, digits or
/// underscores), a dash, a number. Lowercase input is uppercased; anything else, such as
/// `../`, `%2F` or spaces, is rejected before it can reach a URL path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IssueKey(String);

impl IssueKey {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let key = input.trim().to_ascii_uppercase();
        let problem = || reject(format!("must be a Jira issue key such as KAN-9, got {input:?}"));
        let (project, number) = key.split_once('-').ok_or_else(problem)?;
        let project_ok = is_project_key(project);
        let number_ok =
            !number.is_empty() && number.len() <= 18 && number.bytes().all(|b| b.is_ascii_digit());
        if !project_ok || !number_ok || key.len() > 64 {
            return Err(problem());
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The project part, `KAN` of `KAN-9`.
    pub fn project(&self) -> &str {
        self.0.split_once('-').map_or(&self.0, |(project, _)| project)
    }
}

/// A letter, then letters, digits or underscores; two characters at least.
fn is_project_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && (2..=64).contains(&key.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// A Jira project key such as `KAN`; lowercase input is uppercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ProjectKey(String);

impl ProjectKey {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let key = input.trim().to_ascii_uppercase();
        if !is_project_key(&key) {
            return Err(reject(format!("must be a Jira project key such as KAN, got {input:?}")));
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Jira issue's numeric id, such as `10009`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IssueId(String);

impl IssueId {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let id = input.trim();
        if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(reject(format!("must be a numeric Jira issue id, got {input:?}")));
        }
        Ok(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An Atlassian account id (`5b10ac8d82e05b22cc7d4ef5` or `557058:f58131cb-…`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let id = input.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_');
        if id.is_empty() || id.len() > 128 || !id.chars().all(allowed) {
            return Err(reject(format!("must be an Atlassian account id, got {input:?}")));
        }
        Ok(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, lowercased: cache keys and matching treat emails case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let email = input.trim().to_lowercase();
        let problem = || reject(format!("must be an email address, got {input:?}"));
        let (local, domain) = email.split_once('@').ok_or_else(problem)?;
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/');
        if !valid {
            return Err(problem());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who a request is about: a user named by account id or by email.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    Account(AccountId),
    Email(Email),
}

impl UserRef {
    /// The suffix of the user's `clockwork:timers:` cache key.
    pub fn cache_suffix(&self) -> &str {
        match self {
            Self::Account(id) => id.as_str(),
            Self::Email(email) => email.as_str(),
        }
    }
}

/// An inclusive range of calendar days, at most [`DateRange::MAX_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl DateRange {
    pub const MAX_DAYS: i64 = 31;

    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, ParseError> {
        if to < from {
            return Err(reject(format!("must not be before the start date {from}")));
        }
        let days = (to - from).num_days() + 1;
        if days > Self::MAX_DAYS {
            return Err(reject(format!(
                "makes a range of {days} days; at most {} are allowed",
                Self::MAX_DAYS
            )));
        }
        Ok(Self { from, to })
    }
}

/// Parses a calendar day written `YYYY-MM-DD`.
pub fn parse_date(input: &str) -> Result<NaiveDate, ParseError> {
    let valid_shape = input.len() == 10
        && input.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    valid_shape
        .then(|| NaiveDate::parse_from_str(input, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| reject(format!("must be a date written YYYY-MM-DD, got {input:?}")))
}

macro_rules! display_and_deserialize {
    ($($ty:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

display_and_deserialize!(IssueKey, IssueId, AccountId, Email);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_keys_are_uppercased() {
        assert_eq!(IssueKey::parse("kan-9").unwrap().as_str(), "KAN-9");
        assert_eq!(IssueKey::parse("AB_2-100").unwrap().project(), "AB_2");
    }

    #[test]
    fn issue_keys_that_could_escape_a_url_are_rejected() {
        for bad in [
            "../KAN-9",
            "KAN-9/..",
            "KAN%2F9",
            "KAN-9 ",
            "KAN -9",
            "KAN-",
            "-9",
            "9AB-1",
            "K-1",
            "KAN-9?x=1",
            "KAN-9#",
            "KAN-1-2",
            "",
            "KAN-9\n",
            "KÄN-9",
        ] {
            let trimmed_ok = bad == "KAN-9 " || bad == "KAN-9\n";
            assert_eq!(IssueKey::parse(bad).is_ok(), trimmed_ok, "{bad:?}");
        }
    }

    #[test]
    fn account_ids_accept_both_atlassian_shapes() {
        assert!(AccountId::parse("5b10ac8d82e05b22cc7d4ef5").is_ok());
        assert!(AccountId::parse("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077").is_ok());
        for bad in ["", "a/b", "a b", "../x", &"x".repeat(129)] {
            assert!(AccountId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(Email::parse("Ann@Example.COM").unwrap().as_str(), "ann@example.com");
        for bad in ["", "ann", "ann@", "@example.com", "ann@example", "a b@example.com", "a@b@c.d"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates_must_be_real_calendar_days() {
        assert!(parse_date("2026-02-28").is_ok());
        for bad in ["2026-02-30", "2026-2-1", "20260201", "2026-02-01T00:00", "tomorrow", ""] {
            assert!(parse_date(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ranges_are_ordered_and_at_most_31_days() {
        let day = |s| parse_date(s).unwrap();
        assert!(DateRange::new(day("2026-01-01"), day("2026-01-31")).is_ok());
        assert!(DateRange::new(day("2026-01-01"), day("2026-02-01")).is_err());
        assert!(DateRange::new(day("2026-01-02"), day("2026-01-01")).is_err());
    }
}
