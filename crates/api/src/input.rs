//! Readers of untrusted input that name the field at fault.

use std::collections::HashMap;

use bytes::Bytes;
use clockwork_core::ApiError;
use http::Uri;
use serde_json::{Map, Value};

/// The query string's parameters; a repeated name keeps its first value.
#[derive(Debug, Default)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(uri: &Uri) -> Self {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        {
            params.entry(name.into_owned()).or_insert_with(|| value.into_owned());
        }
        Self(params)
    }

    /// A parameter's value; an empty one counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::bad_field(name, "is required"))
    }
}

/// A JSON object body.
#[derive(Debug)]
pub struct JsonBody(Map<String, Value>);

impl JsonBody {
    pub fn parse(body: &Bytes) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                http::StatusCode::BAD_REQUEST,
                "INVALID_JSON",
                "the request body must be a JSON object",
            ));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(ApiError::new(
                http::StatusCode::BAD_REQUEST,
                "INVALID_JSON",
                "the request body must be a JSON object",
            )),
            Err(e) => Err(ApiError::new(
                http::StatusCode::BAD_REQUEST,
                "INVALID_JSON",
                format!("the request body is not valid JSON: {e}"),
            )),
        }
    }

    /// The object itself, for bodies whose shape is someone else's (Jira's webhooks).
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    /// An optional string field; `null` counts as absent, any other type is an error.
    pub fn optional_str(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(ApiError::bad_field(
                name,
                format!("must be a string, not {}", type_name(other)),
            )),
        }
    }

    pub fn required_str(&self, name: &str) -> Result<&str, ApiError> {
        self.optional_str(name)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| ApiError::bad_field(name, "is required"))
    }

    /// An optional field that may be a string or a whole number (ids arrive as either). A
    /// whole number is one however it is written: JSON has one number type, so `7.0` and
    /// `7e0` are 7, as JSON Schema's `integer` reads them.
    pub fn optional_id(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => match whole_number(n) {
                Some(n) => Ok(Some(n.to_string())),
                None => Err(ApiError::bad_field(
                    name,
                    format!("must be a whole number of at least 0, not {n}"),
                )),
            },
            Some(other) => Err(ApiError::bad_field(
                name,
                format!("must be a string or a whole number, not {}", type_name(other)),
            )),
        }
    }
}

/// `n` as a whole number of at least 0, when it is one a JSON number holds exactly (2^53).
fn whole_number(n: &serde_json::Number) -> Option<u64> {
    const MAX_EXACT: f64 = 9_007_199_254_740_992.0;
    n.as_u64().or_else(|| {
        let n = n.as_f64()?;
        (n.fract() == 0.0 && (0.0..=MAX_EXACT).contains(&n)).then_some(n as u64)
    })
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_typed_fields_are_named() {
        let body = JsonBody::parse(&Bytes::from_static(br#"{"issueKey": 5}"#)).unwrap();
        let error = body.required_str("issueKey").unwrap_err();
        assert_eq!(error.message, "`issueKey` must be a string, not a number");
    }

    #[test]
    fn ids_are_whole_numbers_however_they_are_written() {
        let body = JsonBody::parse(&Bytes::from_static(
            br#"{"a": 10678.0, "b": 7e2, "c": 12, "d": -1, "e": 1.5, "f": "x"}"#,
        ))
        .unwrap();
        assert_eq!(body.optional_id("a").unwrap().as_deref(), Some("10678"));
        assert_eq!(body.optional_id("b").unwrap().as_deref(), Some("700"));
        assert_eq!(body.optional_id("c").unwrap().as_deref(), Some("12"));
        assert_eq!(body.optional_id("f").unwrap().as_deref(), Some("x"));
        for negative_or_fraction in ["d", "e"] {
            let error = body.optional_id(negative_or_fraction).unwrap_err();
            assert!(error.message.contains("whole number of at least 0"), "{}", error.message);
        }
    }

    #[test]
    fn non_object_bodies_are_rejected() {
        for body in [&b"[]"[..], b"\"x\"", b"{", b"", b"  "] {
            assert_eq!(
                JsonBody::parse(&Bytes::copy_from_slice(body)).unwrap_err().code,
                "INVALID_JSON"
            );
        }
    }

    #[test]
    fn query_values_are_decoded_and_first_wins() {
        let uri: Uri = "/x?userEmail=a%40b.com&date=1&date=2&empty=".parse().unwrap();
        let query = Query::parse(&uri);
        assert_eq!(query.get("userEmail"), Some("a@b.com"));
        assert_eq!(query.get("date"), Some("1"));
        assert_eq!(query.get("empty"), None);
    }
}
