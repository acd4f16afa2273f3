//! `POST /api/webhooks/jira`: only a delivery signed with `JIRA_WEBHOOK_SECRET` (or carrying
//! it as the URL's token) is enqueued, as `jira/webhook.received` with the delivery's ids.

mod common;

use bytes::Bytes;
use clockwork_core::event::WEBHOOK_RECEIVED;
use common::{Harness, assert_error};
use http::{Method, Request, StatusCode};
use ring::hmac;
use secrecy::SecretString;
use serde_json::{Value, json};

const WEBHOOK_SECRET: &str = "canary-webhook-secret-6f1c";

fn payload() -> String {
    json!({
        "timestamp": 1_735_000_000_000_i64,
        "webhookEvent": "jira:issue_updated",
        "user": { "accountId": "acc-ann" },
        "issue": {
            "id": "10001",
            "key": "KAN-1",
            "self": "https://acme.atlassian.net/rest/api/2/issue/10001",
            "fields": { "project": { "key": "KAN" }, "description": "plain v2 text", "customfield_10099": null }
        }
    })
    .to_string()
}

fn signature(secret: &str, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let hex: String =
        hmac::sign(&key, body.as_bytes()).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

fn delivery(path: &str, signature: Option<&str>, body: &str) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-atlassian-webhook-identifier", "delivery-17");
    if let Some(signature) = signature {
        builder = builder.header("x-hub-signature", signature);
    }
    builder.body(Bytes::from(body.to_owned())).expect("request")
}

async fn harness() -> Harness {
    let mut h = Harness::start().await;
    h.app.webhook_secret = Some(SecretString::from(WEBHOOK_SECRET));
    h
}

async fn send(h: &Harness, request: Request<Bytes>) -> (StatusCode, Value) {
    let (status, body, _) = h.send(request).await;
    assert!(!body.to_string().contains(WEBHOOK_SECRET), "the secret leaked: {body}");
    (status, body)
}

#[tokio::test]
async fn a_signed_delivery_is_enqueued_with_only_its_ids() {
    let h = harness().await;
    let body = payload();
    let sig = signature(WEBHOOK_SECRET, &body);
    let (status, answer) = send(&h, delivery("/api/webhooks/jira", Some(&sig), &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["runId"], "webhook-delivery-17");
    let events = h.enqueued().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["name"], WEBHOOK_RECEIVED);
    assert_eq!(events[0]["id"], "webhook-delivery-17", "Jira's retries are one run");
    let delivery = &events[0]["data"]["deliveries"][0];
    assert_eq!(delivery["id"], "delivery-17");
    assert_eq!(delivery["webhookEvent"], "jira:issue_updated");
    assert_eq!(delivery["issueId"], "10001");
    assert_eq!(delivery["issueKey"], "KAN-1");
    assert_eq!(delivery["projectKey"], "KAN");
    assert_eq!(delivery["timestamp"], 1_735_000_000_000_i64);
    assert_eq!(delivery["accountIds"], json!(["acc-ann"]));
    assert!(delivery["receivedMs"].as_i64().is_some_and(|ms| ms > 0));
    assert!(delivery.get("fields").is_none() && !delivery.to_string().contains("plain v2 text"));
    assert_eq!(h.jira.total_requests(), 0, "nothing is read from Jira inline");
}

#[tokio::test]
async fn a_bad_or_missing_signature_is_refused_and_nothing_is_enqueued() {
    let h = harness().await;
    let body = payload();
    let wrong_key = signature("another-secret", &body);
    let reserialized =
        serde_json::to_string_pretty(&serde_json::from_str::<Value>(&body).unwrap()).unwrap();
    let signed_compact = signature(WEBHOOK_SECRET, &body);
    for (signature, sent) in [
        (Some(wrong_key.as_str()), body.as_str()),
        (Some(signed_compact.as_str()), reserialized.as_str()),
        (Some("sha1=abcdef"), body.as_str()),
        (Some("sha256=not-hex"), body.as_str()),
        (None, body.as_str()),
    ] {
        let answer = send(&h, delivery("/api/webhooks/jira", signature, sent)).await;
        assert_error(&answer, StatusCode::UNAUTHORIZED, "WEBHOOK_UNAUTHORIZED");
    }
    // A signature that is present decides: the URL's token does not rescue a bad one.
    let path = format!("/api/webhooks/jira?secret={WEBHOOK_SECRET}");
    let answer = send(&h, delivery(&path, Some(&wrong_key), &body)).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "WEBHOOK_UNAUTHORIZED");
    assert!(h.enqueued().await.is_empty());
}

#[tokio::test]
async fn an_unsigned_delivery_needs_the_secret_as_the_urls_token() {
    let h = harness().await;
    let body = payload();
    let answer = send(&h, delivery("/api/webhooks/jira?secret=guess", None, &body)).await;
    assert_error(&answer, StatusCode::UNAUTHORIZED, "WEBHOOK_UNAUTHORIZED");
    let path = format!("/api/webhooks/jira?secret={WEBHOOK_SECRET}");
    let (status, answer) = send(&h, delivery(&path, None, &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(h.enqueued().await.len(), 1);
}

#[tokio::test]
async fn without_a_configured_secret_every_delivery_is_refused() {
    let h = Harness::start().await;
    let body = payload();
    let answer = send(&h, delivery("/api/webhooks/jira", Some(&signature("", &body)), &body)).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "WEBHOOK_NOT_CONFIGURED");
    assert!(h.enqueued().await.is_empty());
}

#[tokio::test]
async fn verified_bad_json_is_a_400_and_an_event_about_no_issue_is_ignored() {
    let h = harness().await;
    for body in ["{not json", "[]", r#"{"webhookEvent": 5, "issue": {"id": "1"}}"#] {
        let sig = signature(WEBHOOK_SECRET, body);
        let (status, answer) = send(&h, delivery("/api/webhooks/jira", Some(&sig), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(
            answer["error"] == "INVALID_JSON" || answer["error"] == "INVALID_INPUT",
            "{answer}"
        );
    }
    let sprint = r#"{"webhookEvent": "sprint_started", "sprint": {"id": 3}}"#;
    let sig = signature(WEBHOOK_SECRET, sprint);
    let (status, answer) = send(&h, delivery("/api/webhooks/jira", Some(&sig), sprint)).await;
    assert_eq!((status, &answer["ignored"]), (StatusCode::OK, &json!(true)), "{answer}");
    assert!(h.enqueued().await.is_empty());
}

#[tokio::test]
async fn oversized_deliveries_and_other_methods_are_refused_before_verification() {
    let h = harness().await;
    let big = format!(r#"{{"webhookEvent": "x", "pad": "{}"}}"#, "a".repeat(70 * 1024));
    let answer = send(&h, delivery("/api/webhooks/jira", None, &big)).await;
    assert_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
    let get = Request::builder().uri("/api/webhooks/jira").body(Bytes::new()).unwrap();
    let answer = send(&h, get).await;
    assert_error(&answer, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
}
