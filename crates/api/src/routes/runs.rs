//! `GET /api/runs/{id}` (admins): a durable run's record — status, step timings, error.

use bytes::Bytes;
use clockwork_core::ApiError;
use clockwork_durable::record::{RunRecord, record_key};
use http::{Request, Response, StatusCode};
use serde_json::json;

use crate::App;
use crate::auth::Caller;
use crate::router::{json as json_answer, last_segment};
use crate::upstream::cache_error;

pub async fn handle(
    app: &App,
    caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    if matches!(caller, Caller::User { .. }) {
        return Err(ApiError::forbidden("run records are for admins"));
    }
    let id = last_segment(request.uri().path());
    let valid = id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    if !valid {
        return Err(ApiError::bad_field("id", "must be a run id (letters, digits, . _ : -)"));
    }
    let record = clockwork_cache::json::get_json::<RunRecord>(&*app.cache, &record_key(&id))
        .await
        .map_err(cache_error)?;
    match record {
        Some(run) => Ok(json_answer(StatusCode::OK, &json!({ "run": run }))),
        None => {
            Err(ApiError::not_found("RUN_NOT_FOUND", format!("no run {id} in the last 7 days")))
        }
    }
}
