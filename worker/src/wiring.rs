//! The engine with every function registered, built from configuration.

use std::sync::Arc;

use clockwork_cache::{Cache, CacheError};
use clockwork_clients::report::{self, TimerReport};
use clockwork_clients::{HttpClient, HttpOptions, JiraApi, JiraClient};
use clockwork_core::config::{
    CacheConfig, ConfigError, JiraConfig, TimerSourceConfig, merge_missing,
};
use clockwork_durable::Engine;
use clockwork_timer_sync::TimerSync;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Cache(#[from] CacheError),
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

/// A deployed worker's engine: the shared cache, Jira and the timer source are required,
/// and every missing variable is named at once.
pub async fn engine_from_env() -> Result<Engine, StartupError> {
    let (cache, jira, source) =
        (CacheConfig::from_env(), JiraConfig::from_env(), TimerSourceConfig::from_env());
    let (Ok(cache), Ok(jira), Ok(source)) = (&cache, &jira, &source) else {
        let errors = [cache.err(), jira.err(), source.err()].into_iter().flatten();
        return Err(merge_missing(errors).unwrap_or(ConfigError::Missing(Vec::new())).into());
    };
    let cache = clockwork_cache::from_config(cache).await?;
    let http = HttpClient::new(HttpOptions::default());
    let jira: Arc<dyn JiraApi> = Arc::new(JiraClient::new(jira, http.clone()));
    Ok(engine(cache, report::from_config(source, http), jira))
}
