//! The local runner as a person starts it: the real binary, over HTTP.

use clockwork_api::auth::{Auth, Caller};
use clockwork_core::config::AuthConfig;
use clockwork_testkit::demo::{DEMO_ACCOUNT_ID, DEMO_PROJECT_KEYS};
use demo::{admin_token, serve_demo, serve_demo_with};
use secrecy::SecretString;
use support::local;

#[path = "support/demo.rs"]
mod demo;
mod support;

#[tokio::test]
async fn demo_serves_every_route_against_the_simulated_sites() {
    let server = serve_demo();
    let http = clockwork_testkit::http_client();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", server.base);
        async move {
            let response = http.get(url).send().await.expect("GET");
            (response.status().as_u16(), response.json::<serde_json::Value>().await.expect("JSON"))
        }
    };

    let (status, health) = get("/api/health".into()).await;
    assert_eq!((status, &health["status"]), (200, &serde_json::json!("ok")), "{health}");

    // The schedule syncs at start: the running timers reach the cache within moments.
    let mut active = serde_json::Value::Null;
    for _ in 0..100 {
        active = get("/api/timers/active?accountId=all".into()).await.1;
        if active["timers"].as_array().is_some_and(|t| !t.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(active["timers"].as_array().map(Vec::len), Some(5), "{active}");
    let (_, mine) = get(format!("/api/timers/active?accountId={DEMO_ACCOUNT_ID}")).await;
    assert_eq!(mine["timers"].as_array().map(Vec::len), Some(2), "{mine}");

    let key = format!("{}-1", DEMO_PROJECT_KEYS[0]);
    let (status, issue) = get(format!("/api/issues/{key}")).await;
    assert_eq!(status, 200, "{issue}");
    assert_eq!(issue["issue"]["key"], key);

    let today = chrono::Utc::now().date_naive();
    let week_ago = today - chrono::Duration::days(6);
    let (status, worklogs) =
        get(format!("/api/worklogs?accountId={DEMO_ACCOUNT_ID}&date={week_ago}&to={today}")).await;
    assert_eq!(status, 200, "{worklogs}");
    assert!(
        !worklogs["worklogs"].as_array().expect("list").is_empty(),
        "the demo has worklogs this week"
    );
    assert!(worklogs["worklogs"][0]["issueKey"].is_string(), "{worklogs}");

    for action in ["start", "stop"] {
        let answer = http
            .post(format!("{}/api/timers/{action}", server.base))
            .body(format!(r#"{{"issueKey":"{key}"}}"#))
            .send()
            .await
            .expect("POST");
        assert_eq!(answer.status().as_u16(), 200, "{action}: {:?}", answer.text().await);
    }

    let (status, missing) = get("/api/nope".into()).await;
    assert_eq!((status, &missing["error"]), (404, &serde_json::json!("ROUTE_NOT_FOUND")));
}

#[tokio::test]
async fn demo_with_auth_asks_every_caller_for_a_token() {
    const SECRET: &str = "a-demo-secret-of-at-least-32-characters";
    let server = serve_demo_with(|command| {
        command.env("API_JWT_SECRET", SECRET).arg("--auth");
    });
    let token = admin_token(SECRET);
    let http = clockwork_testkit::http_client();
    let url = format!("{}/api/timers/active?accountId=all", server.base);
    let refused = http.get(&url).send().await.expect("GET");
    assert_eq!(refused.status().as_u16(), 401);
    let refused: serde_json::Value = refused.json().await.expect("JSON");
    assert_eq!(refused["error"], "AUTH_REQUIRED", "{refused}");
    let answer = http.get(&url).bearer_auth(&token).send().await.expect("GET");
    assert_eq!(answer.status().as_u16(), 200);
    let document = http.get(format!("{}/api/openapi.json", server.base)).send().await;
    assert_eq!(document.expect("GET").status().as_u16(), 200, "the document is public");

    let without_secret = local().args(["serve", "--demo", "--auth", "--port", "0"]).output();
    let without_secret = without_secret.expect("run clockwork-local");
    assert!(!without_secret.status.success());
    assert!(String::from_utf8_lossy(&without_secret.stderr).contains("API_JWT_SECRET"));
    let without_demo = local().args(["serve", "--auth", "--port", "0"]).output();
    let without_demo = without_demo.expect("run clockwork-local");
    assert!(String::from_utf8_lossy(&without_demo.stderr).contains("--demo"));
}

#[tokio::test]
async fn the_runner_serves_the_mcp_server_at_api_mcp() {
    let server = serve_demo();
    let http = clockwork_testkit::http_client();
    let post = |body: &'static str| {
        http.post(format!("{}/api/mcp", server.base))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body)
            .send()
    };
    let answer = post(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
    )
    .await
    .expect("POST");
    assert_eq!(answer.status().as_u16(), 200);
    let answer: serde_json::Value = answer.json().await.expect("JSON");
    assert_eq!(answer["result"]["serverInfo"]["name"], "clockwork", "{answer}");

    // Auth is off in the demo: a trusted caller names whose timers it reads.
    let answer = post(
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_active_timers","arguments":{"all":true}}}"#,
    )
    .await
    .expect("POST");
    let answer: serde_json::Value = answer.json().await.expect("JSON");
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(answer["result"]["structuredContent"]["accountId"], "all", "{answer}");

    let get = http.get(format!("{}/api/mcp/", server.base)).send().await.expect("GET");
    assert_eq!(get.status().as_u16(), 405);
}

#[test]
fn sync_timers_prints_its_summary_last() {
    let output = local().args(["sync", "timers", "--demo"]).output().expect("run clockwork-local");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a line")).expect("JSON");
    for field in ["runId", "timers", "users", "jiraCalls", "cacheHits", "durationMs"] {
        assert!(summary.get(field).is_some(), "{field} missing from {summary}");
    }
    assert_eq!(summary["timers"], 5);
    assert_eq!(summary["jiraCalls"], 1, "one bulk call for the demo's users");
}

#[test]
fn without_demo_or_credentials_serve_names_the_missing_variables() {
    let output = local().args(["serve", "--port", "0"]).output().expect("run clockwork-local");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in ["JIRA_DOMAIN", "ATLASSIAN_EMAIL", "ATLASSIAN_API_TOKEN", "API_JWT_SECRET"] {
        assert!(stderr.contains(name), "{stderr}");
    }
    assert!(stderr.contains("--demo"), "{stderr}");
}

#[test]
fn token_issue_prints_a_token_the_api_accepts() {
    const SECRET: &str = "a-local-test-secret-of-32-characters!";
    let output = local()
        .env("API_JWT_SECRET", SECRET)
        .args(["token", "issue", "--account-id", "acc-1", "--admin", "--ttl", "1h"])
        .output()
        .expect("run clockwork-local");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8(output.stdout).expect("utf-8");

    let auth = Auth::new(&AuthConfig::Jwt { secret: SecretString::from(SECRET) });
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::AUTHORIZATION,
        format!("Bearer {}", token.trim()).parse().expect("header"),
    );
    let caller = auth.caller(&headers).expect("a valid token");
    assert!(matches!(caller, Caller::Admin { account_id, .. } if account_id.as_str() == "acc-1"));

    let refused = local()
        .env("API_JWT_SECRET", SECRET)
        .args(["token", "issue", "--account-id", "../x"])
        .output()
        .expect("run clockwork-local");
    assert!(!refused.status.success());
}

#[tokio::test]
async fn demo_tracks_and_syncs_its_project_on_a_schedule_with_no_typing() {
    let server = serve_demo();
    let url = format!("sqlite://{}", server.data.path().join("store.db").display());
    let store = clockwork_store::Store::connect(&clockwork_store::StoreConfig::new(&url).unwrap())
        .await
        .expect("the runner's store");
    let project = DEMO_PROJECT_KEYS[0];
    let mut runs = Vec::new();
    for _ in 0..200 {
        runs = store.recent_runs(project, 5).await.unwrap_or_default();
        if !runs.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(runs.first().is_some_and(|run| run.succeeded && run.issues > 0), "{runs:?}");
    let job = store.sync_job(project).await.unwrap().expect("a schedule");
    assert_eq!(
        (job.cron.as_str(), job.status),
        ("*/15 * * * *", clockwork_store::JobStatus::Active)
    );
    let now = chrono::Utc::now().timestamp_millis();
    let next = job.next_run_ms.expect("a next run");
    assert!(next > now && next <= now + 15 * 60_000, "next run {next}, now {now}");
    assert!(store.counts().await.unwrap().issues > 0);
}
