//! The sync under faults between it and its dependencies: Postgres connections cut in the
//! middle of batches (through the test kit's TCP fault proxy), and a Jira that stalls past
//! the client's timeout.

use std::sync::Arc;
use std::time::Duration;

use clockwork_clients::HttpOptions;
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_core::config::JiraConfig;
use clockwork_jira_sync::{NoProgress, SyncEngine, SyncOptions};
use clockwork_store::{Store, StoreConfig};
use clockwork_testkit::databases::{Kind, with_database};
use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::FakeJira;
use clockwork_testkit::proxy::{FaultProxy, Mode};
use secrecy::SecretString;

const SEARCH: &str = "POST /rest/api/3/search/jql";

fn client(jira: &FakeJira, timeout: Duration) -> Arc<JiraDataClient> {
    let config = JiraConfig {
        base_url: jira.base_url().parse().expect("URL"),
        email: "bot@acme.example".into(),
        api_token: SecretString::from("token"),
    };
    let http = HttpOptions {
        timeout,
        base_backoff: Duration::from_millis(5),
        ..DataOptions::default().http
    };
    Arc::new(JiraDataClient::new(&config, DataOptions { http, ..DataOptions::default() }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_cut_mid_batch_rolls_back_and_the_retry_completes_with_nothing_missing_or_doubled()
{
    with_database(Kind::Postgres, |database| async move {
        let jira = FakeJira::start("bot@acme.example", "token").await;
        jira.seed_project("KAN", 300, 2, 1);
        let proxy =
            Arc::new(FaultProxy::start("127.0.0.1:5432".parse().unwrap()).await.expect("proxy"));
        let url = database.url.replace("127.0.0.1:5432", &proxy.addr().to_string());
        let store = Store::connect(&StoreConfig::new(&url).unwrap()).await.expect("connect");
        store.migrate().await.expect("migrate");
        store.track_project("KAN", "10000", "Kanban").await.unwrap();
        let engine = SyncEngine::new(
            client(&jira, Duration::from_secs(10)),
            store.clone(),
            SyncOptions::default(),
        );

        let mut state = engine.begin("KAN", true, &[], "run-1").await.expect("begin");
        let (mut page, mut failed) = (None, 0);
        for _ in 0..20 {
            if state.issues_done {
                break;
            }
            // Slow statements, and the connections cut 30 ms into the batch's transaction.
            proxy.set_mode(Mode::Slow(Duration::from_millis(3)));
            let cutter = tokio::spawn({
                let proxy = proxy.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    proxy.cut();
                    proxy.set_mode(Mode::Pass);
                }
            });
            match engine.next_batch(state.clone(), page.take()).await {
                Ok((next, prefetched)) => (state, page) = (next, prefetched),
                Err(error) => {
                    // The worker retries the step from the state of the last committed batch.
                    assert!(error.is_retryable(), "{error}");
                    assert_eq!(error.code(), "STORE_UNAVAILABLE", "{error}");
                    failed += 1;
                }
            }
            cutter.await.unwrap();
        }
        assert!(state.issues_done, "the run got through");
        assert!(failed > 0, "no cut landed in a batch");
        engine.finish(state).await.expect("finish");
        let counts = store.counts().await.unwrap();
        assert_eq!(
            (counts.issues, counts.comments, counts.worklogs),
            (300, 600, 300),
            "{counts:?}"
        );
        assert_eq!(
            (counts.issues_deleted, counts.comments_deleted, counts.worklogs_deleted),
            (0, 0, 0)
        );
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jira_stalling_past_the_client_timeout_is_retried_then_classified_a_network_glitch() {
    with_database(Kind::Sqlite, |database| async move {
        let jira = FakeJira::start("bot@acme.example", "token").await;
        jira.seed_project("KAN", 20, 0, 0);
        let store = Store::connect(&StoreConfig::new(&database.url).unwrap()).await.unwrap();
        store.migrate().await.unwrap();
        store.track_project("KAN", "10000", "Kanban").await.unwrap();
        let engine = SyncEngine::new(
            client(&jira, Duration::from_millis(300)),
            store.clone(),
            SyncOptions::default(),
        );
        // One stalled answer: the client gives up on it and asks again.
        jira.inject(SEARCH, Fault::Delay(Duration::from_secs(2)), 1);
        let summary = engine.sync_project("KAN", true, &NoProgress).await.expect("retried");
        assert_eq!(summary.issues, 20);
        // Every attempt stalls: a retryable network glitch, the project free again.
        jira.inject(SEARCH, Fault::Delay(Duration::from_secs(2)), 3);
        let error = engine.sync_project("KAN", false, &NoProgress).await.expect_err("stalled");
        assert_eq!((error.code(), error.is_retryable()), ("NETWORK_GLITCH", true), "{error}");
        assert!(store.try_lease("KAN", "next", Duration::from_secs(60)).await.unwrap());
    })
    .await;
}
