//! The engine with every function registered, built from configuration.

use std::sync::Arc;

use clockwork_cache::{Cache, CacheError};
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_clients::report::{self, TimerReport};
use clockwork_clients::{HttpClient, HttpOptions, JiraApi, JiraClient};
use clockwork_core::config::{
    CacheConfig, ConfigError, JiraConfig, TimerSourceConfig, merge_missing, process_env,
};
use clockwork_durable::Engine;
use clockwork_jira_sync::{ApplyWebhooks, ProjectSync, SyncEngine, SyncOptions};
use clockwork_notify::{NotifyConfig, NotifyError, http_client};
use clockwork_operations::{Operations, OperationsConfig, ScheduleTick};
use clockwork_queue::Queue;
use clockwork_store::{Store, StoreConfig, StoreError};
use clockwork_timer_sync::TimerSync;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("the Jira store: {0}")]
    Store(#[from] StoreError),
    #[error("alert channels: {0}")]
    Notify(#[from] NotifyError),
}

/// The engine with `sync-active-timers` registered.
pub fn engine(
    cache: Arc<dyn Cache>,
    report: Arc<dyn TimerReport>,
    jira: Arc<dyn JiraApi>,
) -> Engine {
    let timer_sync = Arc::new(TimerSync::new(cache.clone(), report, jira));
    Engine::new(cache).register(timer_sync)
}

/// Adds `sync-jira-project` over `store` (migrated here), whose runs `operations`' telemetry
/// assesses, `apply-jira-webhooks` (Jira's webhook deliveries, applied by the same engine)
/// and `jira-schedules-tick`; `queue` takes the continuations of runs that outlast an
/// attempt's time budget.
pub async fn with_project_sync(
    engine: Engine,
    jira: &JiraConfig,
    store: Store,
    queue: Arc<dyn Queue>,
    operations: &Operations,
) -> Result<Engine, StartupError> {
    store.migrate().await?;
    let client = Arc::new(JiraDataClient::new(jira, DataOptions::from_env()?));
    let sync = SyncEngine::new(client, store, SyncOptions::from_env()?)
        .with_observer(operations.telemetry.clone());
    let sync = Arc::new(sync);
    let mut engine = engine
        .register(Arc::new(ProjectSync::new(sync.clone())))
        .register(Arc::new(ApplyWebhooks::new(sync)));
    if let Some(scheduler) = &operations.scheduler {
        engine = engine.register(Arc::new(ScheduleTick::new(scheduler.clone())));
    }
    Ok(engine.with_continuations(queue))
}

/// The operations over `store` and `queue` (when runs can be enqueued here), configured by
/// the environment (schedules, the ladder, alert channels and routes).
/// `jira` names the site in alerts.
pub fn operations_from_env(
    jira: Option<&JiraConfig>,
    store: Store,
    queue: Option<Arc<dyn Queue>>,
) -> Result<Operations, StartupError> {
    let config = OperationsConfig::from_env()?;
    let notifier = NotifyConfig::from_env()?.into_notifier(http_client()?)?;
    let site = jira.and_then(|jira| jira.base_url.host_str()).unwrap_or("Jira").to_owned();
    Ok(Operations::new(&config, store, queue, Arc::new(notifier), site))
}

/// A deployed worker's engine: the shared cache, Jira and the timer source are required,
/// and every missing variable is named at once. With `DATABASE_URL` set it also runs the
/// Jira project sync, continuing long runs on `queue`.
pub async fn engine_from_env(queue: Option<Arc<dyn Queue>>) -> Result<Engine, StartupError> {
    let (cache, jira, source) =
        (CacheConfig::from_env(), JiraConfig::from_env(), TimerSourceConfig::from_env());
    let (Ok(cache), Ok(jira), Ok(source)) = (&cache, &jira, &source) else {
        let errors = [cache.err(), jira.err(), source.err()].into_iter().flatten();
        return Err(merge_missing(errors).unwrap_or(ConfigError::Missing(Vec::new())).into());
    };
    let cache = clockwork_cache::from_config(cache).await?;
    let http = HttpClient::new(HttpOptions::default());
    let jira_api: Arc<dyn JiraApi> = Arc::new(JiraClient::new(jira, http.clone()));
    let engine = engine(cache, report::from_config(source, http), jira_api);
    match (process_env("DATABASE_URL"), queue) {
        (Some(_), Some(queue)) => {
            let store = Store::connect(&StoreConfig::from_env()?).await?;
            let operations = operations_from_env(Some(jira), store.clone(), Some(queue.clone()))?;
            Ok(with_project_sync(engine, jira, store, queue, &operations).await?)
        }
        (Some(_), None) => Err(ConfigError::Missing(vec!["SQS_QUEUE_URL"]).into()),
        (None, _) => Ok(engine),
    }
}
