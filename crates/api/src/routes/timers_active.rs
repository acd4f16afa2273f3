//! `GET /api/timers/active?accountId=…|userEmail=…`: the cached running timers.

use bytes::Bytes;
use clockwork_core::ApiError;
use clockwork_core::contract::keys;
use http::{Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::App;
use crate::auth::{Caller, Subject};
use crate::input::Query;
use crate::router::{json, raw_json};
use crate::upstream::cache_error;

/// The cached value, with the timers kept as raw JSON: this is the hottest route and the
/// timers are passed through as the worker wrote them, never parsed one by one.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedRaw<'a> {
    #[serde(borrow)]
    timers: &'a RawValue,
    cached_at: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    timers: &'a RawValue,
    cached_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_email: Option<&'a str>,
}

/// Whom the answer names: `accountId` (also `"all"`) or `userEmail`.
#[derive(Clone, Copy)]
enum Named<'a> {
    AccountId(&'a str),
    UserEmail(&'a str),
}

pub async fn handle(
    app: &App,
    caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let query = Query::parse(request.uri());
    let subject = caller.subject(query.get("accountId"), query.get("userEmail"))?;
    let (key, suffix, named) = match &subject {
        Subject::All => (keys::TIMERS_ALL.to_owned(), "all", Named::AccountId("all")),
        Subject::User(user) => {
            let named = match user {
                clockwork_core::UserRef::Account(id) => Named::AccountId(id.as_str()),
                clockwork_core::UserRef::Email(email) => Named::UserEmail(email.as_str()),
            };
            (keys::timers(user.cache_suffix()), user.cache_suffix(), named)
        }
    };
    let raw = app.cache.get(&key).await.map_err(cache_error)?;
    if let Some(body) = raw.as_deref().and_then(|value| splice(value, suffix, named)) {
        return Ok(raw_json(body));
    }
    let empty = RawValue::from_string("[]".to_owned()).map_err(|_| unreadable())?;
    let cached = match raw.as_deref().map(serde_json::from_str::<CachedRaw<'_>>) {
        Some(Ok(cached)) => Some(cached),
        Some(Err(error)) => {
            tracing::warn!(key, %error, "ignoring unreadable cached timers");
            None
        }
        None => None,
    };
    let (account_id, user_email) = match named {
        Named::AccountId(id) => (Some(id), None),
        Named::UserEmail(email) => (None, Some(email)),
    };
    let answer = match &cached {
        Some(cached) => Answer {
            timers: cached.timers,
            cached_at: cached.cached_at.clone(),
            account_id,
            user_email,
        },
        None => Answer { timers: &empty, cached_at: None, account_id, user_email },
    };
    Ok(json(StatusCode::OK, &answer))
}

/// The answer made from the value as the worker writes it, `{"timers":[…],"cachedAt":"…",
/// "userKey":"<suffix>"}`, by replacing its last member with the subject the caller named:
/// byte comparisons only, the timers are copied as they are. `None` for a value of any
/// other shape, which the caller then reads the slow way.
fn splice(value: &str, suffix: &str, named: Named<'_>) -> Option<Vec<u8>> {
    const USER_KEY: &str = ",\"userKey\":";
    if !value.starts_with("{\"timers\":") {
        return None;
    }
    let expected_tail = format!("{USER_KEY}{}}}", serde_json::to_string(suffix).ok()?);
    let head = value.strip_suffix(expected_tail.as_str())?;
    let (name, subject) = match named {
        Named::AccountId(id) => ("accountId", id),
        Named::UserEmail(email) => ("userEmail", email),
    };
    let subject = serde_json::to_string(subject).ok()?;
    let mut body = Vec::with_capacity(head.len() + name.len() + subject.len() + 5);
    body.extend_from_slice(head.as_bytes());
    body.extend_from_slice(b",\"");
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(b"\":");
    body.extend_from_slice(subject.as_bytes());
    body.push(b'}');
    Some(body)
}

fn unreadable() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "could not build the answer")
}

#[cfg(test)]
mod tests {
    use clockwork_core::contract::{ActiveTimersResponse, CachedTimers};
    use serde_json::json;

    use super::{Named, splice};

    fn worker_value(user_key: &str) -> String {
        let timers = serde_json::from_value(json!([{
            "id": 7, "startedAt": "2026-12-03T09:00:00.000Z", "finishedAt": null,
            "comment": "a \"quoted\" }, note", "runningFor": "acc-1", "tillNow": 60,
            "worklogCount": 0, "issue": { "key": "KAN-1", "id": 10001 }
        }]))
        .expect("a timer");
        serde_json::to_string(&CachedTimers {
            timers,
            cached_at: "2026-12-03T09:01:00.000Z".to_owned(),
            user_key: user_key.to_owned(),
        })
        .expect("serializable")
    }

    #[test]
    fn the_workers_value_is_answered_as_it_is_with_the_callers_subject() {
        let value = worker_value("ann@example.com");
        let body = splice(&value, "ann@example.com", Named::UserEmail("ann@example.com"))
            .expect("the worker's shape is spliced");
        let answer: ActiveTimersResponse = serde_json::from_slice(&body).expect("valid JSON");
        let cached: CachedTimers = serde_json::from_str(&value).expect("valid JSON");
        assert_eq!(answer.timers, cached.timers);
        assert_eq!(answer.cached_at.as_deref(), Some("2026-12-03T09:01:00.000Z"));
        assert_eq!(answer.user_email.as_deref(), Some("ann@example.com"));
        assert_eq!(answer.account_id, None);
        let raw: serde_json::Value = serde_json::from_slice(&body).expect("valid JSON");
        assert!(raw.get("userKey").is_none(), "the cache's own member is not answered: {raw}");
    }

    #[test]
    fn a_value_of_another_shape_or_user_is_left_to_the_slow_path() {
        let value = worker_value("acc-1");
        assert!(splice(&value, "acc-2", Named::AccountId("acc-2")).is_none());
        let reordered = r#"{"cachedAt":"x","timers":[],"userKey":"acc-1"}"#;
        assert!(splice(reordered, "acc-1", Named::AccountId("acc-1")).is_none());
        assert!(splice(&value[..value.len() - 1], "acc-1", Named::AccountId("acc-1")).is_none());
    }
}
