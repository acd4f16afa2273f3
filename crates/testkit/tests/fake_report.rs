//! The report app and the session endpoints that hand out its credentials, checked over HTTP
//! with a plain client.

use clockwork_testkit::http_client;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use clockwork_testkit::jira::ExpiryFormat;
use clockwork_testkit::{FakeClockwork, FakeJira, FakeTimer};
use reqwest::StatusCode;
use serde_json::{Value, json};

const COOKIE: &str = "cloud.session.token=abc; atlassian.xsrf.token=def";
const TENANT: &str = "tenant-token";
const EXTENSION: &str = "ari:cloud:ecosystem::extension/app/env/static/timers";
const SERVLET: &str = "/plugins/servlet/ac/clockwork-cloud/clockwork-timers";

/// reqwest brings no crypto provider of its own; the process's is installed first.
async fn site() -> (FakeJira, FakeClockwork) {
    let jira = FakeJira::start("bot@acme.example", "api-token").await;
    let clockwork = FakeClockwork::start().await;
    jira.set_session_cookie(COOKIE);
    jira.set_tenant_session_token(TENANT);
    jira.set_forge_app("cloud-1", "ws-1", EXTENSION);
    jira.link_report(&clockwork);
    (jira, clockwork)
}

async fn servlet(jira: &FakeJira, cookie: Option<&str>) -> (StatusCode, Value) {
    let mut request = http_client().post(format!("{}{SERVLET}?classifier=json", jira.base_url()));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    let response = request.send().await.expect("servlet request");
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

async fn timers(clockwork: &FakeClockwork, jwt: Option<&str>, page: u32) -> (StatusCode, Value) {
    let mut request = http_client().get(format!(
        "{}/timers.json?page={page}&xdm_e=https://acme.atlassian.net",
        clockwork.report_base_url()
    ));
    if let Some(jwt) = jwt {
        request = request.header("Authorization", format!("JWT {jwt}"));
    }
    let response = request.send().await.expect("timers request");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}

#[tokio::test]
async fn the_servlet_trades_the_session_cookie_for_a_jwt_the_report_app_accepts() {
    let (jira, clockwork) = site().await;
    clockwork.add_timer(FakeTimer::running("KAN-1", "10001", "acc-1", Utc::now()));
    assert_eq!(servlet(&jira, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(servlet(&jira, Some("cloud.session.token=old")).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = servlet(&jira, Some(COOKIE)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let jwt = body["contextJwt"].as_str().expect("contextJwt");
    let exp = claims(jwt)["exp"].as_i64().expect("exp");
    assert!((exp - Utc::now().timestamp() - 900).abs() <= 2, "{exp}");
    assert_eq!(jira.minted_credentials(), 1);

    let (status, page) = timers(&clockwork, Some(jwt), 1).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["timers"][0]["issue"], json!({ "key": "KAN-1", "id": 10001 }));
    assert_eq!(timers(&clockwork, None, 1).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(timers(&clockwork, Some("forged.jwt.x"), 1).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(clockwork.requests("GET /timers.json"), 3);
    assert_eq!(jira.requests(&format!("POST {SERVLET}")), 3);
    assert_eq!(clockwork.base_url(), format!("{}/v1", clockwork.report_base_url()));
}

#[tokio::test]
async fn a_disabled_servlet_is_404_and_expired_credentials_are_refused() {
    let (jira, clockwork) = site().await;
    jira.set_credential_ttl(Duration::ZERO);
    let (_, body) = servlet(&jira, Some(COOKIE)).await;
    let expired = body["contextJwt"].as_str().expect("contextJwt");
    assert_eq!(timers(&clockwork, Some(expired), 1).await.0, StatusCode::UNAUTHORIZED);
    jira.disable_connect_servlet();
    assert_eq!(servlet(&jira, Some(COOKIE)).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_timer_is_paged_running_or_finished() {
    let (jira, clockwork) = site().await;
    for n in 0..7 {
        let mut timer = FakeTimer::running("KAN-1", "10001", "acc-1", Utc::now());
        timer.finished_at = (n % 2 == 1).then(Utc::now);
        clockwork.add_timer(timer);
    }
    clockwork.set_timers_page_size(3);
    let (_, body) = servlet(&jira, Some(COOKIE)).await;
    let jwt = body["contextJwt"].as_str().expect("contextJwt");
    let (_, first) = timers(&clockwork, Some(jwt), 1).await;
    assert_eq!(
        (&first["page"], &first["pages"], &first["total"], &first["maxResults"]),
        (&json!(1), &json!(3), &json!(7), &json!(3))
    );
    assert_eq!(
        (&first["isFirst"], &first["isLast"], &first["startAt"]),
        (&json!(true), &json!(false), &json!(0))
    );
    let (_, last) = timers(&clockwork, Some(jwt), 3).await;
    assert_eq!(last["timers"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (&last["isLast"], &last["startAt"], &last["timers"][0]["id"]),
        (&json!(true), &json!(6), &json!(7))
    );
    assert!(first["timers"][1]["finished_at"].is_string(), "finished timers are listed too");
}

async fn forge_post(jira: &FakeJira, path: &str, cookie: &str, body: Value) -> (StatusCode, Value) {
    let response = http_client()
        .post(format!("{}{path}", jira.base_url()))
        .header("Cookie", format!("ajs_anonymous_id=x; tenant.session.token={cookie}"))
        .json(&body)
        .send()
        .await
        .expect("forge request");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

fn invocation(token: &str, extension: &str, path: &str) -> Value {
    json!({
        "query": "mutation invokeExtension($input: InvokeExtensionInput!) { invokeExtension(input: $input) { success } }",
        "variables": { "input": {
            "contextIds": ["ari:cloud:jira:cloud-1:workspace/ws-1"],
            "extensionId": extension,
            "entryPoint": "resolver",
            "payload": {
                "call": { "method": "GET", "path": path, "invokeType": "ui-remote-fetch" },
                "contextToken": token,
            },
        } },
    })
}

#[tokio::test]
async fn forge_tokens_buy_pages_through_invoke_extension_with_refreshed_tokens() {
    let (jira, clockwork) = site().await;
    clockwork.add_timer(FakeTimer::running("KAN-1", "10001", "acc-1", Utc::now()));
    let token_path = "/rest/internal/2/forge/context/token";
    let body = json!({ "extensionId": EXTENSION });
    assert_eq!(
        forge_post(&jira, token_path, "stale", body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    jira.set_expiry_format(ExpiryFormat::Iso8601);
    let (status, answer) = forge_post(&jira, token_path, TENANT, body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!((&answer["extensionId"], &answer["expiresIn"]), (&json!(EXTENSION), &json!(900)));
    assert!(answer["expiresAt"].as_str().is_some_and(|at| at.ends_with('Z')), "{answer}");
    let token = answer["token"].as_str().expect("token");

    let graphql = "/gateway/api/graphql";
    let (status, answer) =
        forge_post(&jira, graphql, TENANT, invocation(token, EXTENSION, "/timers.json?page=1"))
            .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let invoked = &answer["data"]["invokeExtension"];
    let page: Value = serde_json::from_str(
        invoked["response"]["body"]["payload"]["body"].as_str().expect("text"),
    )
    .expect("a JSON page");
    assert_eq!(page["total"], 1);
    let refreshed = invoked["contextToken"]["jwt"].as_str().expect("refreshed token");
    assert_ne!(refreshed, token);
    assert_eq!(jira.minted_credentials(), 2);

    let denied = [
        invocation("not-a-token", EXTENSION, "/timers.json?page=1"),
        invocation(refreshed, "ari:cloud:ecosystem::extension/other", "/timers.json?page=1"),
    ];
    for request in denied {
        let (status, answer) = forge_post(&jira, graphql, TENANT, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            answer["errors"][0]["message"],
            "User did not have access to specified resource"
        );
    }
    let (_, answer) =
        forge_post(&jira, graphql, TENANT, invocation(refreshed, EXTENSION, "/other")).await;
    assert_eq!(answer["data"]["invokeExtension"]["success"], false);
    assert_eq!(jira.requests("POST /gateway/api/graphql"), 4);
}
