//! A process that cannot load a single root certificate still serves: a route that calls out
//! answers 503 `HTTPS_UNAVAILABLE` in the contract's error body, health names the queue it
//! cannot reach, a route that calls nothing is unaffected, and nothing panics (building the
//! HTTP client used to, which aborts a release binary).
//!
//! An environment variable can only be set safely for a new process, so the test runs its
//! own binary again with `SSL_CERT_FILE=/dev/null`: an empty bundle, read instead of the
//! system's certificates.

use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use clockwork_api::App;
use clockwork_api::auth::Auth;
use clockwork_cache::memory::MemoryCache;
use clockwork_clients::{HttpClient, HttpOptions};
use clockwork_core::config::{AuthConfig, ClockworkConfig, JiraConfig};
use clockwork_queue::Queue;
use clockwork_queue::sqs::SqsSender;
use clockwork_testkit::moto;
use http::{Request, StatusCode};
use secrecy::SecretString;
use serde_json::Value;

const TEST: &str = "calls_out_answer_503_in_the_error_body_when_no_root_certificate_loads";
/// Set in the run that does the work.
const CHILD: &str = "CLOCKWORK_TEST_WITHOUT_ROOT_CERTIFICATES";
const VERDICT: &str = "verdict: served without root certificates";
const SQS_QUEUE_URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/clockwork-jobs";

#[test]
fn calls_out_answer_503_in_the_error_body_when_no_root_certificate_loads() {
    if std::env::var_os(CHILD).is_some() {
        serve_without_root_certificates();
        println!("{VERDICT}");
        return;
    }
    let output = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("SSL_CERT_FILE", "/dev/null")
        .env_remove("SSL_CERT_DIR")
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the run without certificates failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(VERDICT), "the run without certificates did not run:\n{stdout}");
}

fn serve_without_root_certificates() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let app = app_with(None);
        let (status, body) = get(&app, "/api/issues/KAN-9").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"], "HTTPS_UNAVAILABLE", "{body}");
        assert_eq!(body["statusCode"], 503, "{body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains("Jira") && message.contains("CA bundle"), "{message}");

        // The failure is kept, not retried into a panic later.
        assert_eq!(get(&app, "/api/issues/KAN-9").await.0, StatusCode::SERVICE_UNAVAILABLE);
        let (status, body) = get(&app, "/api/health").await;
        assert_eq!(status, StatusCode::OK, "a route that never calls out still serves: {body}");

        let queue =
            SqsSender::from_lookup(SQS_QUEUE_URL, Some("us-east-1"), None, &moto::credentials);
        let with_queue = app_with(Some(Arc::new(queue)));
        let (status, body) = get(&with_queue, "/api/health").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["checks"]["cache"], "ok", "{body}");
        let queue = body["checks"]["queue"].as_str().unwrap_or_default();
        assert!(queue.contains("root certificates"), "{queue}");
    });
}

/// Auth off and an in-memory cache: nothing but the HTTP clients are under test. No address
/// is ever reached, since no client can be built.
fn app_with(queue: Option<Arc<dyn Queue>>) -> App {
    let jira = JiraConfig {
        base_url: "https://127.0.0.1:9".parse().expect("URL"),
        email: "bot@acme.example".into(),
        api_token: SecretString::from("jira-token"),
    };
    let clockwork = ClockworkConfig {
        api_base_url: "https://127.0.0.1:9".parse().expect("URL"),
        api_token: None,
    };
    App::new(
        &jira,
        &clockwork,
        Arc::new(MemoryCache::new()),
        queue,
        Auth::new(&AuthConfig::Disabled),
        HttpClient::new(HttpOptions::default()),
    )
}

async fn get(app: &App, path: &str) -> (StatusCode, Value) {
    let request = Request::get(path).body(Bytes::new()).expect("request");
    let response = clockwork_api::handle(app, request).await;
    let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status(), body)
}
