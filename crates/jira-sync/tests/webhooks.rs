//! Jira's webhook deliveries applied by the worker, on both databases against the fake Jira:
//! each is a hint that re-reads its issues, so duplicates, late and out-of-order deliveries
//! are harmless, and the issue cursor never moves.

mod common;

use std::sync::Arc;
use std::time::Duration;

use clockwork_cache::memory::MemoryCache;
use clockwork_clients::jira_data::JiraData;
use clockwork_core::event::{Event, WEBHOOK_RECEIVED};
use clockwork_core::webhook::{WebhookDeliveries, WebhookDelivery};
use clockwork_durable::{Engine, Outcome};
use clockwork_jira_sync::{ApplyWebhooks, SyncEngine, SyncOptions};
use clockwork_queue::in_process::{InProcessQueue, Receiver};
use clockwork_store::{Store, SyncEntity};
use clockwork_testkit::jira::FakeJiraWorklog;
use clockwork_testkit::on_both_databases;
use common::{SEARCH, Site};
use serde_json::Value;

fn delivery(id: &str, event: &str, issue_id: u64, project: Option<&str>) -> WebhookDelivery {
    WebhookDelivery {
        id: id.to_owned(),
        webhook_event: event.to_owned(),
        issue_id: issue_id.to_string(),
        issue_key: None,
        project_key: project.map(str::to_owned),
        timestamp: None,
        received_ms: chrono::Utc::now().timestamp_millis(),
        account_ids: Vec::new(),
    }
}

fn updated(id: &str, issue_id: u64) -> WebhookDelivery {
    delivery(id, "jira:issue_updated", issue_id, Some("KAN"))
}

/// The worker's engine with only the webhook function, over the site's client and store,
/// applying each delivery at once.
fn worker(site: &Site) -> Engine {
    let options = SyncOptions { webhook_window: Duration::ZERO, ..SyncOptions::default() };
    let sync = SyncEngine::new(site.client.clone(), site.store.clone(), options);
    Engine::new(Arc::new(MemoryCache::new())).register(Arc::new(ApplyWebhooks::new(Arc::new(sync))))
}

/// The worker's engine gathering each project's deliveries for `window`, its waiting runs
/// continued on an in-process queue.
fn gathering_worker(site: &Site, window: Duration) -> (Engine, Receiver) {
    let options = SyncOptions { webhook_window: window, ..SyncOptions::default() };
    let sync = SyncEngine::new(site.client.clone(), site.store.clone(), options);
    let (queue, receiver) = InProcessQueue::new();
    let engine = Engine::new(Arc::new(MemoryCache::new()))
        .register(Arc::new(ApplyWebhooks::new(Arc::new(sync))))
        .with_continuations(Arc::new(queue));
    (engine, receiver)
}

async fn enqueue(engine: &Engine, run_id: &str, deliveries: Vec<WebhookDelivery>) {
    let data = serde_json::to_value(WebhookDeliveries { deliveries }).expect("JSON");
    let outcome = engine.handle(&Event::with_id(WEBHOOK_RECEIVED, run_id, data)).await;
    assert_eq!(
        outcome,
        Outcome::Continued { run_id: run_id.to_owned() },
        "it waits for the window"
    );
}

/// Handles the next continuation the queue delivers; its output.
async fn resume(engine: &Engine, receiver: &mut Receiver) -> Value {
    let event = receiver.recv().await.expect("a continuation");
    match engine.handle(&event).await {
        Outcome::Completed { output, .. } => output,
        other => panic!("unexpected {other:?}"),
    }
}

async fn deliver(engine: &Engine, run_id: &str, deliveries: Vec<WebhookDelivery>) -> Value {
    let data = serde_json::to_value(WebhookDeliveries { deliveries }).expect("JSON");
    match engine.handle(&Event::with_id(WEBHOOK_RECEIVED, run_id, data)).await {
        Outcome::Completed { output, .. } => output,
        other => panic!("unexpected {other:?}"),
    }
}

async fn summary_of(site: &Site, issue_id: u64) -> String {
    site.store.issue(&issue_id.to_string()).await.expect("read").expect("stored").value.summary
}

