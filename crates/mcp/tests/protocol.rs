//! The JSON-RPC and HTTP rules of `POST /api/mcp`, request by request through the handler.
//! No upstream is reachable here: every answer below is decided before one would be called.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clockwork_api::App;
use clockwork_api::auth::{Auth, Role};
use clockwork_cache::memory::MemoryCache;
use clockwork_clients::{HttpClient, HttpOptions};
use clockwork_core::AccountId;
use clockwork_core::config::{AuthConfig, ClockworkConfig, JiraConfig};
use http::{Method, Request, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};

const SECRET: &str = "mcp-protocol-tests-0123456789abcdef";

fn app() -> Arc<App> {
    let unused: url::Url = "http://127.0.0.1:9".parse().expect("URL");
    let jira = JiraConfig {
        base_url: unused.clone(),
        email: "bot@acme.example".into(),
        api_token: SecretString::from("jira-token"),
    };
    let clockwork = ClockworkConfig { api_base_url: unused, api_token: None };
    let auth = Auth::new(&AuthConfig::Jwt { secret: SecretString::from(SECRET) });
    let http = HttpClient::new(HttpOptions::default());
    Arc::new(App::new(&jira, &clockwork, Arc::new(MemoryCache::new()), None, auth, http))
}

fn token(app: &App, role: Role) -> String {
    let account = AccountId::parse("acc-ann").expect("id");
    app.auth.issue(&account, None, role, Duration::from_secs(600)).expect("token")
}

fn request(method: Method, token: Option<&str>, body: &str) -> Request<Bytes> {
    let mut builder = Request::builder()
        .method(method)
        .uri("/api/mcp")
        .header("host", "clockwork.example")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Bytes::from(body.to_owned())).expect("request")
}

async fn send(app: &Arc<App>, request: Request<Bytes>) -> (StatusCode, Bytes) {
    let response = clockwork_mcp::handle(app.clone(), request).await;
    (response.status(), response.into_body())
}

/// A JSON-RPC call as Ann (a user), and its JSON answer.
async fn rpc(app: &Arc<App>, method: &str, params: Value) -> (StatusCode, Value) {
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params });
    let token = token(app, Role::User);
    let (status, body) = send(app, request(Method::POST, Some(&token), &body.to_string())).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn initialize_names_the_server_and_its_tools_capability() {
    let app = app();
    let params = json!({
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": { "name": "test", "version": "1" },
    });
    let (status, answer) = rpc(&app, "initialize", params).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["id"], 7);
    assert_eq!(answer["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(answer["result"]["serverInfo"]["name"], "clockwork");
    assert!(answer["result"]["capabilities"]["tools"].is_object(), "{answer}");
}

#[tokio::test]
async fn a_notification_is_accepted_with_an_empty_body() {
    let app = app();
    let token = token(&app, Role::User);
    let body = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let (status, body) = send(&app, request(Method::POST, Some(&token), body)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(body.is_empty(), "{body:?}");
}

#[tokio::test]
async fn tools_list_declares_five_tools_with_object_schemas() {
    let (status, answer) = rpc(&app(), "tools/list", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let tools = answer["result"]["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["get_active_timers", "get_worklogs", "search_issues", "start_timer", "stop_timer"]
    );
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().is_some_and(|d| !d.is_empty()), "{tool}");
    }
}

#[tokio::test]
async fn an_unknown_method_is_a_method_not_found_error() {
    let (status, answer) = rpc(&app(), "timers/delete_all", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["id"], 7);
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_parse_error_with_400() {
    let app = app();
    let token = token(&app, Role::User);
    let (status, body) = send(&app, request(Method::POST, Some(&token), "{\"jsonrpc\":")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let answer: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(answer["jsonrpc"], "2.0");
    assert_eq!(answer["error"]["code"], -32700, "{answer}");
}

#[tokio::test]
async fn json_that_is_not_a_json_rpc_message_is_an_invalid_request_with_400() {
    let app = app();
    let token = token(&app, Role::User);
    for body in ["[]", "{}", r#"{"jsonrpc":"1.0","id":1,"method":"tools/list"}"#] {
        let (status, answer) = send(&app, request(Method::POST, Some(&token), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = serde_json::from_slice(&answer).expect("JSON");
        assert_eq!(answer["error"]["code"], -32600, "{body}: {answer}");
    }
}

#[tokio::test]
async fn a_missing_or_invalid_token_is_refused_with_the_rest_401() {
    let app = app();
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    for (token, code) in [(None, "AUTH_REQUIRED"), (Some("not-a-token"), "AUTH_INVALID")] {
        let (status, answer) = send(&app, request(Method::POST, token, body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let answer: Value = serde_json::from_slice(&answer).expect("JSON");
        assert_eq!(answer["error"], code, "{answer}");
        assert_eq!(answer["statusCode"], 401);
    }
}

#[tokio::test]
async fn a_get_is_answered_405_as_there_is_no_event_stream() {
    let app = app();
    let token = token(&app, Role::User);
    let response = clockwork_mcp::handle(app.clone(), request(Method::GET, Some(&token), "")).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn bad_arguments_are_a_tool_error_naming_the_field_with_invalid_input() {
    let params = json!({ "name": "get_worklogs", "arguments": { "from": "2025-13-01" } });
    let (status, answer) = rpc(&app(), "tools/call", params).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let result = &answer["result"];
    assert_eq!(result["isError"], true, "{answer}");
    assert_eq!(result["structuredContent"]["error"], "INVALID_INPUT");
    let text = result["content"][0]["text"].as_str().expect("text");
    assert!(text.starts_with("INVALID_INPUT: `from`"), "{text}");
}

#[tokio::test]
async fn a_user_naming_someone_else_gets_the_rest_forbidden_as_a_tool_error() {
    let params = json!({ "name": "search_issues", "arguments": { "accountId": "acc-bob" } });
    let (_, answer) = rpc(&app(), "tools/call", params).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    assert_eq!(answer["result"]["structuredContent"]["error"], "FORBIDDEN", "{answer}");
}

#[tokio::test]
async fn an_unknown_tool_is_an_invalid_params_error() {
    let params = json!({ "name": "delete_worklogs", "arguments": {} });
    let (_, answer) = rpc(&app(), "tools/call", params).await;
    assert_eq!(answer["error"]["code"], -32602, "{answer}");
}
