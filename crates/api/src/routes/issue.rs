//! `GET /api/issues/{key}`: one issue's details, cached for a day.

use std::time::Duration;

use bytes::Bytes;
use clockwork_cache::Write;
use clockwork_cache::json::{get_json, to_json};
use clockwork_core::contract::{IssueDetails, keys};
use clockwork_core::{ApiError, IssueKey};
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::App;
use crate::router::{json as json_answer, last_segment};
use crate::upstream::{Service, cache_error, to_api_error};

pub async fn handle(app: &App, request: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    let key = IssueKey::parse(&last_segment(request.uri().path()))
        .map_err(|e| ApiError::bad_field("key", e))?;
    let cache_key = keys::jira_issue(key.as_str());
    if let Some(issue) =
        get_json::<IssueDetails>(&*app.cache, &cache_key).await.map_err(cache_error)?
    {
        return Ok(json_answer(StatusCode::OK, &json!({ "issue": issue })));
    }
    let issue = app.jira.issue(&key).await.map_err(|error| match error {
        clockwork_clients::ClientError::NotFound => ApiError::not_found(
            "ISSUE_NOT_FOUND",
            format!("issue {key} does not exist or the backend's Jira account cannot see it"),
        ),
        other => to_api_error(Service::Jira, other),
    })?;
    if let Err(error) = remember(app, std::slice::from_ref(&issue)).await {
        tracing::warn!(%error, "could not cache the issue");
    }
    Ok(json_answer(StatusCode::OK, &json!({ "issue": issue })))
}

/// Caches issues under both their key and their id, in one round trip.
pub async fn remember(
    app: &App,
    issues: &[IssueDetails],
) -> Result<(), clockwork_cache::CacheError> {
    let ttl = Some(Duration::from_secs(keys::JIRA_ISSUE_TTL_SECS));
    let mut writes = Vec::with_capacity(issues.len() * 2);
    for issue in issues {
        let value = to_json(issue)?;
        writes.push(Write::Set { key: keys::jira_issue(&issue.key), value: value.clone(), ttl });
        writes.push(Write::Set { key: keys::jira_issue(&issue.id), value, ttl });
    }
    if writes.is_empty() {
        return Ok(());
    }
    app.cache.atomic(&writes).await
}
