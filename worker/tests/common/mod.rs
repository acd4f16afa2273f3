//! A simulated site (fake Jira linked to a fake Clockwork report app), a leased Redis
//! database, and the worker's engine wired to them as in production.

#![allow(dead_code)] // each test file uses a different part

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clockwork_cache::Cache;
use clockwork_cache::redis_backend::RedisCache;
use clockwork_clients::{HttpClient, HttpOptions, JiraApi, JiraClient, report};
use clockwork_core::config::{JiraConfig, TimerSourceConfig};
use clockwork_core::contract::{CachedJiraUser, CachedTimers, keys};
use clockwork_core::event::{Event, TIMERS_SYNC_REQUESTED};
use clockwork_durable::{Engine, Outcome};
use clockwork_testkit::clockwork::{FakeAuthor, FakeClockwork, FakeTimer};
use clockwork_testkit::jira::{FakeJira, FakeUser};
use clockwork_testkit::redis_db::RedisDb;
use secrecy::SecretString;

pub const EMAIL: &str = "bot@acme.example";
pub const TOKEN: &str = "jira-token";
pub const COOKIE: &str = "JSESSIONID=abc; cloud.session.token=s3cr3t";
pub const TENANT: &str = "tenant-session-s3cr3t";

pub struct Site {
    pub jira: FakeJira,
    pub clockwork: FakeClockwork,
    pub redis: RedisDb,
    pub cache: Arc<dyn Cache>,
    pub engine: Engine,
    source: TimerSourceConfig,
    jira_client: Arc<dyn JiraApi>,
}

/// Fast back-off; a fresh client, as another process would have.
pub fn http() -> HttpClient {
    HttpClient::new(HttpOptions {
        timeout: Duration::from_secs(2),
        base_backoff: Duration::from_millis(5),
        ..HttpOptions::default()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Connect,
    Forge,
}

impl Site {
    pub async fn start(source: Source) -> Self {
        let jira = FakeJira::start(EMAIL, TOKEN).await;
        let clockwork = FakeClockwork::start().await;
        jira.link_report(&clockwork);
        jira.set_session_cookie(COOKIE);
        jira.set_tenant_session_token(TENANT);
        jira.set_forge_app("cloud-1", "workspace-1", "extension-1");
        let redis = RedisDb::lease().await;
        let cache: Arc<dyn Cache> = Arc::new(
            RedisCache::connect(&SecretString::from(redis.url.clone())).await.expect("Redis"),
        );
        let jira_base = jira.base_url().parse().expect("URL");
        let source = match source {
            Source::Connect => TimerSourceConfig::Connect {
                jira_base_url: jira_base,
                cookie: SecretString::from(COOKIE),
                report_base_url: clockwork.report_base_url().parse().expect("URL"),
            },
            Source::Forge => TimerSourceConfig::Forge {
                jira_base_url: jira_base,
                tenant_session_token: SecretString::from(TENANT),
                cloud_id: "cloud-1".into(),
                workspace_id: "workspace-1".into(),
                extension_id: "extension-1".into(),
            },
        };
        let jira_config = JiraConfig {
            base_url: jira.base_url().parse().expect("URL"),
            email: EMAIL.into(),
            api_token: SecretString::from(TOKEN),
        };
        let jira_client: Arc<dyn JiraApi> = Arc::new(JiraClient::new(&jira_config, http()));
        let engine = clockwork_worker::wiring::engine(
            cache.clone(),
            report::from_config(&source, http()),
            jira_client.clone(),
        );
        Self { jira, clockwork, redis, cache, engine, source, jira_client }
    }

    /// The engine another process would build: same configuration and cache, nothing
    /// shared in memory.
    pub fn another_process(&self) -> Engine {
        clockwork_worker::wiring::engine(
            self.cache.clone(),
            report::from_config(&self.source, http()),
            self.jira_client.clone(),
        )
    }

    /// A Jira user, with an email unless hidden.
    pub fn user(&self, account_id: &str, name: &str, email: Option<&str>) {
        let user = FakeUser::new(account_id, name);
        self.jira.add_user(match email {
            Some(email) => user.with_email(email),
            None => user,
        });
    }

    /// A running timer of `account_id` on `issue` (no author, as Clockwork often sends).
    pub fn timer(&self, account_id: &str, issue: u64) -> u64 {
        let started = Utc::now() - chrono::Duration::minutes(5);
        self.clockwork.add_timer(FakeTimer::running(
            &format!("KAN-{issue}"),
            &(10_000 + issue).to_string(),
            account_id,
            started,
        ))
    }

    /// A running timer that already carries an author.
    pub fn timer_with_author(&self, account_id: &str, issue: u64, email: Option<&str>) -> u64 {
        let started = Utc::now() - chrono::Duration::minutes(5);
        let mut timer = FakeTimer::running(
            &format!("KAN-{issue}"),
            &(10_000 + issue).to_string(),
            account_id,
            started,
        );
        timer.author = Some(FakeAuthor {
            account_id: account_id.into(),
            display_name: "As Clockwork knows them".into(),
            email: email.map(Into::into),
            avatar_url: None,
        });
        self.clockwork.add_timer(timer)
    }

    pub async fn sync(&self, run_id: &str) -> Outcome {
        self.engine
            .handle(&Event::with_id(TIMERS_SYNC_REQUESTED, run_id, serde_json::json!({})))
            .await
    }

    pub async fn cached(&self, user_key: &str) -> Option<CachedTimers> {
        self.redis
            .get(&keys::timers(user_key))
            .await
            .map(|raw| serde_json::from_str(&raw).expect("cached timers"))
    }

    pub async fn cached_user(&self, account_id: &str) -> Option<CachedJiraUser> {
        self.redis
            .get(&keys::jira_user(account_id))
            .await
            .map(|raw| serde_json::from_str(&raw).expect("cached user"))
    }

    pub async fn active_users(&self) -> Vec<String> {
        use redis::AsyncCommands;
        let mut users: Vec<String> =
            self.redis.connection().await.smembers(keys::ACTIVE_USERS).await.expect("SMEMBERS");
        users.sort();
        users
    }
}

pub fn completed(outcome: &Outcome) -> &serde_json::Value {
    match outcome {
        Outcome::Completed { output, .. } => output,
        other => panic!("expected a completed run, got {other:?}"),
    }
}
