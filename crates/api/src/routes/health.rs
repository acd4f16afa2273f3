//! `GET /api/health`: whether the cache and the queue answer (the queue when the process
//! has one: a deployed health function always does), with the service's name and the time,
//! which the desktop client's probe reads.

use std::time::Duration;

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::json;

use crate::App;
use crate::router::json;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// The `service` the answer names.
pub const SERVICE: &str = "clockwork-backend";

pub async fn handle(app: &App) -> Response<Bytes> {
    let queue_check = async {
        match &app.queue {
            Some(queue) => Some(tokio::time::timeout(CHECK_TIMEOUT, queue.ping()).await),
            None => None,
        }
    };
    let (cache, queue) =
        tokio::join!(tokio::time::timeout(CHECK_TIMEOUT, app.cache.ping()), queue_check);
    let verdict = |result: Result<Result<(), String>, _>| match result {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error),
        Err(_) => Some("did not answer within 2 s".to_owned()),
    };
    let mut checks = vec![("cache", verdict(cache.map(|r| r.map_err(|e| e.to_string()))))];
    if let Some(queue) = queue {
        checks.push(("queue", verdict(queue.map(|r| r.map_err(|e| e.to_string())))));
    }
    let down: Vec<&str> =
        checks.iter().filter(|(_, e)| e.is_some()).map(|(name, _)| *name).collect();
    let checks_json: serde_json::Map<String, serde_json::Value> = checks
        .iter()
        .map(|(name, error)| (name.to_string(), json!(error.as_deref().unwrap_or("ok"))))
        .collect();
    let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    if down.is_empty() {
        return json(
            StatusCode::OK,
            &json!({ "status": "ok", "service": SERVICE, "timestamp": timestamp, "checks": checks_json }),
        );
    }
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        &json!({
            "status": "degraded",
            "service": SERVICE,
            "timestamp": timestamp,
            "checks": checks_json,
            "error": "SERVICE_UNAVAILABLE",
            "message": format!("down: {}", down.join(", ")),
            "statusCode": 503,
        }),
    )
}
