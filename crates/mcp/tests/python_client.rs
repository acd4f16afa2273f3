//! The official MCP Python SDK's client (`mcp_client.py`) against `POST /api/mcp` over HTTP:
//! the app over the demo's simulated Jira and Clockwork, signed tokens, and the timer sync
//! running in-process so a started timer reaches the cache as in production.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use chrono::{DateTime, FixedOffset};
use clockwork_api::App;
use clockwork_api::auth::{Auth, Role};
use clockwork_cache::memory::MemoryCache;
use clockwork_clients::{HttpClient, HttpOptions, report};
use clockwork_core::config::{AuthConfig, ClockworkConfig, JiraConfig, TimerSourceConfig};
use clockwork_core::{AccountId, Email};
use clockwork_queue::in_process::InProcessQueue;
use clockwork_testkit::demo::{
    DEMO_ACCOUNT_ID, DEMO_CLOCKWORK_TOKEN, DEMO_JIRA_COOKIE, DEMO_JIRA_EMAIL, DEMO_JIRA_TOKEN,
    DEMO_USER_EMAIL, Demo, start_demo,
};
use clockwork_testkit::{FakeWorklog, python};
use secrecy::SecretString;
use serde_json::Value;

const SECRET: &str = "mcp-python-client-tests-0123456789ab";

