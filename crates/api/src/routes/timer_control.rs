//! `POST /api/timers/start` and `POST /api/timers/stop`, acting as the token's user.

use std::time::Duration;

use bytes::Bytes;
use clockwork_cache::json::{get_json, mget_json, to_json};
use clockwork_cache::{CacheError, Write};
use clockwork_core::contract::{CachedTimers, keys};
use clockwork_core::{AccountId, ApiError, Email, IssueKey, UserRef};
use http::{Request, Response, StatusCode};
use secrecy::SecretString;
use serde_json::json;

use crate::App;
use crate::auth::{Caller, Subject};
use crate::input::JsonBody;
use crate::router::json as json_answer;
use crate::routes::sync::request_timer_sync;
use crate::upstream::{Service, to_api_error};

const CLOCKWORK_TOKEN_HEADER: &str = "x-clockwork-token";
/// A timer's comment at most, in characters (not bytes: a comment in Vietnamese counts the same).
const MAX_COMMENT_CHARS: usize = 10_000;

/// The caller's own Clockwork token when sent, else the configured one.
pub fn clockwork_token(app: &App, request: &Request<Bytes>) -> Result<SecretString, ApiError> {
    let sent = request
        .headers()
        .get(CLOCKWORK_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match (sent, &app.clockwork_token) {
        (Some(token), _) => Ok(SecretString::from(token.to_owned())),
        (None, Some(token)) => Ok(token.clone()),
        (None, None) => Err(ApiError::unauthorized(
            "CLOCKWORK_TOKEN_MISSING",
            "send your Clockwork API token in X-Clockwork-Token (no server-wide token is set)",
        )),
    }
}

fn issue_key(body: &JsonBody) -> Result<IssueKey, ApiError> {
    IssueKey::parse(body.required_str("issueKey")?).map_err(|e| ApiError::bad_field("issueKey", e))
}

pub async fn start(
    app: &App,
    _caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let body = JsonBody::parse(request.body())?;
    let issue = issue_key(&body)?;
    let comment = body.optional_str("comment")?;
    if comment.is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        return Err(ApiError::bad_field(
            "comment",
            format!("must be at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    let token = clockwork_token(app, request)?;
    let messages = app
        .clockwork
        .start_timer(&token, &issue, comment)
        .await
        .map_err(|e| to_api_error(Service::Clockwork, e))?;
    let mut answer = json!({ "status": "started", "issueKey": issue, "messages": messages });
    sync_after_change(app, &mut answer).await;
    Ok(json_answer(StatusCode::OK, &answer))
}

pub async fn stop(
    app: &App,
    caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let body = JsonBody::parse(request.body())?;
    let issue = issue_key(&body)?;
    let timer_id = body
        .optional_id("timerId")?
        .map(|id| {
            id.parse::<u64>().map_err(|_| ApiError::bad_field("timerId", "must be a whole number"))
        })
        .transpose()?;
    let account = body.optional_str("accountId")?;
    // Whose cached timers to forget; a trusted caller naming nobody leaves it to the sync.
    let owner = match (caller, account) {
        (Caller::Trusted, None) => None,
        _ => match caller.subject(account, None)? {
            Subject::User(UserRef::Account(id)) => Some(id),
            Subject::User(UserRef::Email(_)) | Subject::All => {
                return Err(ApiError::bad_field("accountId", "must name one user"));
            }
        },
    };
    let token = clockwork_token(app, request)?;
    let messages = app
        .clockwork
        .stop_timer(&token, &issue)
        .await
        .map_err(|e| to_api_error(Service::Clockwork, e))?;
    if let Some(owner) = &owner
        && let Err(error) = forget_stopped(app, owner, caller.email(), &issue, timer_id).await
    {
        tracing::warn!(%error, "stopped, but the cached timers could not be updated; the sync will");
    }
    let mut answer = json!({ "status": "stopped", "issueKey": issue, "messages": messages });
    sync_after_change(app, &mut answer).await;
    Ok(json_answer(StatusCode::OK, &answer))
}

/// The timer changed upstream: ask for a sync so the cache catches up, and say in the
/// answer whether it is on its way (`syncRunId`) or the refresh waits for the next scheduled
/// sync (`refresh: "delayed"` with a notice). Best effort: the user's action already
/// succeeded, so a queue or cache failure never fails it.
async fn sync_after_change(app: &App, answer: &mut serde_json::Value) {
    match request_timer_sync(app).await {
        Ok(run_id) => {
            answer["syncRunId"] = json!(run_id);
            answer["refresh"] = json!("queued");
        }
        Err(error) => {
            tracing::warn!(%error, "could not enqueue a timer sync");
            answer["syncRunId"] = serde_json::Value::Null;
            answer["refresh"] = json!("delayed");
            answer["notice"] = json!(
                "the change is made; the running-timer list refreshes at the next scheduled \
                 sync, as the sync could not be requested now"
            );
        }
    }
}

/// Removes the stopped timer from every cached view at once: the user's account and email
/// keys, `clockwork:timers:all`, and `clockwork:active_users` when nothing of theirs is left.
async fn forget_stopped(
    app: &App,
    owner: &AccountId,
    email: Option<&Email>,
    issue: &IssueKey,
    timer_id: Option<u64>,
) -> Result<(), CacheError> {
    let account_key = keys::timers(owner.as_str());
    let own = get_json::<CachedTimers>(&*app.cache, &account_key).await?;
    let own_timers = own.into_iter().flat_map(|entry| entry.timers);
    let mut emails: Vec<String> = own_timers
        .filter_map(|t| t.author.and_then(|a| a.email_address))
        .filter_map(|e| Email::parse(&e).ok().map(|e| e.to_string()))
        .collect();
    emails.extend(email.map(ToString::to_string));
    emails.sort();
    emails.dedup();

    let mut entry_keys = vec![account_key, keys::TIMERS_ALL.to_owned()];
    entry_keys.extend(emails.iter().map(|e| keys::timers(e)));
    let entries = mget_json::<CachedTimers>(&*app.cache, &entry_keys).await?;

    let stopped = |t: &clockwork_core::contract::Timer| {
        t.running_for == owner.as_str()
            && timer_id.map_or(t.issue.key == issue.as_str(), |id| t.id == id)
    };
    let ttl = Some(Duration::from_secs(keys::TIMERS_TTL_SECS));
    let mut writes = Vec::new();
    let mut owner_has_timers = false;
    for (key, entry) in entry_keys.iter().zip(entries) {
        let Some(mut entry) = entry else { continue };
        let before = entry.timers.len();
        entry.timers.retain(|t| !stopped(t));
        if key != keys::TIMERS_ALL {
            owner_has_timers |= entry.timers.iter().any(|t| t.running_for == owner.as_str());
        }
        if entry.timers.len() == before {
            continue;
        }
        writes.push(if entry.timers.is_empty() && key != keys::TIMERS_ALL {
            Write::Del { keys: vec![key.clone()] }
        } else {
            Write::Set { key: key.clone(), value: to_json(&entry)?, ttl }
        });
    }
    if !owner_has_timers {
        writes.push(Write::RemoveMembers {
            key: keys::ACTIVE_USERS.to_owned(),
            members: vec![owner.to_string()],
        });
    }
    app.cache.atomic(&writes).await
}
