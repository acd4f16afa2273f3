//! `GET /api/worklogs?accountId=…|userEmail=…[&date=YYYY-MM-DD|today|yesterday][&to=…][&tz=…]`.
//!
//! Without `date` (or with `today`/`yesterday`) the day is the caller's: in the `tz`
//! parameter's zone (IANA) when given, else in the Jira user's zone (the `jira:user:` cache,
//! else Jira), else UTC. The answer's `date` says which day was used.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use bytes::Bytes;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use clockwork_cache::json::{get_json, mget_json, set_json};
use clockwork_core::contract::{CachedJiraUser, IssueDetails, Worklog, WorklogsResponse, keys};
use clockwork_core::domain::parse_date;
use clockwork_core::{AccountId, ApiError, DateRange, IssueId, UserRef};
use http::{Request, Response, StatusCode};

use crate::App;
use crate::auth::{Caller, Subject};
use crate::input::Query;
use crate::router::json;
use crate::routes::issue::remember;
use crate::routes::timer_control::clockwork_token;
use crate::upstream::{Service, cache_error, to_api_error};

pub async fn handle(
    app: &App,
    caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let query = Query::parse(request.uri());
    let user = match caller.subject(query.get("accountId"), query.get("userEmail"))? {
        Subject::User(user) => user,
        Subject::All => {
            return Err(ApiError::bad_field("accountId", "must name one user for worklogs"));
        }
    };
    let zone = match query.get("tz") {
        Some(name) => Some(name.trim().parse::<Tz>().map_err(|_| {
            ApiError::bad_field(
                "tz",
                format!("must be an IANA time zone such as Asia/Ho_Chi_Minh, got {name:?}"),
            )
        })?),
        None => None,
    };
    let from = match query.get("date").map(str::trim) {
        None | Some("today") => today(app, &user, zone).await,
        Some("yesterday") => today(app, &user, zone).await.pred_opt().unwrap_or(NaiveDate::MIN),
        Some(date) => parse_date(date).map_err(|e| ApiError::bad_field("date", e))?,
    };
    let to = match query.get("to") {
        Some(to) => parse_date(to).map_err(|e| ApiError::bad_field("to", e))?,
        None => from,
    };
    let range = DateRange::new(from, to).map_err(|e| ApiError::bad_field("to", e))?;
    let token = clockwork_token(app, request)?;
    let mut worklogs = app
        .clockwork
        .worklogs(&token, &user, range)
        .await
        .map_err(|e| to_api_error(Service::Clockwork, e))?;
    fill_issue_details(app, &mut worklogs).await?;
    let account_id = match &user {
        UserRef::Account(id) => Some(id.to_string()),
        UserRef::Email(_) => {
            worklogs.first().map(|w| w.author.account_id.clone()).filter(|id| !id.is_empty())
        }
    };
    Ok(json(
        StatusCode::OK,
        &WorklogsResponse {
            total: worklogs.iter().map(|w| w.time_spent_seconds).sum(),
            worklogs,
            date: from.to_string(),
            to: query.get("to").map(|_| to.to_string()),
            account_id,
        },
    ))
}

/// The user's current day: in `zone` when given, else in their Jira zone, else in UTC.
async fn today(app: &App, user: &UserRef, zone: Option<Tz>) -> NaiveDate {
    let zone = match (zone, user) {
        (Some(zone), _) => zone,
        (None, UserRef::Account(id)) => jira_zone(app, id).await.unwrap_or(Tz::UTC),
        (None, UserRef::Email(_)) => Tz::UTC,
    };
    Utc::now().with_timezone(&zone).date_naive()
}

/// The zone Jira has for the user: from the `jira:user:` cache, else asked (and cached).
/// Any failure means "unknown", and the caller's day falls back to UTC.
async fn jira_zone(app: &App, id: &AccountId) -> Option<Tz> {
    let key = keys::jira_user(id.as_str());
    let cached = get_json::<CachedJiraUser>(&*app.cache, &key)
        .await
        .inspect_err(|error| tracing::warn!(%error, "could not read the cached Jira user"))
        .ok()
        .flatten();
    let zone = match cached {
        Some(CachedJiraUser { time_zone: Some(zone), .. }) => zone,
        _ => {
            let user = app
                .jira
                .user(id)
                .await
                .inspect_err(|error| tracing::warn!(%error, "no Jira time zone; using UTC"))
                .ok()?;
            let entry = user.to_cached();
            let ttl = Some(Duration::from_secs(keys::JIRA_USER_TTL_SECS));
            if let Err(error) = set_json(&*app.cache, &key, &entry, ttl).await {
                tracing::warn!(%error, "could not cache the Jira user");
            }
            entry.time_zone?
        }
    };
    zone.parse().inspect_err(|_| tracing::warn!(zone, "Jira gave an unknown time zone")).ok()
}

/// Fills each worklog's issue key, summary and project name: from the `jira:issue:` cache
/// in one MGET, and every miss from Jira in one batched JQL search. When Jira fails the
/// worklogs are still answered, just without those names.
async fn fill_issue_details(app: &App, worklogs: &mut [Worklog]) -> Result<(), ApiError> {
    let ids: Vec<String> = worklogs
        .iter()
        .filter(|w| w.project_name.is_none() || w.issue_key.is_none() || w.issue_name.is_none())
        .map(|w| w.issue_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let cache_keys: Vec<String> = ids.iter().map(|id| keys::jira_issue(id)).collect();
    let cached = mget_json::<IssueDetails>(&*app.cache, &cache_keys).await.map_err(cache_error)?;
    let mut known: HashMap<String, IssueDetails> = HashMap::new();
    let mut misses = Vec::new();
    for (id, issue) in ids.iter().zip(cached) {
        match issue {
            Some(issue) => {
                known.insert(id.clone(), issue);
            }
            None => misses.extend(IssueId::parse(id).ok()),
        }
    }
    if !misses.is_empty() {
        match app.jira.issues_by_id(&misses).await {
            Ok(found) => {
                if let Err(error) = remember(app, &found).await {
                    tracing::warn!(%error, "could not cache issues");
                }
                known.extend(found.into_iter().map(|issue| (issue.id.clone(), issue)));
            }
            Err(error) => {
                tracing::warn!(%error, missing = misses.len(), "answering worklogs without issue names")
            }
        }
    }
    for worklog in worklogs {
        if let Some(issue) = known.get(&worklog.issue_id) {
            worklog.issue_key.get_or_insert_with(|| issue.key.clone());
            worklog.issue_name.get_or_insert_with(|| issue.summary.clone());
            worklog.project_name.get_or_insert_with(|| issue.project.name.clone());
        }
    }
    Ok(())
}