/// The app over the demo's sites, served on a free port: `/api/mcp` and the REST routes.
async fn serve(demo: &Demo) -> (String, Arc<App>) {
    let jira_base_url: url::Url = demo.jira.base_url().parse().expect("URL");
    let jira = JiraConfig {
        base_url: jira_base_url.clone(),
        email: DEMO_JIRA_EMAIL.into(),
        api_token: SecretString::from(DEMO_JIRA_TOKEN),
    };
    let clockwork = ClockworkConfig {
        api_base_url: demo.clockwork.base_url().parse().expect("URL"),
        api_token: Some(SecretString::from(DEMO_CLOCKWORK_TOKEN)),
    };
    let cache = Arc::new(MemoryCache::new());
    let (queue, receiver) = InProcessQueue::new();
    let queue = Arc::new(queue);
    let auth = Auth::new(&AuthConfig::Jwt { secret: SecretString::from(SECRET) });
    let http = HttpClient::new(HttpOptions::default());
    let app = Arc::new(App::new(
        &jira,
        &clockwork,
        cache.clone(),
        Some(queue.clone()),
        auth,
        http.clone(),
    ));
    let source = TimerSourceConfig::Connect {
        jira_base_url,
        cookie: SecretString::from(DEMO_JIRA_COOKIE),
        report_base_url: demo.clockwork.report_base_url().parse().expect("URL"),
    };
    let report = report::from_config(&source, http);
    let engine = Arc::new(clockwork_worker::wiring::engine(cache, report, app.jira.clone()));
    tokio::spawn(clockwork_worker::local::consume(engine, receiver, queue));

    let router = axum::Router::new()
        .route("/api/mcp", axum::routing::any(mcp))
        .fallback(rest)
        .with_state(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{address}"), app)
}

async fn mcp(
    State(app): State<Arc<App>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let response = match clockwork_api::host::read_body(body).await {
        Ok(bytes) => clockwork_mcp::handle(app, http::Request::from_parts(parts, bytes)).await,
        Err(refusal) => refusal,
    };
    response.map(axum::body::Body::from)
}

async fn rest(
    State(app): State<Arc<App>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let response = match clockwork_api::host::read_body(body).await {
        Ok(bytes) => clockwork_api::handle(&app, http::Request::from_parts(parts, bytes)).await,
        Err(refusal) => refusal,
    };
    response.map(axum::body::Body::from)
}

fn token(app: &App, account_id: &str, email: Option<&str>, role: Role) -> String {
    let account = AccountId::parse(account_id).expect("id");
    let email = email.map(|e| Email::parse(e).expect("email"));
    app.auth.issue(&account, email.as_ref(), role, Duration::from_secs(600)).expect("token")
}

/// Three worklogs of the demo user on two days of a quiet week, in their zone (UTC+7).
fn seed_worklogs(demo: &Demo) {
    let at = |raw: &str| DateTime::<FixedOffset>::parse_from_rfc3339(raw).expect("time");
    for (id, started, seconds) in [
        ("900001", "2025-03-03T09:00:00+07:00", 3_600),
        ("900002", "2025-03-03T14:00:00+07:00", 1_800),
        ("900003", "2025-03-04T10:00:00+07:00", 5_400),
    ] {
        demo.clockwork.add_worklog(FakeWorklog::new(
            id,
            "10001",
            DEMO_ACCOUNT_ID,
            at(started),
            seconds,
        ));
    }
}

/// Runs `mcp_client.py` and reads the JSON it prints.
async fn run_client(url: &str, user: &str, admin: &str) -> Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp_client.py");
    let interpreter = python::interpreter();
    let output = tokio::process::Command::new(&interpreter)
        .arg(script)
        .args([url, user, admin])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("the client finishes within a minute")
        .unwrap_or_else(|e| {
            panic!("cannot run {} ({e}): run .ci/services to install mcp", interpreter.display())
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "mcp_client.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn timer_keys(answer: &Value) -> Vec<&str> {
    answer["structured"]["timers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|timer| timer["issue"]["key"].as_str())
        .collect()
}

fn text(answer: &Value) -> &str {
    answer["text"][0].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_python_sdk_client_lists_the_tools_and_calls_each_as_its_tokens_user() {
    let demo = start_demo(None, None).await.expect("demo sites");
    seed_worklogs(&demo);
    let (base, app) = serve(&demo).await;
    let user = token(&app, DEMO_ACCOUNT_ID, Some(DEMO_USER_EMAIL), Role::User);
    let admin = token(&app, "acc-admin", None, Role::Admin);
    let out = run_client(&format!("{base}/api/mcp"), &user, &admin).await;

    let tools = out["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["get_active_timers", "get_worklogs", "search_issues", "start_timer", "stop_timer"]
    );
    assert!(tools.iter().all(|t| t["inputSchema"]["type"] == "object"), "{tools:?}");

    // Started through Clockwork, then visible once the sync the start asked for has run.
    assert_eq!(out["start"]["isError"], false, "{}", out["start"]);
    assert_eq!(out["start"]["structured"]["status"], "started");
    assert!(!timer_keys(&out["before"]).contains(&"KAN-2"), "{}", out["before"]);
    assert!(timer_keys(&out["active"]).contains(&"KAN-2"), "{}", out["active"]);
    assert!(text(&out["active"]).contains("KAN-2"), "{}", out["active"]);
    assert_eq!(out["stop"]["structured"]["status"], "stopped", "{}", out["stop"]);
    assert!(demo.clockwork.running_timers().iter().all(|t| t.issue_key != "KAN-2"));

    let worklogs = &out["worklogs"];
    assert_eq!(worklogs["isError"], false, "{worklogs}");
    assert_eq!(worklogs["structured"]["total"], 10_800);
    assert_eq!(worklogs["structured"]["totalHours"], "3:00");
    assert_eq!(
        worklogs["structured"]["days"],
        serde_json::json!([
            { "date": "2025-03-03", "seconds": 5_400, "hours": "1:30" },
            { "date": "2025-03-04", "seconds": 5_400, "hours": "1:30" },
        ])
    );
    assert_eq!(worklogs["structured"]["worklogs"].as_array().map(Vec::len), Some(3));
    assert!(text(worklogs).contains("3:00 in total"), "{worklogs}");

    let search = &out["search"];
    let keys: Vec<&str> = search["structured"]["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|issue| issue["key"].as_str())
        .collect();
    assert!(keys.contains(&"KAN-3"), "{search}");
    assert!(text(search).contains("KAN-3"), "{search}");

    for (step, field) in [("bad_date", "`to`"), ("too_long", "`to`"), ("bad_key", "`issueKey`")] {
        let answer = &out[step];
        assert_eq!(answer["isError"], true, "{step}: {answer}");
        assert_eq!(answer["structured"]["error"], "INVALID_INPUT", "{step}: {answer}");
        assert!(text(answer).starts_with(&format!("INVALID_INPUT: {field}")), "{step}: {answer}");
    }
    assert_eq!(out["not_admin"]["isError"], true);
    assert_eq!(out["not_admin"]["structured"]["error"], "FORBIDDEN", "{}", out["not_admin"]);

    let all = &out["admin_all"];
    assert_eq!(all["isError"], false, "{all}");
    assert_eq!(all["structured"]["accountId"], "all");
    assert!(timer_keys(all).len() >= 5, "{all}");
}
