//! The Slack and generic webhook channels against a local receiver, and the notifier's
//! retries over them.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clockwork_notify::{
    Channel, Message, Notifier, NotifyConfig, RetryPolicy, Severity, SlackChannel, WebhookChannel,
};
use clockwork_testkit::WebhookReceiver;
use secrecy::SecretString;

const SLACK_PATH: &str = "/services/T0001/B0002/xoxSecretHookToken";
const ADVICE: &str = "Create a new API token and set ATLASSIAN_API_TOKEN.";

fn alert() -> Message {
    Message::new(Severity::Critical, "KAN sync stopped", "Jira refused the API token.")
        .fact("Project", "KAN")
        .fact("Error code", "AUTH_FAILED")
        .fact("What to do", ADVICE)
}

fn quick(attempts: u32) -> RetryPolicy {
    RetryPolicy { attempts, base_delay: Duration::from_millis(1) }
}

fn http() -> reqwest::Client {
    clockwork_notify::http_client().unwrap()
}

fn slack(receiver: &WebhookReceiver) -> Arc<dyn Channel> {
    Arc::new(SlackChannel::new(SecretString::from(receiver.url(SLACK_PATH)), http()))
}

#[tokio::test]
async fn slack_payload_shows_project_code_and_advice() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let notifier = Notifier::new(vec![slack(&receiver)]);

    assert_eq!(notifier.send_message("slack", &alert()).await.unwrap(), 1);

    let request = receiver.wait_for(1).await.remove(0);
    assert_eq!(request.path, SLACK_PATH);
    assert_eq!(request.headers["content-type"], "application/json");
    let blocks = request.json["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["text"], "KAN sync stopped");
    assert_eq!(blocks[1]["text"]["text"], "Jira refused the API token.");
    let fields: Vec<&str> = blocks[2]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["*Project*\nKAN", "*Error code*\nAUTH_FAILED", &format!("*What to do*\n{ADVICE}")]
    );
    let fallback = request.json["text"].as_str().unwrap();
    for part in ["KAN sync stopped", "AUTH_FAILED", ADVICE] {
        assert!(fallback.contains(part), "{part} missing from the fallback {fallback:?}");
    }
}

#[tokio::test]
async fn webhook_payload_carries_subject_severity_and_facts() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let url = SecretString::from(receiver.url("/hooks/alerts?token=abc"));
    let channel = WebhookChannel::new(url, http());
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);

    channel.send(&alert()).await.unwrap();

    let body = receiver.wait_for(1).await.remove(0).json;
    assert_eq!(body["subject"], "KAN sync stopped");
    assert_eq!(body["text"], "Jira refused the API token.");
    assert_eq!(body["severity"], "critical");
    assert_eq!(body["facts"]["Project"], "KAN");
    assert_eq!(body["facts"]["Error code"], "AUTH_FAILED");
    assert_eq!(body["facts"]["What to do"], ADVICE);
    assert_eq!(body["factList"][2], serde_json::json!({ "label": "What to do", "value": ADVICE }));
    let sent_at = chrono::DateTime::parse_from_rfc3339(body["sentAt"].as_str().unwrap()).unwrap();
    assert!(sent_at >= before && sent_at <= chrono::Utc::now(), "{sent_at}");
}

#[tokio::test]
async fn retryable_failures_are_retried_then_reported_with_the_channel() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let notifier = Notifier::new(vec![slack(&receiver)]).with_retry(quick(3));

    receiver.fail_next(2, 503, "service unavailable");
    assert_eq!(notifier.send_message("slack", &alert()).await.unwrap(), 3);
    assert_eq!(receiver.received().len(), 3);
    assert_eq!(notifier.failures("slack"), 0, "a message delivered on retry is no failure");

    receiver.fail_next(3, 429, "rate_limited");
    let error = notifier.send_message("slack", &alert()).await.unwrap_err();
    assert_eq!(receiver.received().len(), 6);
    assert_eq!(error.channel, "slack");
    assert!(error.retryable);
    assert!(error.reason.contains("429") && error.reason.contains("rate_limited"), "{error}");
    assert_eq!(notifier.failures("slack"), 1);
}

#[tokio::test]
async fn permanent_failures_are_not_retried() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let webhook = WebhookChannel::new(SecretString::from(receiver.url("/hook")), http());
    let notifier = Notifier::new(vec![slack(&receiver), Arc::new(webhook)]).with_retry(quick(3));

    receiver.fail_next(1, 400, "invalid_payload");
    let error = notifier.send_message("slack", &alert()).await.unwrap_err();
    assert_eq!(receiver.received().len(), 1);
    assert!(!error.retryable);
    assert_eq!(error.to_string(), "slack: HTTP 400 Bad Request: invalid_payload");

    receiver.fail_next(1, 404, "no_such_hook");
    let error = notifier.send_message("webhook", &alert()).await.unwrap_err();
    assert_eq!(receiver.received().len(), 2);
    assert_eq!((error.channel, error.retryable), ("webhook", false));
    assert_eq!((notifier.failures("slack"), notifier.failures("webhook")), (1, 1));
}

#[tokio::test]
async fn an_unknown_channel_is_refused_naming_the_configured_ones() {
    let receiver = WebhookReceiver::start().await.unwrap();
    let notifier = Notifier::new(vec![slack(&receiver)]);
    let error = notifier.send_message("sms", &alert()).await.unwrap_err();
    assert!(!error.retryable);
    assert!(error.reason.contains("\"sms\"") && error.reason.contains("slack"), "{error}");
    assert!(receiver.received().is_empty());
}

/// Collects what the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn webhook_urls_never_appear_in_debug_logs_or_errors() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber =
        tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // Nothing listens on the port: the request fails with a connection error.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let slack_url = format!("http://127.0.0.1:{port}{SLACK_PATH}");
    let hook_url = format!("http://127.0.0.1:{port}/hook?token=webhookSecret42");
    let env = |name: &str| match name {
        "SLACK_WEBHOOK_URL" => Some(slack_url.clone()),
        "ALERT_WEBHOOK_URL" => Some(hook_url.clone()),
        _ => None,
    };
    let config = NotifyConfig::from_lookup(&env).unwrap();
    let config_debug = format!("{config:?}");
    let notifier = config.into_notifier(http()).unwrap().with_retry(quick(2));

    let slack_error = notifier.send_message("slack", &alert()).await.unwrap_err();
    let hook_error = notifier.send_message("webhook", &alert()).await.unwrap_err();
    assert!(slack_error.retryable && hook_error.retryable, "{slack_error} / {hook_error}");

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("notification attempt failed"), "no warning logged: {logged}");
    let shown = format!(
        "{config_debug} {notifier:?} {slack_error} {slack_error:?} {hook_error} {hook_error:?} {logged}"
    );
    for secret in ["xoxSecretHookToken", "webhookSecret42"] {
        assert!(!shown.contains(secret), "{secret} shown in:\n{shown}");
    }
}
