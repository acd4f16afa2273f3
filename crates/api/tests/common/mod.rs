//! A whole app wired to the test kit's fakes, a leased real Redis database and a fresh
//! queue on moto; requests go straight through the shared handler.

#![allow(dead_code)] // each test file uses a different part

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clockwork_api::App;
use clockwork_api::auth::{Auth, Role};
use clockwork_cache::json::set_json;
use clockwork_cache::redis_backend::RedisCache;
use clockwork_clients::{HttpClient, HttpOptions};
use clockwork_core::config::{AuthConfig, ClockworkConfig, JiraConfig};
use clockwork_core::contract::{CachedTimers, Timer, TimerIssue, keys};
use clockwork_core::{AccountId, Email};
use clockwork_queue::sqs::SqsSender;
use clockwork_testkit::clockwork::FakeClockwork;
use clockwork_testkit::jira::{FakeJira, FakeProject, FakeUser};
use clockwork_testkit::moto;
use clockwork_testkit::redis_db::RedisDb;
use http::{Method, Request, StatusCode};
use secrecy::SecretString;
use serde_json::Value;

pub const SECRET: &str = "route-tests-secret-0123456789abcdef";
pub const JIRA_EMAIL: &str = "bot@acme.example";
pub const JIRA_TOKEN: &str = "jira-token";
pub const ANN: &str = "acc-ann";
pub const ANN_EMAIL: &str = "ann@acme.example";
pub const ANN_CLOCKWORK_TOKEN: &str = "cw-token-ann";
pub const BOB: &str = "acc-bob";
pub const BOB_CLOCKWORK_TOKEN: &str = "cw-token-bob";

pub struct Harness {
    pub app: App,
    pub jira: FakeJira,
    pub clockwork: FakeClockwork,
    pub redis: RedisDb,
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
}

/// Fast, but retrying as in production.
pub fn http_options() -> HttpOptions {
    HttpOptions {
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        max_attempts: 3,
        max_retry_wait: Duration::from_secs(2),
        base_backoff: Duration::from_millis(10),
    }
}

impl Harness {
    /// Configured with the server-wide Clockwork token of Ann.
    pub async fn start() -> Self {
        Self::start_with(Some(ANN_CLOCKWORK_TOKEN)).await
    }

    pub async fn start_with(server_clockwork_token: Option<&str>) -> Self {
        let auth = Auth::new(&AuthConfig::Jwt { secret: SecretString::from(SECRET) });
        Self::start_with_auth(server_clockwork_token, auth).await
    }

    /// A private deployment as the unmodified client uses it: `AUTH_DISABLED=true` and
    /// Ann's Clockwork token as the server-wide `CLOCKWORK_API_TOKEN`.
    pub async fn start_private() -> Self {
        Self::start_with_auth(Some(ANN_CLOCKWORK_TOKEN), Auth::new(&AuthConfig::Disabled)).await
    }

    async fn start_with_auth(server_clockwork_token: Option<&str>, auth: Auth) -> Self {
        let jira = FakeJira::start(JIRA_EMAIL, JIRA_TOKEN).await;
        jira.add_user(FakeUser::new(ANN, "Ann Example").with_email(ANN_EMAIL));
        jira.add_user(FakeUser::new(BOB, "Bob Hidden"));
        jira.add_project(FakeProject::new("10000", "KAN", "Kanban Team"));
        let clockwork = FakeClockwork::start().await;
        clockwork.add_token(ANN_CLOCKWORK_TOKEN, ANN);
        clockwork.add_token(BOB_CLOCKWORK_TOKEN, BOB);
        let redis = RedisDb::lease().await;
        let cache =
            RedisCache::connect(&SecretString::from(redis.url.clone())).await.expect("Redis");
        let sqs = moto::client();
        let queue_url = moto::create_queue(&sqs, 30).await;
        // What the deployed routes enqueue with; the SDK client reads the queue back.
        let queue = SqsSender::from_lookup(
            &queue_url,
            Some("us-east-1"),
            Some(&moto::endpoint()),
            &moto::credentials,
        );
        let jira_config = JiraConfig {
            base_url: jira.base_url().parse().expect("URL"),
            email: JIRA_EMAIL.into(),
            api_token: SecretString::from(JIRA_TOKEN),
        };
        let clockwork_config = ClockworkConfig {
            api_base_url: clockwork.base_url().parse().expect("URL"),
            api_token: server_clockwork_token.map(SecretString::from),
        };
        let app = App::new(
            &jira_config,
            &clockwork_config,
            Arc::new(cache),
            Some(Arc::new(queue)),
            auth,
            HttpClient::new(http_options()),
        );
        Self { app, jira, clockwork, redis, sqs, queue_url }
    }

    pub fn token(&self, account_id: &str, email: Option<&str>, role: Role) -> String {
        let email = email.map(|e| Email::parse(e).expect("email"));
        self.app
            .auth
            .issue(
                &AccountId::parse(account_id).expect("id"),
                email.as_ref(),
                role,
                Duration::from_secs(600),
            )
            .expect("token")
    }

    pub fn ann(&self) -> String {
        self.token(ANN, Some(ANN_EMAIL), Role::User)
    }

    pub fn admin(&self) -> String {
        self.token("acc-admin", None, Role::Admin)
    }

    pub async fn send(&self, request: Request<Bytes>) -> (StatusCode, Value, http::HeaderMap) {
        let response = clockwork_api::handle(&self.app, request).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        (status, body, headers)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let (status, body, _) = self.send(request(Method::GET, path, token, "")).await;
        (status, body)
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &str) -> (StatusCode, Value) {
        let (status, body, _) = self.send(request(Method::POST, path, token, body)).await;
        (status, body)
    }

    /// Caches `timers` under `clockwork:timers:<user_key>` as the worker would.
    pub async fn seed_timers(&self, user_key: &str, timers: Vec<Timer>) {
        let entry = CachedTimers {
            timers,
            cached_at: "2026-11-23T09:00:00Z".into(),
            user_key: user_key.into(),
        };
        set_json(&*self.app.cache, &keys::timers(user_key), &entry, None).await.expect("seed");
    }

    /// Event bodies enqueued so far (received and deleted).
    pub async fn enqueued(&self) -> Vec<Value> {
        moto::drain(&self.sqs, &self.queue_url)
            .await
            .iter()
            .map(|body| serde_json::from_str(body).expect("JSON event"))
            .collect()
    }
}

/// A running timer of `running_for` on `issue`, without an author.
pub fn timer(id: u64, running_for: &str, issue: &str) -> Timer {
    Timer {
        id,
        started_at: "2026-11-23T08:00:00.000Z".into(),
        finished_at: None,
        comment: Some("pairing".into()),
        running_for: running_for.into(),
        till_now: 754,
        worklog_count: 2,
        issue: TimerIssue { key: issue.into(), id: 10_000 + id },
        author: None,
        within_working_hours: true,
        started_within_working_hours: true,
    }
}

pub fn request(method: Method, path: &str, token: Option<&str>, body: &str) -> Request<Bytes> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    builder.body(Bytes::from(body.to_owned())).expect("request")
}

/// Asserts an error answer's status and machine code, and that it has a message.
pub fn assert_error(answer: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], code, "{}", answer.1);
    assert_eq!(answer.1["statusCode"], status.as_u16(), "{}", answer.1);
    assert!(answer.1["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", answer.1);
}
