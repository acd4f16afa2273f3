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
use crate::router::json;
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

pub async fn handle(
    app: &App,
    caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let query = Query::parse(request.uri());
    let subject = caller.subject(query.get("accountId"), query.get("userEmail"))?;
    let (key, account_id, user_email) = match &subject {
        Subject::All => (keys::TIMERS_ALL.to_owned(), Some("all"), None),
        Subject::User(user) => {
            let key = keys::timers(user.cache_suffix());
            match user {
                clockwork_core::UserRef::Account(id) => (key, Some(id.as_str()), None),
                clockwork_core::UserRef::Email(email) => (key, None, Some(email.as_str())),
            }
        }
    };
    let raw = app.cache.get(&key).await.map_err(cache_error)?;
    let empty = RawValue::from_string("[]".to_owned()).map_err(|_| unreadable())?;
    let cached = match raw.as_deref().map(serde_json::from_str::<CachedRaw<'_>>) {
        Some(Ok(cached)) => Some(cached),
        Some(Err(error)) => {
            tracing::warn!(key, %error, "ignoring unreadable cached timers");
            None
        }
        None => None,
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

fn unreadable() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "could not build the answer")
}
