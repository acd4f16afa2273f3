//! The dependencies of the handlers, built once per process and shared by every request.

use std::fmt;
use std::sync::Arc;

use clockwork_cache::{Cache, CacheError};
use clockwork_clients::{ClockworkApi, ClockworkClient, HttpOptions, JiraApi, JiraClient};
use clockwork_core::config::{
    AuthConfig, CacheConfig, ClockworkConfig, ConfigError, JiraConfig, QueueConfig, merge_missing,
};
use clockwork_queue::Queue;
use secrecy::SecretString;

use crate::auth::Auth;

pub struct App {
    pub cache: Arc<dyn Cache>,
    pub queue: Arc<dyn Queue>,
    pub jira: Arc<dyn JiraApi>,
    pub clockwork: Arc<dyn ClockworkApi>,
    /// `CLOCKWORK_API_TOKEN`: used when a request carries no `X-Clockwork-Token`.
    pub clockwork_token: Option<SecretString>,
    pub auth: Auth,
    /// `CRON_SECRET`: what Vercel's cron sends as `Authorization: Bearer …`.
    pub cron_secret: Option<SecretString>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("cache", &self.cache)
            .field("queue", &self.queue)
            .field("jira", &self.jira)
            .field("clockwork", &self.clockwork)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

impl App {
    /// The configuration of a deployed function: every shared part is required, so a
    /// function with a missing cache, queue or secret refuses to start and says which
    /// variables to set, all at once.
    pub async fn deployed_from_env() -> Result<Self, StartupError> {
        let jira = JiraConfig::from_env();
        let clockwork = ClockworkConfig::from_env();
        let cache = CacheConfig::from_env();
        let queue = QueueConfig::from_env();
        let auth = AuthConfig::from_env();
        let (Ok(jira), Ok(clockwork), Ok(cache), Ok(queue), Ok(auth)) =
            (&jira, &clockwork, &cache, &queue, &auth)
        else {
            let errors = [jira.err(), clockwork.err(), cache.err(), queue.err(), auth.err()];
            let error = merge_missing(errors.into_iter().flatten())
                .unwrap_or(ConfigError::Missing(Vec::new()));
            return Err(error.into());
        };
        let cache = clockwork_cache::from_config(cache).await?;
        let (queue, _) = clockwork_queue::from_config(queue).await;
        Ok(Self::new(jira, clockwork, cache, queue, Auth::new(auth), HttpOptions::default()))
    }

    pub fn new(
        jira: &JiraConfig,
        clockwork: &ClockworkConfig,
        cache: Arc<dyn Cache>,
        queue: Arc<dyn Queue>,
        auth: Auth,
        http: HttpOptions,
    ) -> Self {
        if matches!(auth, Auth::Disabled) {
            tracing::warn!(
                "AUTH_DISABLED=true: every caller is trusted; use this only for a private \
                 single-user deployment"
            );
        }
        Self {
            cache,
            queue,
            jira: Arc::new(JiraClient::new(jira, http.clone())),
            clockwork: Arc::new(ClockworkClient::new(clockwork, http)),
            clockwork_token: clockwork.api_token.clone(),
            auth,
            cron_secret: clockwork_core::config::process_env("CRON_SECRET").map(SecretString::from),
        }
    }
}
