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
use clockwork_jira_sync::{ProjectSync, SyncEngine, SyncOptions};
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

/// Adds `sync-jira-project` over `store` (migrated here), with `queue` taking the
/// continuations of runs that outlast an attempt's time budget.
pub async fn with_project_sync(
    engine: Engine,
    jira: &JiraConfig,
    store: Store,
    queue: Arc<dyn Queue>,
) -> Result<Engine, StoreError> {
    store.migrate().await?;
    let client = Arc::new(JiraDataClient::new(jira, DataOptions::default()));
    let sync = Arc::new(SyncEngine::new(client, store, SyncOptions::default()));
    Ok(engine.register(Arc::new(ProjectSync::new(sync))).with_continuations(queue))
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
            Ok(with_project_sync(engine, jira, store, queue).await?)
        }
        (Some(_), None) => Err(ConfigError::Missing(vec!["SQS_QUEUE_URL"]).into()),
        (None, _) => Ok(engine),
    }
}
