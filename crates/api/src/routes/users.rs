//! `GET /api/users/resolve?email=…|query=…`: Jira accounts for setting up the client.
//!
//! An email lookup answers only the users whose address Jira shows and equals it: a user
//! who hides their email may come back from Jira's search without it, and is never claimed
//! as a match. Found email lookups are cached for two days under `jira:email:<email>`.

use std::time::Duration;

use bytes::Bytes;
use clockwork_clients::jira::JiraUser;
use clockwork_core::contract::keys::JIRA_USER_TTL_SECS;
use clockwork_core::{ApiError, Email};
use http::{Request, Response, StatusCode};
use serde::Serialize;

use crate::App;
use crate::auth::Caller;
use crate::input::Query;
use crate::router::{json, raw_json};
use crate::upstream::{Service, cache_error, to_api_error};

const EMAIL_PREFIX: &str = "jira:email:";
/// Users a free-text lookup answers at most.
const MAX_USERS: usize = 20;
const MAX_QUERY_CHARS: usize = 100;

/// A Jira account as the client's settings show it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAnswer<'a> {
    pub account_id: &'a str,
    pub display_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<&'a str>,
    pub avatar_url: &'a str,
}

impl<'a> From<&'a JiraUser> for UserAnswer<'a> {
    fn from(user: &'a JiraUser) -> Self {
        Self {
            account_id: &user.account_id,
            display_name: user.display_name.as_deref().unwrap_or_default(),
            email_address: user.email_address.as_deref().filter(|e| !e.is_empty()),
            avatar_url: user.avatar_url().unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    users: Vec<UserAnswer<'a>>,
}

pub async fn resolve(
    app: &App,
    _caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let query = Query::parse(request.uri());
    match (query.get("email"), query.get("query")) {
        (Some(email), None) => {
            let email = Email::parse(email).map_err(|e| ApiError::bad_field("email", e))?;
            by_email(app, &email).await
        }
        (None, Some(text)) => {
            let text = text.trim();
            if text.chars().count() > MAX_QUERY_CHARS {
                return Err(ApiError::bad_field(
                    "query",
                    format!("must be at most {MAX_QUERY_CHARS} characters"),
                ));
            }
            let users = find(app, text).await?;
            Ok(answer(users.iter()))
        }
        _ => Err(ApiError::bad_field("email", "or `query` is required, not both")),
    }
}

async fn by_email(app: &App, email: &Email) -> Result<Response<Bytes>, ApiError> {
    let cache_key = format!("{EMAIL_PREFIX}{email}");
    if let Some(cached) = app.cache.get(&cache_key).await.map_err(cache_error)? {
        return Ok(raw_json(cached));
    }
    let users = find(app, email.as_str()).await?;
    let shown = |user: &&JiraUser| {
        user.email_address
            .as_deref()
            .is_some_and(|shown| shown.eq_ignore_ascii_case(email.as_str()))
    };
    let response = answer(users.iter().filter(shown));
    // A miss is asked again next time: the user may yet make their email visible.
    if users.iter().any(|user| shown(&user))
        && let Ok(body) = std::str::from_utf8(response.body())
        && let Err(error) =
            app.cache.set(&cache_key, body, Some(Duration::from_secs(JIRA_USER_TTL_SECS))).await
    {
        tracing::warn!(%error, "could not cache the email lookup");
    }
    Ok(response)
}

async fn find(app: &App, text: &str) -> Result<Vec<JiraUser>, ApiError> {
    app.jira.find_users(text, MAX_USERS).await.map_err(|e| to_api_error(Service::Jira, e))
}

fn answer<'a>(users: impl Iterator<Item = &'a JiraUser>) -> Response<Bytes> {
    json(StatusCode::OK, &Answer { users: users.map(UserAnswer::from).collect() })
}
