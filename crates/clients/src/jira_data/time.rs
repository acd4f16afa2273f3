//! Jira's timestamps: `2026-02-10T09:00:00.000+0700` in REST v3 (the offset of the account's
//! zone, without a colon), and ISO 8601 with a colon or `Z` in the Agile API and sprint fields.

use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

/// REST v3's format, its items parsed once: a sync reads some twenty timestamps an issue.
static REST_V3: LazyLock<Vec<Item<'static>>> =
    LazyLock::new(|| StrftimeItems::new("%Y-%m-%dT%H:%M:%S%.f%z").collect());

/// Any of Jira's timestamp formats, as UTC.
pub(crate) fn parse(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    let rest_v3 = || {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, raw, REST_V3.iter()).ok()?;
        parsed.to_datetime().ok()
    };
    let rfc3339 = || DateTime::parse_from_rfc3339(raw).ok();
    rest_v3().or_else(rfc3339).map(|time| time.with_timezone(&Utc))
}

/// Serde: an optional timestamp; null, absent or empty is `None`, an unreadable one an error.
pub(crate) fn optional<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    from_text(Option::deserialize(deserializer)?)
}

/// An optional timestamp's text read: empty is `None`, an unreadable one an error.
pub(crate) fn from_text<E: serde::de::Error>(
    raw: Option<String>,
) -> Result<Option<DateTime<Utc>>, E> {
    raw.filter(|raw| !raw.trim().is_empty())
        .map(|raw| parse(&raw).ok_or_else(|| E::custom(format!("unreadable time {raw:?}"))))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_jira_format_reads_as_the_same_instant() {
        let expected = parse("2026-02-10T02:00:00Z").unwrap();
        for raw in [
            "2026-02-10T09:00:00.000+0700",
            "2026-02-10T09:00:00+0700",
            "2026-02-10T09:00:00.000+07:00",
            "2026-02-10T02:00:00.000Z",
            "2026-02-09T18:00:00.000-0800",
        ] {
            assert_eq!(parse(raw), Some(expected), "{raw}");
        }
        assert_eq!(parse("2026-02-10 09:00"), None);
    }
}
