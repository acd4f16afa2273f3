//! `POST /api/webhooks/jira`: Jira's webhook deliveries, verified, reduced to what names the
//! change, and enqueued as `jira/webhook.received` for the worker. Nothing here talks to
//! Jira: the worker re-reads the issue, so the answer comes well within Jira's 20 s.
//!
//! Proof of origin, with `JIRA_WEBHOOK_SECRET` as the one shared secret:
//! - a delivery carrying `X-Hub-Signature: sha256=<hex>` (an admin webhook registered with
//!   that secret) must carry the HMAC-SHA256 of its raw body under it, checked in constant
//!   time before the body is parsed;
//! - a delivery without one (a webhook that cannot sign, e.g. a dynamic one) must carry the
//!   secret itself as the URL's `secret` query parameter, compared in constant time.
//!
//! Anything else is 401 `WEBHOOK_UNAUTHORIZED`, logged without the body or the query.

use bytes::Bytes;
use clockwork_core::event::{Event, WEBHOOK_RECEIVED};
use clockwork_core::webhook::{WebhookDeliveries, WebhookDelivery};
use clockwork_core::{AccountId, ApiError, IssueId, IssueKey, ProjectKey};
use http::{Request, Response, StatusCode};
use ring::{digest, hmac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::App;
use crate::auth::constant_time_eq;
use crate::input::{JsonBody, Query};
use crate::router::json as json_answer;
use crate::upstream::queue_error;

const SIGNATURE: &str = "x-hub-signature";
const IDENTIFIER: &str = "x-atlassian-webhook-identifier";

pub async fn handle(app: &App, request: &Request<Bytes>) -> Result<Response<Bytes>, ApiError> {
    verify(app, request)?;
    let body = Value::Object(JsonBody::parse(request.body())?.into_map());
    let id = delivery_id(request);
    let Some(delivery) = delivery(id, &body, chrono::Utc::now().timestamp_millis())? else {
        let event = body.get("webhookEvent").and_then(Value::as_str).unwrap_or_default();
        tracing::info!(event, "webhook delivery names no issue; nothing to apply");
        return Ok(json_answer(StatusCode::OK, &json!({ "ignored": true })));
    };
    let run_id = format!("webhook-{}", delivery.id);
    let data = WebhookDeliveries { deliveries: vec![delivery] };
    let data = serde_json::to_value(&data).map_err(|error| {
        tracing::error!(%error, "encoding a webhook delivery failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "could not enqueue")
    })?;
    let event = Event::with_id(WEBHOOK_RECEIVED, run_id, data);
    app.queue()?.send(&event).await.map_err(queue_error)?;
    tracing::info!(run_id = %event.id, "webhook delivery enqueued");
    Ok(json_answer(StatusCode::ACCEPTED, &json!({ "runId": event.id })))
}

fn verify(app: &App, request: &Request<Bytes>) -> Result<(), ApiError> {
    let Some(secret) = &app.webhook_secret else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "WEBHOOK_NOT_CONFIGURED",
            "set JIRA_WEBHOOK_SECRET to accept Jira's webhook deliveries",
        ));
    };
    let verdict = match request.headers().get(SIGNATURE) {
        Some(signature) => check_signature(secret, signature.as_bytes(), request.body()),
        None => match Query::parse(request.uri()).get("secret") {
            Some(token)
                if constant_time_eq(token.as_bytes(), secret.expose_secret().as_bytes()) =>
            {
                Ok(())
            }
            Some(_) => Err("the URL's secret token does not match"),
            None => Err("the delivery carries neither an X-Hub-Signature nor a secret token"),
        },
    };
    verdict.map_err(|reason| {
        let delivery = request.headers().get(IDENTIFIER).and_then(|v| v.to_str().ok());
        let delivery = delivery.filter(|id| is_safe_id(id)).unwrap_or("-");
        tracing::warn!(reason, delivery, bytes = request.body().len(), "webhook delivery refused");
        ApiError::unauthorized("WEBHOOK_UNAUTHORIZED", reason)
    })
}