async fn issue_cursor(store: &Store) -> Option<i64> {
    store.sync_state("KAN", SyncEntity::Issues).await.expect("state").and_then(|s| s.cursor_ms)
}

/// KAN tracked and fully synced, its issues then edited on Jira only.
async fn synced(site: &Site, issues: usize) -> std::ops::Range<u64> {
    let seeded = site.jira.seed_project("KAN", issues, 2, 2);
    site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
    site.sync(true).await.expect("full sync");
    seeded.issue_ids
}

on_both_databases! { Site::run, Site;
    async fn an_edit_on_jira_reaches_the_store_through_its_delivery_and_the_cursor_stays(site) {
        let ids = synced(&site, 5).await;
        let cursor = issue_cursor(&site.store).await;
        let issue = ids.start;
        site.jira.update_issue(&issue.to_string(), |i| i.summary = "Edited on Jira".into());
        let output = deliver(&worker(&site), "webhook-a", vec![updated("a", issue)]).await;
        assert_eq!(summary_of(&site, issue).await, "Edited on Jira");
        // The search that re-reads the issue, and its changelog.
        assert_eq!((output["issues"].as_u64(), output["requests"].as_u64()), (Some(1), Some(2)), "{output}");
        assert_eq!(issue_cursor(&site.store).await, cursor, "a webhook batch never sets the cursor");
        let recorded = site.store.webhook_deliveries_of(&issue.to_string()).await.expect("deliveries");
        assert_eq!(recorded.len(), 1);
        assert!(recorded[0].applied_ms.is_some_and(|at| at >= recorded[0].received_ms), "{recorded:?}");
        assert!(site.store.try_lease("KAN", "next-run", Duration::from_secs(60)).await.unwrap(), "released");
    }

    async fn the_same_delivery_twice_changes_nothing(site) {
        let ids = synced(&site, 3).await;
        let issue = ids.start;
        site.jira.update_issue(&issue.to_string(), |i| i.summary = "Once".into());
        let engine = worker(&site);
        deliver(&engine, "webhook-dup", vec![updated("dup", issue), updated("dup", issue)]).await;
        let counts = site.store.counts().await.expect("counts");
        // Jira's retry is the same run: acknowledged without effects.
        let again = Event::with_id(
            WEBHOOK_RECEIVED,
            "webhook-dup",
            serde_json::to_value(WebhookDeliveries { deliveries: vec![updated("dup", issue)] }).unwrap(),
        );
        assert!(matches!(engine.handle(&again).await, Outcome::AlreadyFinished { .. }));
        // And applied again past the run's memory (a redelivery days later), still the same rows.
        site.engine.apply_webhooks("KAN", &[updated("dup", issue)], "late").await.expect("again");
        assert_eq!(site.store.counts().await.expect("counts"), counts);
        assert_eq!(summary_of(&site, issue).await, "Once");
        assert_eq!(site.store.webhook_deliveries_of(&issue.to_string()).await.unwrap().len(), 1);
    }

    async fn an_older_delivery_after_a_newer_edit_keeps_the_newer_state(site) {
        let ids = synced(&site, 3).await;
        let issue = ids.start;
        site.jira.update_issue(&issue.to_string(), |i| i.summary = "First edit".into());
        let older = updated("older", issue);
        site.jira.update_issue(&issue.to_string(), |i| i.summary = "Second edit".into());
        let newer = updated("newer", issue);
        let engine = worker(&site);
        deliver(&engine, "webhook-newer", vec![newer]).await;
        deliver(&engine, "webhook-older", vec![older]).await;
        assert_eq!(summary_of(&site, issue).await, "Second edit");
    }

    async fn a_delete_then_an_update_for_the_same_issue_leaves_it_deleted(site) {
        let ids = synced(&site, 3).await;
        let issue = ids.start;
        let edit = updated("edit", issue);
        assert!(site.jira.remove_issue(&issue.to_string()));
        let engine = worker(&site);
        let gone = delivery("gone", "jira:issue_deleted", issue, Some("KAN"));
        let output = deliver(&engine, "webhook-gone", vec![gone]).await;
        assert_eq!(output["deleted"], 1, "{output}");
        let stored = site.store.issue(&issue.to_string()).await.unwrap().expect("kept as deleted");
        assert!(stored.is_deleted());
        // The update Jira sent before the deletion arrives last: the issue stays deleted.
        let output = deliver(&engine, "webhook-edit", vec![edit]).await;
        assert_eq!((output["issues"].as_u64(), output["deleted"].as_u64()), (Some(0), Some(0)), "{output}");
        assert!(site.store.issue(&issue.to_string()).await.unwrap().unwrap().is_deleted());
        // A deletion Jira's search contradicts (the issue is there) deletes nothing.
        let live = ids.start + 1;
        let wrong = delivery("wrong", "jira:issue_deleted", live, Some("KAN"));
        deliver(&engine, "webhook-wrong", vec![wrong]).await;
        assert!(!site.store.issue(&live.to_string()).await.unwrap().unwrap().is_deleted());
    }

    async fn deliveries_for_untracked_projects_or_unwatched_people_are_dropped_and_counted(site) {
        let ids = synced(&site, 4).await;
        let ops = site.jira.seed_project("OPS", 2, 0, 0);
        let watched = "acc-watched";
        site.store.track_project("WAT", "10002", "Watched").await.expect("track");
        site.store.add_tracked_user("WAT", watched).await.expect("watch");
        let mut unwatched = delivery("w1", "comment_created", 99_001, Some("WAT"));
        unwatched.account_ids = vec!["acc-someone".into()];
        let untracked = delivery("o1", "jira:issue_updated", ops.issue_ids.start, Some("OPS"));
        let unknown_issue = delivery("u1", "worklog_created", 99_002, None);
        let kept = delivery("k1", "worklog_created", ids.start, None);
        site.jira.reset_counts();
        let output = deliver(&worker(&site), "webhook-mixed", vec![unwatched, untracked, unknown_issue, kept]).await;
        assert_eq!(output["deliveries"], 4, "{output}");
        assert_eq!((output["untracked"].as_u64(), output["unwatched"].as_u64()), (Some(2), Some(1)), "{output}");
        assert_eq!((output["projects"].as_u64(), output["issues"].as_u64()), (Some(1), Some(1)), "{output}");
        assert_eq!(site.jira.requests(SEARCH), 1, "only KAN's issue is read");
        assert!(site.store.issue(&ops.issue_ids.start.to_string()).await.unwrap().is_none());
    }

    async fn a_worklog_delivery_brings_the_new_worklog_with_its_issue(site) {
        let ids = synced(&site, 2).await;
        let issue = ids.start.to_string();
        let started = chrono::Utc::now() - chrono::Duration::hours(1);
        let author = site.store.worklogs_of(&issue).await.unwrap()[0].value.author_account_id.clone().unwrap();
        let added = site.jira.add_worklog(&issue, FakeJiraWorklog::new(&author, started, 1200)).expect("worklog");
        deliver(&worker(&site), "webhook-wl", vec![delivery("wl", "worklog_created", ids.start, None)]).await;
        let worklogs = site.store.worklogs_of(&issue).await.unwrap();
        assert!(worklogs.iter().any(|w| w.value.id == added && !w.is_deleted()), "{worklogs:?}");
    }

    async fn deliveries_for_n_hundred_issues_cost_n_searches(site) {
        let ids = synced(&site, 250).await;
        let deliveries: Vec<WebhookDelivery> = ids
            .clone()
            .map(|id| {
                site.jira.update_issue(&id.to_string(), |i| i.summary = format!("Bulk {id}"));
                updated(&format!("bulk-{id}"), id)
            })
            .collect();
        let before = site.client.requests();
        let output = deliver(&worker(&site), "webhook-bulk", deliveries).await;
        let requests = site.client.requests() - before;
        assert_eq!(requests, 3 + 2, "one search per 100 ids, their changelogs, the statuses: {output}");
        assert_eq!(output["issues"], 250);
        assert_eq!(summary_of(&site, ids.end - 1).await, format!("Bulk {}", ids.end - 1));
    }

    async fn deliveries_within_the_window_are_applied_by_one_re_read(site) {
        let ids = synced(&site, 6).await;
        let (engine, mut receiver) = gathering_worker(&site, Duration::from_millis(800));
        let edited: Vec<u64> = ids.clone().take(3).collect();
        for &id in &edited {
            site.jira.update_issue(&id.to_string(), |i| i.summary = format!("Gathered {id}"));
            enqueue(&engine, &format!("webhook-g{id}"), vec![updated(&format!("g{id}"), id)]).await;
        }
        let before = site.client.requests();
        let first = resume(&engine, &mut receiver).await;
        assert_eq!((first["issues"].as_u64(), first["coalesced"].as_u64()), (Some(3), Some(0)), "{first}");
        for _ in 1..edited.len() {
            let later = resume(&engine, &mut receiver).await;
            assert_eq!((later["issues"].as_u64(), later["coalesced"].as_u64()), (Some(0), Some(1)), "{later}");
            assert_eq!(later["requests"], 0, "{later}");
        }
        assert_eq!(first["requests"], 3, "one search, the changelogs, the statuses: {first}");
        assert_eq!(site.client.requests() - before, 3, "for all three");
        for &id in &edited {
            assert_eq!(summary_of(&site, id).await, format!("Gathered {id}"));
            let recorded = site.store.webhook_deliveries_of(&id.to_string()).await.unwrap();
            assert!(recorded[0].applied_ms.is_some(), "{recorded:?}");
        }
    }

    async fn a_delivery_recorded_after_the_re_read_gets_one_of_its_own(site) {
        let ids = synced(&site, 3).await;
        let (engine, mut receiver) = gathering_worker(&site, Duration::from_millis(300));
        let (early, late) = (ids.start, ids.start + 1);
        site.jira.update_issue(&early.to_string(), |i| i.summary = "Early".into());
        enqueue(&engine, "webhook-early", vec![updated("early", early)]).await;
        resume(&engine, &mut receiver).await;
        site.jira.update_issue(&late.to_string(), |i| i.summary = "Late".into());
        enqueue(&engine, "webhook-late", vec![updated("late", late)]).await;
        let output = resume(&engine, &mut receiver).await;
        assert_eq!((output["issues"].as_u64(), output["coalesced"].as_u64()), (Some(1), Some(0)), "{output}");
        assert_eq!(summary_of(&site, late).await, "Late");
    }

    async fn a_poll_counts_the_changes_no_webhook_delivered(site) {
        let ids = synced(&site, 5).await;
        let edited: Vec<u64> = ids.clone().take(3).collect();
        for &id in &edited {
            site.jira.update_issue(&id.to_string(), |i| i.summary = format!("Edited {id}"));
        }
        deliver(&worker(&site), "webhook-one", vec![updated("one", edited[0])]).await;
        let summary = site.sync(false).await.expect("incremental sync");
        assert_eq!(summary.missed_by_webhooks, 2, "{summary:?}");
        let again = site.sync(false).await.expect("nothing new");
        assert_eq!(again.missed_by_webhooks, 0, "{again:?}");
    }

    async fn a_project_a_sync_run_holds_is_retried_later(site) {
        let ids = synced(&site, 2).await;
        let issue = ids.start;
        site.jira.update_issue(&issue.to_string(), |i| i.summary = "After the run".into());
        assert!(site.store.try_lease("KAN", "a-sync-run", Duration::from_secs(60)).await.unwrap());
        let engine = worker(&site);
        let data = serde_json::to_value(WebhookDeliveries { deliveries: vec![updated("held", issue)] }).unwrap();
        let event = Event::with_id(WEBHOOK_RECEIVED, "webhook-held", data);
        let outcome = engine.handle(&event).await;
        assert!(matches!(&outcome, Outcome::Retry { error, .. } if error.code == "BUSY"), "{outcome:?}");
        assert!(site.store.release_lease("KAN", "a-sync-run").await.unwrap(), "the run's lease untouched");
        assert!(matches!(engine.handle(&event).await, Outcome::Completed { .. }));
        assert_eq!(summary_of(&site, issue).await, "After the run");
    }
}
