//! `POST /api/timers/sync`: enqueue a timer sync; a burst shares one run. The schedulers'
//! triggers: `GET /api/cron/timers-sync` and `GET /api/cron/jira-sync` (a tick of the Jira
//! project schedules).

use std::time::Duration;

use clockwork_core::ApiError;
use clockwork_core::event::{Event, SCHEDULES_TICK, TIMERS_SYNC_REQUESTED};
use clockwork_durable::record::record_key;
use http::{Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::App;
use crate::auth::constant_time_eq;
use crate::router::json as json_answer;
use crate::upstream::{cache_error, queue_error};

/// Holds the run id of the latest requested sync while its window lasts.
const WINDOW_KEY: &str = "run:timers-sync:window";
/// Requests within this window share one run that has not started, so a burst enqueues
/// one job.
pub const WINDOW: Duration = Duration::from_secs(10);

/// `GET /api/cron/timers-sync`: Vercel's cron, proven by `Authorization: Bearer <CRON_SECRET>`.
pub async fn cron(
    app: &App,
    request: &http::Request<bytes::Bytes>,
) -> Result<Response<bytes::Bytes>, ApiError> {
    check_cron_secret(app, request)?;
    handle(app).await
}

/// `GET /api/cron/jira-sync`: Vercel's cron asks the worker for a tick of the Jira project
/// schedules. The tick's id is its minute, so the cron's retries within a minute are one
/// run of the worker.
pub async fn cron_jira(
    app: &App,
    request: &http::Request<bytes::Bytes>,
) -> Result<Response<bytes::Bytes>, ApiError> {
    check_cron_secret(app, request)?;
    let minute = chrono::Utc::now().timestamp() / 60;
    let event = Event::with_id(SCHEDULES_TICK, format!("tick-{minute}"), json!({}));
    app.queue()?.send(&event).await.map_err(queue_error)?;
    Ok(json_answer(StatusCode::ACCEPTED, &json!({ "runId": event.id })))
}

fn check_cron_secret(app: &App, request: &http::Request<bytes::Bytes>) -> Result<(), ApiError> {
    let Some(secret) = &app.cron_secret else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "CRON_NOT_CONFIGURED",
            "set CRON_SECRET to let the scheduler trigger syncs",
        ));
    };
    let sent = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(sent.as_bytes(), secret.expose_secret().as_bytes()) {
        return Err(ApiError::unauthorized("CRON_UNAUTHORIZED", "the cron secret does not match"));
    }
    Ok(())
}

pub async fn handle(app: &App) -> Result<Response<bytes::Bytes>, ApiError> {
    let run_id = request_timer_sync(app).await?;
    Ok(json_answer(StatusCode::ACCEPTED, &json!({ "runId": run_id })))
}

/// Enqueues `clockwork/timers.sync.requested` unless a run enqueued within [`WINDOW`] has
/// not started yet; returns the run id either way.
///
/// Only a run that has not started may be joined: one that has may already have fetched
/// the timers, so a timer started or stopped now would wait for the next scheduled sync.
/// Such a run gets one successor (claimed with SET NX under `…:after:<run id>`), which the
/// window then names.
pub async fn request_timer_sync(app: &App) -> Result<String, ApiError> {
    let queue = app.queue()?;
    let mut claim = WINDOW_KEY.to_owned();
    // The window may expire between a failed SET NX and the GET; successors add hops.
    for _ in 0..4 {
        let candidate = uuid::Uuid::new_v4().to_string();
        if app.cache.set_nx(&claim, &candidate, WINDOW).await.map_err(cache_error)? {
            let event = Event::with_id(TIMERS_SYNC_REQUESTED, candidate.clone(), json!({}));
            if let Err(error) = queue.send(&event).await {
                // Free the claim so the next request enqueues instead of sharing a lost run.
                let _ = app.cache.del(&[claim]).await;
                return Err(queue_error(error));
            }
            if claim != WINDOW_KEY {
                app.cache.set(WINDOW_KEY, &candidate, Some(WINDOW)).await.map_err(cache_error)?;
            }
            tracing::info!(run_id = %candidate, "timer sync enqueued");
            return Ok(candidate);
        }
        let Some(existing) = app.cache.get(&claim).await.map_err(cache_error)? else { continue };
        if !has_started(app, &existing).await? {
            return Ok(existing);
        }
        claim = format!("{WINDOW_KEY}:after:{existing}");
    }
    Err(ApiError::unavailable(
        "CACHE_UNAVAILABLE",
        "the cache",
        "the sync window could not be read",
    ))
}

/// Whether the worker has begun the run: it writes the run record before its first step.
async fn has_started(app: &App, run_id: &str) -> Result<bool, ApiError> {
    Ok(app.cache.get(&record_key(run_id)).await.map_err(cache_error)?.is_some())
}
