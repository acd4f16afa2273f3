//! `DateTime` (RFC 3339 in UTC, to the millisecond) over the store's epoch milliseconds,
//! and the opaque keyset cursor of issue pages.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{SecondsFormat, Utc};
use clockwork_store::IssueKeyset;

/// An instant, as epoch milliseconds inside and RFC 3339 UTC outside
/// (`2025-01-31T09:00:00.000Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub i64);

/// An RFC 3339 date-time in UTC, e.g. `2025-01-31T09:00:00.000Z`; inputs may carry any offset.
#[Scalar(name = "DateTime", specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        chrono::DateTime::parse_from_rfc3339(text).map(|at| Self(at.timestamp_millis())).map_err(
            |error| {
                InputValueError::custom(format!(
                    "{text:?} is not an RFC 3339 date-time such as 2025-01-31T09:00:00Z: {error}"
                ))
            },
        )
    }

    fn to_value(&self) -> Value {
        let text = chrono::DateTime::<Utc>::from_timestamp_millis(self.0)
            .unwrap_or_default()
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        Value::String(text)
    }
}

pub fn at(ms: i64) -> DateTime {
    DateTime(ms)
}

pub fn at_opt(ms: Option<i64>) -> Option<DateTime> {
    ms.map(DateTime)
}

/// The cursor of the issue at `keyset`: opaque to clients, stable across requests.
pub fn encode_cursor(keyset: &IssueKeyset) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", keyset.updated_ms, keyset.id))
}

/// Reads back a cursor this API handed out; `None` for anything else.
pub fn decode_cursor(cursor: &str) -> Option<IssueKeyset> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (updated_ms, id) = text.split_once(':')?;
    if id.is_empty() {
        return None;
    }
    Some(IssueKeyset { updated_ms: updated_ms.parse().ok()?, id: id.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let keyset = IssueKeyset { updated_ms: 1_700_000_000_123, id: "10042".into() };
        assert_eq!(decode_cursor(&encode_cursor(&keyset)), Some(keyset));
        for garbage in ["", "!!", "bm9jb2xvbg", "MTIzOg", "eDox"] {
            assert_eq!(decode_cursor(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn date_times_are_rfc3339_utc_with_milliseconds() {
        assert_eq!(
            DateTime(1_700_000_000_123).to_value(),
            Value::String("2023-11-14T22:13:20.123Z".into())
        );
        let parsed = DateTime::parse(Value::String("2023-11-14T23:13:20.123+01:00".into()));
        assert_eq!(parsed.ok(), Some(DateTime(1_700_000_000_123)));
        assert!(DateTime::parse(Value::String("yesterday".into())).is_err());
    }
}
