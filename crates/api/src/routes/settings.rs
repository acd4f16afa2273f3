//! `POST /api/settings/validate` `{ accountId, clockworkApiToken }`: whether the client's
//! settings work, checked against Clockwork (the token) and Jira (the account).
//!
//! A check that fails is a 200 `{ valid: false, error, message, field }`; only a malformed
//! body is a 400. The token is never echoed, and each caller may check at most
//! [`CHECKS_PER_WINDOW`] times a minute, against token guessing.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use clockwork_clients::ClientError;
use clockwork_core::{AccountId, ApiError, DateRange, UserRef};
use http::{Request, Response, StatusCode, header};
use secrecy::SecretString;
use serde_json::json;

use crate::App;
use crate::auth::{Caller, Subject};
use crate::input::JsonBody;
use crate::router::json as json_answer;
use crate::routes::users::UserAnswer;
use crate::upstream::{Service, cache_error, to_api_error};

pub const CHECKS_PER_WINDOW: u64 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);

pub async fn validate(
    app: &App,
    caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    if let Some(refusal) = rate_limited(app, caller).await? {
        return Ok(refusal);
    }
    let body = JsonBody::parse(request.body())?;
    let account = body.required_str("accountId")?;
    let token = SecretString::from(body.required_str("clockworkApiToken")?.trim().to_owned());
    let account = match AccountId::parse(account) {
        Ok(account) => account,
        Err(problem) => return Ok(invalid("accountId", "ACCOUNT_ID_INVALID", problem.to_string())),
    };
    // A user checks their own settings; an admin (or a private deployment) anyone's.
    if let Subject::All = caller.subject(Some(account.as_str()), None)? {
        return Err(ApiError::bad_field("accountId", "must name one user"));
    }
    // A one-day worklog read of the account: the cheapest call Clockwork authorises.
    let today = Utc::now().date_naive();
    let range = DateRange::new(today, today).map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", format!("today: {e}"))
    })?;
    let user = UserRef::Account(account.clone());
    let (clockwork, jira) =
        tokio::join!(app.clockwork.worklogs(&token, &user, range), app.jira.user(&account));
    match clockwork {
        Ok(_) => {}
        Err(ClientError::Unauthorized { .. }) => {
            return Ok(invalid(
                "clockworkApiToken",
                "CLOCKWORK_TOKEN_INVALID",
                "Clockwork refused this API token; copy it again from Clockwork's API settings"
                    .to_owned(),
            ));
        }
        Err(other) => return Err(to_api_error(Service::Clockwork, other)),
    }
    let found = match jira {
        Ok(found) if found.active != Some(false) => found,
        Ok(_) => {
            return Ok(invalid(
                "accountId",
                "ACCOUNT_INACTIVE",
                format!("the Jira account {account} is deactivated"),
            ));
        }
        Err(ClientError::NotFound) => {
            return Ok(invalid(
                "accountId",
                "ACCOUNT_NOT_FOUND",
                format!("Jira has no account {account}; copy the id from your Jira profile URL"),
            ));
        }
        Err(other) => return Err(to_api_error(Service::Jira, other)),
    };
    Ok(json_answer(StatusCode::OK, &json!({ "valid": true, "user": UserAnswer::from(&found) })))
}

fn invalid(field: &str, error: &str, message: String) -> Response<Bytes> {
    json_answer(
        StatusCode::OK,
        &json!({ "valid": false, "error": error, "message": message, "field": field }),
    )
}

/// Counts the caller's check in this minute's window; the 429 to answer when over.
async fn rate_limited(app: &App, caller: &Caller) -> Result<Option<Response<Bytes>>, ApiError> {
    let who = match caller {
        Caller::User { account_id, .. } | Caller::Admin { account_id, .. } => account_id.as_str(),
        // A private deployment has one caller.
        Caller::Trusted => "trusted",
    };
    let key = format!("ratelimit:settings-validate:{who}");
    if app.cache.incr(&key, WINDOW).await.map_err(cache_error)? <= CHECKS_PER_WINDOW {
        return Ok(None);
    }
    let wait = app.cache.ttl(&key).await.map_err(cache_error)?.unwrap_or(WINDOW);
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED",
        format!("at most {CHECKS_PER_WINDOW} settings checks a minute; try again in {seconds} s"),
    )
    .into_response();
    response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    Ok(Some(response))
}
