//! What the commands share: the upstream settings (from the environment, or the demo's
//! simulated sites), the embedded parts used when no shared one is configured, the store,
//! and how a classified failure is told to the person at the terminal.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use clockwork_cache::Cache;
use clockwork_clients::jira_data::JiraDataError;
use clockwork_clients::{HttpClient, JiraApi, report};
use clockwork_core::config::{
    AuthConfig, CacheConfig, ClockworkConfig, ConfigError, JiraConfig, QueueConfig,
    TimerSourceConfig, merge_missing,
};
use clockwork_durable::Engine;
use clockwork_operations::Operations;
use clockwork_store::{Store, StoreConfig};
use clockwork_testkit::demo::{
    self, DEMO_CLOCKWORK_TOKEN, DEMO_JIRA_COOKIE, DEMO_JIRA_EMAIL, DEMO_JIRA_TOKEN,
};
use clockwork_worker::wiring::operations_from_env;
use secrecy::SecretString;

/// The outside services: real ones from the environment, or the demo's.
pub struct Upstreams {
    pub jira: JiraConfig,
    pub clockwork: ClockworkConfig,
    pub auth: AuthConfig,
    /// `None` when no timer source is configured: the API works, timer sync is off.
    pub timer_source: Option<TimerSourceConfig>,
    /// Keeps the simulated sites running for as long as the runner does.
    pub demo: Option<demo::Demo>,
}

impl Upstreams {
    /// From the environment; every missing variable is named at once.
    pub fn from_env(needs_auth: bool) -> Result<Self> {
        let jira = JiraConfig::from_env();
        let clockwork = ClockworkConfig::from_env();
        let auth = if needs_auth { AuthConfig::from_env() } else { Ok(AuthConfig::Disabled) };
        let timer_source = match TimerSourceConfig::from_env() {
            Ok(source) => Some(source),
            Err(ConfigError::Missing(_)) => None,
            Err(invalid) => return Err(invalid.into()),
        };
        match (jira, clockwork, auth) {
            (Ok(jira), Ok(clockwork), Ok(auth)) => {
                Ok(Self { jira, clockwork, auth, timer_source, demo: None })
            }
            (jira, clockwork, auth) => {
                let errors = [jira.err(), clockwork.err(), auth.err()].into_iter().flatten();
                let error = merge_missing(errors).unwrap_or(ConfigError::Missing(Vec::new()));
                bail!("{error}\n(or add --demo to try it with simulated Jira and Clockwork)")
            }
        }
    }

    /// The demo's sites with `--demo`, else the environment's (auth not needed).
    pub async fn load(demo: bool) -> Result<Self> {
        if demo { Self::demo(AuthConfig::Disabled).await } else { Self::from_env(false) }
    }

    /// Starts the simulated sites and points everything at them, with `auth` (off, but for
    /// `serve --demo --auth`).
    pub async fn demo(auth: AuthConfig) -> Result<Self> {
        let demo = demo::start_demo(None, None).await.context("starting the simulated sites")?;
        let jira_base_url: url::Url = demo.jira.base_url().parse()?;
        let jira = JiraConfig {
            base_url: jira_base_url.clone(),
            email: DEMO_JIRA_EMAIL.to_owned(),
            api_token: SecretString::from(DEMO_JIRA_TOKEN),
        };
        let clockwork = ClockworkConfig {
            api_base_url: demo.clockwork.base_url().parse()?,
            api_token: Some(SecretString::from(DEMO_CLOCKWORK_TOKEN)),
        };
        let timer_source = TimerSourceConfig::Connect {
            jira_base_url,
            cookie: SecretString::from(DEMO_JIRA_COOKIE),
            report_base_url: demo.clockwork.report_base_url().parse()?,
        };
        Ok(Self { jira, clockwork, auth, timer_source: Some(timer_source), demo: Some(demo) })
    }

    /// The durable engine with the timer sync, when a timer source is configured; its
    /// report client sends with `http`.
    pub fn engine(
        &self,
        cache: Arc<dyn Cache>,
        jira: Arc<dyn JiraApi>,
        http: HttpClient,
    ) -> Option<Engine> {
        let source = self.timer_source.as_ref()?;
        let report = report::from_config(source, http);
        Some(clockwork_worker::wiring::engine(cache, report, jira))
    }
}

/// A shared part when the environment names one, the embedded one when it names none;
/// a half-configured shared part is an error, never silently replaced.
pub fn embedded_unless_set<T>(configured: Result<T, ConfigError>, embedded: T) -> Result<T> {
    match configured {
        Ok(config) => Ok(config),
        Err(ConfigError::Missing(names))
            if names.iter().all(|n| n.starts_with("REDIS_URL") || *n == "SQS_QUEUE_URL") =>
        {
            Ok(embedded)
        }
        Err(error) => Err(error.into()),
    }
}

/// The cache the environment names, else the in-memory one.
pub async fn cache() -> Result<(Arc<dyn Cache>, CacheConfig)> {
    let config = embedded_unless_set(CacheConfig::from_env(), CacheConfig::Memory)?;
    Ok((clockwork_cache::from_config(&config).await?, config))
}

/// The store `DATABASE_URL` names (else the local SQLite file, created with its folder),
/// with its migrations applied: every command that uses the store starts here.
pub async fn store() -> Result<(Store, StoreConfig)> {
    let config = StoreConfig::from_env()?;
    let store = Store::connect(&config).await?;
    store.migrate().await?;
    Ok((store, config))
}

/// The operations of a command over `store`: the schedule, ladder and alert settings from
/// the environment. Triggers are enqueued at once when a shared queue (`SQS_QUEUE_URL`) is
/// configured; else the next tick of `serve` or the worker starts them. `jira` names the
/// site in alerts.
pub fn operations(store: &Store, jira: Option<&JiraConfig>) -> Result<Operations> {
    let queue = match embedded_unless_set(QueueConfig::from_env(), QueueConfig::InProcess)? {
        config @ QueueConfig::Sqs { .. } => Some(clockwork_queue::from_config(&config).0),
        QueueConfig::InProcess => None,
    };
    Ok(operations_from_env(jira, store.clone(), queue)?)
}

/// A classified Jira failure as a person should read it: what failed, its code, what to do.
pub fn jira_failure(what: &str, error: &JiraDataError) -> anyhow::Error {
    anyhow!("{what} failed ({}): {}\nwhat to do: {}", error.code, error.message, error.advice)
}
