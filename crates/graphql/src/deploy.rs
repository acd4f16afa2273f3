//! The configuration of the deployed GraphQL function: the store (`DATABASE_URL`, required
//! here: a function has no local file to fall back to), auth, Jira and the default schedule.
//! Triggers are recorded for the next schedule tick (`/api/cron/jira-sync` or the AWS
//! schedule), so the function carries no queue.

use std::sync::Arc;

use clockwork_api::auth::Auth;
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_core::config::{AuthConfig, ConfigError, JiraConfig, merge_missing, process_env};
use clockwork_operations::{Controls, OperationsConfig};
use clockwork_store::{Store, StoreConfig, StoreError};

use crate::service::{Deps, GraphqlService};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl GraphqlService {
    /// Every variable the function needs, all missing ones named at once; then the store's
    /// connection and migrations.
    pub async fn deployed_from_env() -> Result<Self, StartupError> {
        let store = match process_env("DATABASE_URL") {
            Some(_) => StoreConfig::from_env(),
            None => Err(ConfigError::Missing(vec!["DATABASE_URL"])),
        };
        let (auth, jira, operations) =
            (AuthConfig::from_env(), JiraConfig::from_env(), OperationsConfig::from_env());
        let (Ok(store), Ok(auth), Ok(jira), Ok(operations)) = (&store, &auth, &jira, &operations)
        else {
            let errors = [store.err(), auth.err(), jira.err(), operations.err()];
            let error = merge_missing(errors.into_iter().flatten())
                .unwrap_or(ConfigError::Missing(Vec::new()));
            return Err(error.into());
        };
        let store = Store::connect(store).await?;
        store.migrate().await?;
        let controls = Controls::new(store.clone(), operations.default_cron.clone());
        let jira = Arc::new(JiraDataClient::new(jira, DataOptions::default()));
        Ok(Self::new(Deps { store, controls, jira }, Auth::new(auth)))
    }
}