/// `sha256=<hex HMAC-SHA256 of the raw body>`, Jira's format for admin webhooks.
fn check_signature(secret: &SecretString, header: &[u8], body: &[u8]) -> Result<(), &'static str> {
    let hex = header.strip_prefix(b"sha256=").ok_or("X-Hub-Signature is not sha256=<hex>")?;
    let signature = decode_hex(hex).ok_or("X-Hub-Signature is not sha256=<hex>")?;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.expose_secret().as_bytes());
    hmac::verify(&key, body, &signature).map_err(|_| "the signature does not match the body")
}

fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    hex.chunks(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

/// Jira's identifier of the delivery (the same across its retries), else the body's digest,
/// so a retry is one run of the worker either way.
fn delivery_id(request: &Request<Bytes>) -> String {
    let header = request.headers().get(IDENTIFIER).and_then(|v| v.to_str().ok());
    match header.filter(|id| is_safe_id(id)) {
        Some(id) => id.to_owned(),
        None => {
            let digest = digest::digest(&digest::SHA256, request.body());
            digest.as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
        }
    }
}

/// Fits in a run id (`webhook-` + 1 to 100 of `A-Za-z0-9._:-`).
fn is_safe_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// The delivery's ids, keys and people; `None` for an event about no issue (a sprint, a
/// project). Real payloads render the issue the REST v2 way, so nothing else is read.
fn delivery(
    id: String,
    body: &Value,
    received_ms: i64,
) -> Result<Option<WebhookDelivery>, ApiError> {
    let webhook_event = match body.get("webhookEvent") {
        Some(Value::String(event)) if !event.trim().is_empty() => event.clone(),
        _ => return Err(ApiError::bad_field("webhookEvent", "is required")),
    };
    let issue = body.get("issue");
    let issue_id = issue
        .and_then(|issue| issue.get("id"))
        .or_else(|| body.get("worklog").and_then(|worklog| worklog.get("issueId")));
    let Some(issue_id) = issue_id.and_then(text) else { return Ok(None) };
    let issue_id = IssueId::parse(&issue_id).map_err(|e| ApiError::bad_field("issue.id", e))?;
    let issue_key = issue
        .and_then(|issue| issue.get("key"))
        .and_then(text)
        .map(|key| IssueKey::parse(&key).map_err(|e| ApiError::bad_field("issue.key", e)))
        .transpose()?;
    let from_fields = issue.and_then(|i| i.pointer("/fields/project/key")).and_then(text);
    let project_key = match (from_fields, &issue_key) {
        (Some(key), _) => Some(ProjectKey::parse(&key)),
        (None, Some(key)) => Some(ProjectKey::parse(key.project())),
        (None, None) => None,
    };
    let project_key =
        project_key.transpose().map_err(|e| ApiError::bad_field("issue.fields.project.key", e))?;
    Ok(Some(WebhookDelivery {
        id,
        webhook_event,
        issue_id: issue_id.as_str().to_owned(),
        issue_key: issue_key.map(|key| key.as_str().to_owned()),
        project_key: project_key.map(|key| key.to_string()),
        timestamp: body.get("timestamp").and_then(Value::as_i64),
        received_ms,
        account_ids: involved(body),
    }))
}

/// The accounts a delivery names: who acted, the issue's assignee and reporter, the
/// comment's or worklog's authors, and the assignee or reporter a change moved away from.
fn involved(body: &Value) -> Vec<String> {
    const PEOPLE: [&str; 7] = [
        "/user/accountId",
        "/issue/fields/assignee/accountId",
        "/issue/fields/reporter/accountId",
        "/comment/author/accountId",
        "/comment/updateAuthor/accountId",
        "/worklog/author/accountId",
        "/worklog/updateAuthor/accountId",
    ];
    let named = PEOPLE.iter().filter_map(|pointer| body.pointer(pointer));
    let items = body.pointer("/changelog/items").and_then(Value::as_array);
    let moved = items.into_iter().flatten().filter(|item| {
        matches!(item.get("field").and_then(Value::as_str), Some("assignee" | "reporter"))
    });
    let before_and_after = moved.flat_map(|item| {
        ["from", "to", "tmpFromAccountId", "tmpToAccountId"].map(|name| item.get(name))
    });
    let mut accounts: Vec<String> = named
        .chain(before_and_after.flatten())
        .filter_map(text)
        .filter(|id| AccountId::parse(id).is_ok())
        .collect();
    accounts.sort();
    accounts.dedup();
    accounts
}

/// A string, or a whole number as text (Jira sends ids as either).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) if n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: Value) -> Option<WebhookDelivery> {
        delivery("d-1".into(), &body, 7).expect("valid")
    }

    #[test]
    fn a_comment_event_names_its_issue_project_and_people() {
        let delivery = parsed(json!({
            "timestamp": 1_735_000_000_000_i64,
            "webhookEvent": "comment_created",
            "user": { "accountId": "acc-editor" },
            "issue": { "id": "10001", "key": "kan-1", "fields": {
                "project": { "key": "KAN" }, "assignee": { "accountId": "acc-ann" }, "reporter": null
            } },
            "comment": { "author": { "accountId": "acc-editor" } }
        }))
        .expect("an issue event");
        assert_eq!(delivery.issue_id, "10001");
        assert_eq!(delivery.issue_key.as_deref(), Some("KAN-1"));
        assert_eq!(delivery.project_key.as_deref(), Some("KAN"));
        assert_eq!(delivery.timestamp, Some(1_735_000_000_000));
        assert_eq!(delivery.account_ids, ["acc-ann", "acc-editor"]);
    }

    #[test]
    fn a_reassignment_names_the_assignee_it_moved_away_from() {
        let delivery = parsed(json!({
            "webhookEvent": "jira:issue_updated",
            "issue": { "id": 10002, "key": "KAN-2", "fields": { "assignee": { "accountId": "acc-bob" } } },
            "changelog": { "items": [
                { "field": "assignee", "from": "acc-ann", "to": "acc-bob" },
                { "field": "summary", "from": null, "to": null, "fromString": "acc-zed" }
            ] }
        }))
        .expect("an issue event");
        assert_eq!(delivery.project_key.as_deref(), Some("KAN"), "from the key");
        assert_eq!(delivery.account_ids, ["acc-ann", "acc-bob"]);
    }

    #[test]
    fn a_worklog_event_names_only_the_issue_id() {
        let delivery = parsed(json!({
            "webhookEvent": "worklog_created",
            "worklog": { "issueId": "10003", "author": { "accountId": "acc-ann" } }
        }))
        .expect("an issue event");
        assert_eq!((delivery.issue_key, delivery.project_key), (None, None));
        assert_eq!(delivery.account_ids, ["acc-ann"]);
    }

    #[test]
    fn events_about_no_issue_are_not_deliveries_and_bad_ids_are_refused() {
        assert_eq!(
            parsed(json!({ "webhookEvent": "sprint_started", "sprint": { "id": 1 } })),
            None
        );
        let bad = json!({ "webhookEvent": "jira:issue_updated", "issue": { "id": "../1" } });
        assert_eq!(delivery("d".into(), &bad, 0).unwrap_err().code, "INVALID_INPUT");
    }

    #[test]
    fn signatures_are_hex_hmac_sha256_of_the_raw_body() {
        let secret = SecretString::from("s3cret");
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"s3cret");
        let hex: String =
            hmac::sign(&key, b"{}").as_ref().iter().map(|b| format!("{b:02x}")).collect();
        assert!(check_signature(&secret, format!("sha256={hex}").as_bytes(), b"{}").is_ok());
        let upper = format!("sha256={}", hex.to_uppercase());
        assert!(check_signature(&secret, upper.as_bytes(), b"{}").is_ok());
        assert!(check_signature(&secret, format!("sha256={hex}").as_bytes(), b"{ }").is_err());
        assert!(check_signature(&secret, hex.as_bytes(), b"{}").is_err());
        assert!(check_signature(&secret, b"sha256=zz", b"{}").is_err());
    }
}
