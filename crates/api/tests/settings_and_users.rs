//! `POST /api/settings/validate` and `GET /api/users/resolve`: setting up the client.

mod common;

use clockwork_testkit::jira::FakeUser;
use common::{ANN, ANN_CLOCKWORK_TOKEN, ANN_EMAIL, BOB, Harness, assert_error};
use http::{Method, StatusCode};
use serde_json::{Value, json};

const VALIDATE: &str = "/api/settings/validate";

fn settings(account_id: &str, token: &str) -> String {
    json!({ "accountId": account_id, "clockworkApiToken": token }).to_string()
}

#[tokio::test]
async fn valid_settings_answer_the_jira_user() {
    let h = Harness::start().await;
    let (status, body) =
        h.post(VALIDATE, Some(&h.ann()), &settings(ANN, ANN_CLOCKWORK_TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["valid"], true);
    let user = &body["user"];
    assert_eq!(user["accountId"], ANN);
    assert_eq!(user["displayName"], "Ann Example");
    assert_eq!(user["emailAddress"], ANN_EMAIL);
    assert!(user["avatarUrl"].as_str().is_some_and(|url| url.starts_with("http")), "{body}");
    assert_eq!(h.clockwork.requests("GET /worklogs"), 1, "one cheap authorised call");
}

#[tokio::test]
async fn an_unknown_clockwork_token_is_invalid_naming_the_field_and_never_echoed() {
    let h = Harness::start().await;
    let guess = "cw-guessed-token-31337";
    let (status, body) = h.post(VALIDATE, Some(&h.ann()), &settings(ANN, guess)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["valid"], false);
    assert_eq!(body["field"], "clockworkApiToken");
    assert_eq!(body["error"], "CLOCKWORK_TOKEN_INVALID");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(!body.to_string().contains(guess), "{body}");
}

#[tokio::test]
async fn an_unknown_or_malformed_account_is_invalid_naming_the_field() {
    let h = Harness::start().await;
    let (status, body) =
        h.post(VALIDATE, Some(&h.admin()), &settings("acc-nobody", ANN_CLOCKWORK_TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["valid"], false);
    assert_eq!(body["field"], "accountId");
    assert_eq!(body["error"], "ACCOUNT_NOT_FOUND");
    let (_, body) = h.post(VALIDATE, Some(&h.admin()), &settings("a b", ANN_CLOCKWORK_TOKEN)).await;
    assert_eq!((body["valid"].clone(), body["field"].clone()), (json!(false), json!("accountId")));
    let answer = h.post(VALIDATE, Some(&h.ann()), &settings(BOB, ANN_CLOCKWORK_TOKEN)).await;
    assert_error(&answer, StatusCode::FORBIDDEN, "FORBIDDEN");
}

#[tokio::test]
async fn a_malformed_settings_body_is_400() {
    let h = Harness::start().await;
    for body in [
        "",
        "[]",
        "{",
        r#"{"accountId": 5, "clockworkApiToken": "x"}"#,
        r#"{"accountId": "acc-ann"}"#,
    ] {
        let answer = h.post(VALIDATE, Some(&h.ann()), body).await;
        assert_eq!(answer.0, StatusCode::BAD_REQUEST, "{body}: {}", answer.1);
        assert_eq!(answer.1["statusCode"], 400);
    }
    assert_eq!(h.clockwork.total_requests() + h.jira.total_requests(), 0);
}

#[tokio::test]
async fn settings_checks_are_limited_to_ten_a_minute_per_caller() {
    let h = Harness::start().await;
    let body = settings(ANN, "cw-guess");
    for _ in 0..10 {
        assert_eq!(h.post(VALIDATE, Some(&h.ann()), &body).await.0, StatusCode::OK);
    }
    let (status, answer, headers) =
        h.send(common::request(Method::POST, VALIDATE, Some(&h.ann()), &body)).await;
    assert_error(&(status, answer), StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED");
    let retry_after: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let bob = h.token(BOB, None, clockwork_api::auth::Role::User);
    assert_eq!(h.post(VALIDATE, Some(&bob), &settings(BOB, "cw-guess")).await.0, StatusCode::OK);
}

fn account_ids(body: &Value) -> Vec<&str> {
    body["users"]
        .as_array()
        .unwrap_or_else(|| panic!("no users in {body}"))
        .iter()
        .map(|user| user["accountId"].as_str().expect("accountId"))
        .collect()
}

#[tokio::test]
async fn an_email_resolves_to_its_account_and_is_cached_for_two_days() {
    let h = Harness::start().await;
    let (status, body) = h.get("/api/users/resolve?email=ANN%40acme.example", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(account_ids(&body), [ANN]);
    assert_eq!(body["users"][0]["displayName"], "Ann Example");
    assert_eq!(body["users"][0]["emailAddress"], ANN_EMAIL);
    assert!(body["users"][0]["avatarUrl"].as_str().is_some_and(|url| !url.is_empty()));
    let ttl = h.redis.ttl(&format!("jira:email:{ANN_EMAIL}")).await;
    assert!((172_000..=172_800).contains(&ttl), "{ttl}");
    h.get("/api/users/resolve?email=ann%40acme.example", Some(&h.ann())).await;
    assert_eq!(h.jira.requests("GET /rest/api/3/user/search"), 1);
}

#[tokio::test]
async fn a_hidden_email_is_never_claimed_as_a_match() {
    let h = Harness::start().await;
    h.jira.add_user(FakeUser::new("acc-cat", "Cat Private").with_hidden_email("cat@acme.example"));
    let (status, body) = h.get("/api/users/resolve?email=cat%40acme.example", Some(&h.ann())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(account_ids(&body), Vec::<&str>::new(), "Jira found her but showed no email");
    assert_eq!(h.redis.get("jira:email:cat@acme.example").await, None);
    let (_, body) = h.get("/api/users/resolve?query=cat", Some(&h.ann())).await;
    assert_eq!(account_ids(&body), ["acc-cat"]);
    assert!(body["users"][0].get("emailAddress").is_none(), "{body}");
}

#[tokio::test]
async fn resolve_needs_exactly_one_of_email_or_query() {
    let h = Harness::start().await;
    for path in [
        "/api/users/resolve",
        "/api/users/resolve?email=a%40b.example&query=a",
        "/api/users/resolve?email=not-an-email",
    ] {
        let answer = h.get(path, Some(&h.ann())).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, "INVALID_INPUT");
    }
    assert_eq!(h.jira.total_requests(), 0);
}
