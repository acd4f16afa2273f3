//! The dependencies of the handlers, built once per process and shared by every request.

use std::fmt;
use std::sync::Arc;

use clockwork_cache::{Cache, CacheError};
use clockwork_clients::{
    ClockworkApi, ClockworkClient, HttpClient, HttpOptions, JiraApi, JiraClient,
};
use clockwork_core::ApiError;
use clockwork_core::config::{
    AuthConfig, CacheConfig, ClockworkConfig, ConfigError, JiraConfig, QueueConfig, merge_missing,
};
use clockwork_queue::Queue;
use secrecy::SecretString;

use crate::auth::Auth;

pub struct App {
    pub cache: Arc<dyn Cache>,
    /// The job queue. `None` in a function whose route neither enqueues nor checks it
    /// ([`crate::Route::uses_queue`]): its binary then carries no queue backend at all.
    pub queue: Option<Arc<dyn Queue>>,
    pub jira: Arc<dyn JiraApi>,
    pub clockwork: Arc<dyn ClockworkApi>,
    /// `CLOCKWORK_API_TOKEN`: used when a request carries no `X-Clockwork-Token`.
    pub clockwork_token: Option<SecretString>,
    pub auth: Auth,
    /// `CRON_SECRET`: what Vercel's cron sends as `Authorization: Bearer …`.
    pub cron_secret: Option<SecretString>,
    /// `JIRA_WEBHOOK_SECRET`: the key of Jira's webhook signatures, or the `secret` token
    /// of a webhook URL registered without one (see [`crate::routes::webhooks`]).
    pub webhook_secret: Option<SecretString>,
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

/// Builds the job queue its configuration names. A host passes one only for a route that
/// uses the queue: the backend is linked into a binary only when something names it, and
/// the SQS sender and its SigV4 signer are weight that a route without the queue need not carry.
pub type ConnectQueue = fn(&QueueConfig) -> Arc<dyn Queue>;

impl App {
    /// The configuration of a deployed function: every shared part it uses is required, so
    /// a function with a missing cache, queue or secret refuses to start and says which
    /// variables to set, all at once. The queue is built (and `SQS_QUEUE_URL` required) only
    /// when `connect_queue` is given. Nothing here calls out but the cache's connection:
    /// the HTTP client of Jira and Clockwork is built by their first request.
    pub async fn deployed_from_env(
        connect_queue: Option<ConnectQueue>,
    ) -> Result<Self, StartupError> {
        let jira = JiraConfig::from_env();
        let clockwork = ClockworkConfig::from_env();
        let cache = CacheConfig::from_env();
        let queue = match connect_queue {
            Some(connect) => QueueConfig::from_env().map(|config| Some((connect, config))),
            None => Ok(None),
        };
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
        let queue = queue.as_ref().map(|(connect, config)| connect(config));
        let http = HttpClient::new(HttpOptions::default());
        Ok(Self::new(jira, clockwork, cache, queue, Auth::new(auth), http))
    }

    /// `http` is shared by the Jira and Clockwork clients.
    pub fn new(
        jira: &JiraConfig,
        clockwork: &ClockworkConfig,
        cache: Arc<dyn Cache>,
        queue: Option<Arc<dyn Queue>>,
        auth: Auth,
        http: HttpClient,
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
            webhook_secret: clockwork_core::config::process_env("JIRA_WEBHOOK_SECRET")
                .map(SecretString::from),
        }
    }

    /// The job queue, or a 503 saying that this function has none.
    pub fn queue(&self) -> Result<&dyn Queue, ApiError> {
        self.queue.as_deref().ok_or_else(|| {
            ApiError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                "QUEUE_NOT_CONFIGURED",
                "this function was deployed without the job queue, so it cannot enqueue jobs",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use clockwork_cache::memory::MemoryCache;
    use serde_json::{Value, json};

    use super::*;

    fn app_without_a_queue() -> App {
        let unused: url::Url = "http://127.0.0.1:9".parse().expect("URL");
        let jira = JiraConfig {
            base_url: unused.clone(),
            email: "bot@acme.example".into(),
            api_token: SecretString::from("jira-token"),
        };
        let clockwork = ClockworkConfig { api_base_url: unused, api_token: None };
        let http = HttpClient::new(HttpOptions::default());
        let auth = Auth::new(&AuthConfig::Disabled);
        App::new(&jira, &clockwork, Arc::new(MemoryCache::new()), None, auth, http)
    }

    async fn answer(app: &App, method: http::Method, path: &str) -> (http::StatusCode, Value) {
        let request = http::Request::builder().method(method).uri(path).body(Bytes::new());
        let response = crate::handle(app, request.expect("request")).await;
        (response.status(), serde_json::from_slice(response.body()).expect("JSON"))
    }

    #[tokio::test]
    async fn without_a_queue_syncs_are_refused_and_health_checks_the_cache_alone() {
        let app = app_without_a_queue();
        let (status, body) = answer(&app, http::Method::POST, "/api/timers/sync").await;
        assert_eq!(status, http::StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"], "QUEUE_NOT_CONFIGURED");
        let (status, body) = answer(&app, http::Method::GET, "/api/health").await;
        assert_eq!(status, http::StatusCode::OK, "{body}");
        assert_eq!(body["checks"], json!({ "cache": "ok" }));
    }
}
