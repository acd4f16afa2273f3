//! The worker's queue entries: a Lambda batch from a real SQS event, and delivery through
//! a real SQS-compatible queue (moto) with a dead-letter queue.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::QueueAttributeName;
use clockwork_core::config::JiraConfig;
use clockwork_core::event::{Event, PROJECT_SYNC_REQUESTED, SCHEDULES_TICK, TIMERS_SYNC_REQUESTED};
use clockwork_durable::Engine;
use clockwork_durable::engine::DEADLINE_MARGIN;
use clockwork_notify::Notifier;
use clockwork_operations::{Operations, OperationsConfig};
use clockwork_queue::Queue;
use clockwork_queue::sqs::SqsQueue;
use clockwork_store::{Store, StoreConfig};
use clockwork_testkit::moto;
use clockwork_worker::wiring::with_project_sync;
use common::{EMAIL, Site, Source, TOKEN};
use secrecy::SecretString;
use serde_json::json;

#[tokio::test]
async fn the_lambda_handler_reports_only_retryable_messages() {
    let site = Site::start(Source::Connect).await;
    site.timer("acc-ann", 1);
    // Another delivery of run 3 is in progress, so this one must come back later.
    site.cache
        .set("run:fixture-run-3:lease", "1", Some(std::time::Duration::from_secs(60)))
        .await
        .unwrap();
    let event: SqsEvent = serde_json::from_str(include_str!("fixtures/sqs-event.json")).unwrap();

    let response = clockwork_worker::batch::handle(&site.engine, None, event, None).await;
    let failed: Vec<&str> =
        response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, ["8b9d2d3a-5f4e-4c7d-9a1b-2c3d4e5f6a7b"], "only the busy run is retried");
    assert!(site.cached("all").await.is_some(), "the first message synced the timers");
    let response = serde_json::to_value(&response).unwrap();
    assert_eq!(
        response,
        json!({ "batchItemFailures": [{ "itemIdentifier": "8b9d2d3a-5f4e-4c7d-9a1b-2c3d4e5f6a7b" }] })
    );
}

/// A queue whose messages move to a dead-letter queue after `max_receives` deliveries.
async fn queue_with_dlq(max_receives: u32) -> (aws_sdk_sqs::Client, String, String) {
    let client = moto::client();
    let dlq = moto::create_queue(&client, 30).await;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .unwrap();
    let queue = moto::create_queue(&client, 30).await;
    let redrive =
        json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives.to_string() });
    client
        .set_queue_attributes()
        .queue_url(&queue)
        .attributes(QueueAttributeName::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .unwrap();
    (client, queue, dlq)
}

/// One Lambda-style round: receive a batch, handle it, delete what succeeded, and make
/// the failures visible again at once (the back-off would otherwise take seconds).
async fn lambda_round(engine: &Engine, client: &aws_sdk_sqs::Client, queue_url: &str) -> usize {
    let queue = SqsQueue::with_client(client.clone(), queue_url);
    let received = queue.receive(10, 0).await.unwrap();
    if received.is_empty() {
        return 0;
    }
    let records: Vec<_> = received
        .iter()
        .map(|m| {
            json!({
                "messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                "attributes": { "ApproximateReceiveCount": m.receive_count.to_string() },
                "eventSource": "aws:sqs"
            })
        })
        .collect();
    let event: SqsEvent = serde_json::from_value(json!({ "Records": records })).unwrap();
    let response = clockwork_worker::batch::handle(engine, Some(&queue), event, None).await;
    let failed: HashSet<String> =
        response.batch_item_failures.into_iter().map(|f| f.item_identifier).collect();
    for message in &received {
        if failed.contains(&message.message_id) {
            queue.change_visibility(&message.receipt_handle, 0).await.unwrap();
        } else {
            queue.delete(&message.receipt_handle).await.unwrap();
        }
    }
    received.len()
}

