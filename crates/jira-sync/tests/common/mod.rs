//! The fixture of the sync's rules: a fresh fake Jira and a store on a fresh database of
//! either kind (a temporary SQLite file; Postgres in a schema of the test's own).

#![allow(dead_code)] // each test file uses a different part

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_clients::{Governance, HttpOptions};
use clockwork_core::config::JiraConfig;
use clockwork_jira_sync::{NoProgress, SyncEngine, SyncError, SyncOptions, SyncSummary};
use clockwork_store::{Store, StoreConfig};
use clockwork_testkit::databases::{Kind, with_database};
use clockwork_testkit::jira::FakeJira;
use secrecy::SecretString;

pub const SEARCH: &str = "POST /rest/api/3/search/jql";

pub struct Site {
    pub jira: FakeJira,
    pub client: Arc<JiraDataClient>,
    pub engine: SyncEngine,
    pub store: Store,
}

impl Site {
    /// Runs `rule` against a fresh fake Jira and a store on a fresh database of `kind`.
    pub async fn run<F, Fut>(kind: Kind, rule: F)
    where
        F: FnOnce(Site) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        with_database(kind, |database| async move {
            let jira = FakeJira::start("bot@acme.example", "token").await;
            let client = client(&jira, Governance::default());
            let store = Store::connect(&StoreConfig::new(&database.url).expect("config"))
                .await
                .expect("connect");
            store.migrate().await.expect("migrate");
            let engine = SyncEngine::new(client.clone(), store.clone(), SyncOptions::default());
            rule(Site { jira, client, engine, store }).await;
            drop(database);
        })
        .await;
    }

    pub async fn sync(&self, full: bool) -> Result<SyncSummary, SyncError> {
        self.engine.sync_project("KAN", full, &NoProgress).await
    }

    /// A client of the site of its own under `governance`, and an engine with `options`
    /// over it and the store.
    pub fn engine_with(
        &self,
        governance: Governance,
        options: SyncOptions,
    ) -> (Arc<JiraDataClient>, SyncEngine) {
        let client = client(&self.jira, governance);
        (client.clone(), SyncEngine::new(client, self.store.clone(), options))
    }
}

/// A client of `jira` with short back-offs, under `governance`.
pub fn client(jira: &FakeJira, governance: Governance) -> Arc<JiraDataClient> {
    let config = JiraConfig {
        base_url: jira.base_url().parse().expect("URL"),
        email: "bot@acme.example".into(),
        api_token: SecretString::from("token"),
    };
    let http =
        HttpOptions { base_backoff: Duration::from_millis(5), ..DataOptions::default().http };
    Arc::new(JiraDataClient::new(
        &config,
        DataOptions { http, governance, ..DataOptions::default() },
    ))
}