#[tokio::test]
async fn a_poison_message_in_a_batch_of_ten_fails_alone_and_reaches_the_dlq() {
    let site = Site::start(Source::Connect).await;
    site.timer("acc-ann", 1);
    let (client, queue_url, dlq_url) = queue_with_dlq(3).await;
    let queue = SqsQueue::with_client(client.clone(), &queue_url);
    // The poison: a run stuck behind a lease that never frees in time.
    site.cache
        .set("run:poison:lease", "1", Some(std::time::Duration::from_secs(600)))
        .await
        .unwrap();
    for n in 0..10 {
        let id = if n == 4 { "poison".to_owned() } else { format!("good-{n}") };
        queue.send(&Event::with_id(TIMERS_SYNC_REQUESTED, id, json!({}))).await.unwrap();
    }
    for _ in 0..20 {
        if lambda_round(&site.engine, &client, &queue_url).await == 0 {
            break;
        }
    }
    for n in (0..10).filter(|n| *n != 4) {
        let record = site.redis.get(&format!("run:good-{n}:record")).await.expect("record");
        assert!(record.contains("\"completed\""), "good-{n}: {record}");
    }
    let dead = moto::drain(&client, &dlq_url).await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(dead[0].contains("\"poison\""));
    assert!(moto::drain(&client, &queue_url).await.is_empty());
}

#[tokio::test]
async fn a_long_project_sync_continues_through_the_queue_under_one_run_id() {
    let site = Site::start(Source::Connect).await;
    site.jira.seed_project("OPS", 250, 1, 1);
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("store.db").display());
    let store = Store::connect(&StoreConfig::new(&url).unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    store.track_project("OPS", "10001", "Operations").await.unwrap();
    let (client, queue_url, _dlq) = queue_with_dlq(3).await;
    let queue = Arc::new(SqsQueue::with_client(client.clone(), &queue_url));
    let jira = JiraConfig {
        base_url: site.jira.base_url().parse().unwrap(),
        email: EMAIL.into(),
        api_token: SecretString::from(TOKEN),
    };
    let engine = Engine::new(site.cache.clone());
    let config = OperationsConfig::from_lookup(&|_| None).unwrap();
    let notifier = Arc::new(Notifier::new(Vec::new()));
    let operations =
        Operations::new(&config, store.clone(), Some(queue.clone()), notifier, "jira".into());
    // A budget of a millisecond: each delivery commits one batch of 100, then continues.
    let engine = with_project_sync(engine, &jira, store.clone(), queue.clone(), &operations)
        .await
        .unwrap()
        .with_lease(DEADLINE_MARGIN + std::time::Duration::from_millis(1));
    let data = json!({ "projectKey": "OPS", "full": true });
    queue.send(&Event::with_id(PROJECT_SYNC_REQUESTED, "ops-sync", data)).await.unwrap();
    let mut deliveries = 0;
    while deliveries < 10 {
        let handled = lambda_round(&engine, &client, &queue_url).await;
        if handled == 0 {
            break;
        }
        deliveries += handled;
    }
    assert_eq!(deliveries, 3, "one delivery a batch");
    let record = site.redis.get("run:ops-sync:record").await.expect("record");
    assert!(record.contains("\"completed\""), "{record}");
    assert!(record.contains("\"issues\":250"), "{record}");
    assert_eq!(store.counts().await.unwrap().issues, 250);

    // EventBridge's tick starts the due run (the job was never planned: due at once).
    store.ensure_sync_job("OPS").await.unwrap();
    queue.send(&Event::with_id(SCHEDULES_TICK, "tick-1", json!({}))).await.unwrap();
    assert_eq!(lambda_round(&engine, &client, &queue_url).await, 1, "the tick");
    let tick = site.redis.get("run:tick-1:record").await.expect("tick record");
    assert!(tick.contains("\"started\":[\"OPS\"]"), "{tick}");
    assert_eq!(lambda_round(&engine, &client, &queue_url).await, 1, "the run it started");
    let runs = store.recent_runs("OPS", 5).await.unwrap();
    assert_eq!(runs.iter().filter(|run| run.succeeded).count(), 2, "{runs:?}");
    assert!(
        store.sync_job("OPS").await.unwrap().unwrap().next_run_ms.is_some(),
        "next run planned"
    );
}
