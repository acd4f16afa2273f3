//! The sync's rules, each on both databases (a temporary SQLite file; Postgres for real in a
//! schema of the test's own), against the test kit's fake Jira.

mod common;

use std::sync::Arc;
use std::time::Duration;

use clockwork_cache::Cache;
use clockwork_cache::redis_backend::RedisCache;
use clockwork_clients::jira_data::JiraData;
use clockwork_core::event::{Event, PROJECT_SYNC_REQUESTED};
use clockwork_durable::engine::DEADLINE_MARGIN;
use clockwork_durable::{Engine, Outcome};
use clockwork_jira_sync::{ProjectSync, SyncEngine, SyncError, SyncOptions};
use clockwork_queue::in_process::InProcessQueue;
use clockwork_store::{Store, SyncEntity};
use clockwork_testkit::faults::Fault;
use clockwork_testkit::on_both_databases;
use clockwork_testkit::redis_db::RedisDb;
use common::{SEARCH, Site};
use secrecy::SecretString;
use serde_json::json;

on_both_databases! { Site::run, Site;
    async fn a_full_sync_copies_issues_comments_worklogs_and_sprints(site) {
        let seeded = site.jira.seed_project("KAN", 250, 5, 3);
        let before = site.client.requests();
        let summary = site.sync(false).await.expect("sync");
        let counts = site.store.counts().await.expect("counts");
        assert_eq!((counts.issues, counts.comments, counts.worklogs), (250, 1250, 750), "{summary:?}");
        assert_eq!(summary.issues, 250);
        assert_eq!(counts.sprints, seeded.sprint_ids.len() as i64);
        assert!(counts.jira_users >= 1);
        let requests = site.client.requests() - before;
        assert!(
            requests <= 3 + 2 + 10 + 1 + 1 + 2,
            "search pages, boards and sprints, users, sweep, changelogs and statuses: {requests}"
        );
        assert_eq!(summary.requests, requests, "the summary counts every request");
    }

    async fn truncated_comments_are_read_to_the_end(site) {
        site.jira.seed_project("KAN", 3, 25, 2);
        site.sync(true).await.expect("sync");
        assert_eq!(site.store.counts().await.expect("counts").comments, 75);
        assert_eq!(site.jira.requests("GET /rest/api/3/issue/{issueIdOrKey}/comment"), 3);
    }

    async fn an_incremental_run_with_nothing_changed_makes_at_most_three_requests(site) {
        site.jira.seed_project("KAN", 120, 2, 2);
        site.sync(true).await.expect("full");
        let before = site.client.requests();
        let summary = site.sync(false).await.expect("incremental");
        assert!(site.client.requests() - before <= 3, "{} requests", site.client.requests() - before);
        assert_eq!(summary.deleted, 0);
    }

    async fn an_update_is_found_by_epoch_ms_whatever_the_searchers_timezone(site) {
        let seeded = site.jira.seed_project("KAN", 10, 1, 1);
        site.jira.update_user(clockwork_testkit::jira::API_USER_ACCOUNT_ID, |u| {
            u.time_zone = "America/Los_Angeles".into();
        });
        site.sync(true).await.expect("full");
        let id = seeded.issue_ids.start.to_string();
        site.jira.update_issue(&id, |issue| issue.summary = "Renamed after the cursor".into());
        site.sync(false).await.expect("incremental");
        let stored = site.store.issue(&id).await.expect("read").expect("issue");
        assert_eq!(stored.value.summary, "Renamed after the cursor");
    }

    async fn an_issue_missing_from_an_eventually_consistent_search_is_read_next_run(site) {
        let seeded = site.jira.seed_project("KAN", 5, 1, 1);
        site.sync(true).await.expect("full");
        let id = seeded.issue_ids.start.to_string();
        site.jira.update_issue(&id, |issue| issue.summary = "Late".into());
        site.jira.hide_from_next_search(&id);
        site.sync(false).await.expect("first incremental");
        assert_ne!(site.store.issue(&id).await.expect("read").expect("issue").value.summary, "Late");
        site.sync(false).await.expect("second incremental");
        assert_eq!(site.store.issue(&id).await.expect("read").expect("issue").value.summary, "Late");
    }

    async fn deleted_issues_comments_and_worklogs_are_marked_deleted(site) {
        let seeded = site.jira.seed_project("KAN", 6, 2, 0);
        site.sync(true).await.expect("full");
        let gone = seeded.issue_ids.start.to_string();
        assert!(site.jira.remove_issue(&gone));
        let kept = (seeded.issue_ids.start + 1).to_string();
        let comment = site.store.comments_of(&kept).await.expect("comments")[0].value.id.clone();
        assert!(site.jira.delete_comment(&comment));
        site.jira.update_issue(&kept, |issue| issue.summary = "touched".into());
        let summary = site.sync(true).await.expect("full again");
        assert!(summary.deleted >= 1);
        assert!(site.store.issue(&gone).await.expect("read").expect("kept as deleted").is_deleted());
        let comments = site.store.comments_of(&kept).await.expect("comments");
        assert!(comments.iter().any(|c| c.value.id == comment && c.is_deleted()));
    }

    async fn worklog_changes_arrive_through_the_worklog_stream(site) {
        let seeded = site.jira.seed_project("KAN", 4, 0, 1);
        site.jira.set_worklog_feed_lag(Duration::ZERO);
        site.sync(true).await.expect("full");
        let issue = seeded.issue_ids.start.to_string();
        let started = chrono::Utc::now() - chrono::Duration::hours(2);
        let added = site
            .jira
            .add_worklog(&issue, clockwork_testkit::jira::FakeJiraWorklog::new(&seeded.account_ids[0], started, 900))
            .expect("worklog");
        let existing = site.store.worklogs_of(&issue).await.expect("worklogs")[0].value.id.clone();
        assert!(site.jira.delete_worklog(&existing));
        site.sync(false).await.expect("incremental");
        let worklogs = site.store.worklogs_of(&issue).await.expect("worklogs");
        assert!(worklogs.iter().any(|w| w.value.id == added && !w.is_deleted()), "{worklogs:?}");
        assert!(worklogs.iter().any(|w| w.value.id == existing && w.is_deleted()), "{worklogs:?}");
        let cursor = site.store.sync_state("KAN", SyncEntity::Worklogs).await.expect("state").and_then(|s| s.cursor_ms);
        assert!(cursor.is_some_and(|c| c <= chrono::Utc::now().timestamp_millis()));
    }

    async fn worklog_changes_already_applied_are_not_fetched_again(site) {
        let seeded = site.jira.seed_project("KAN", 3, 0, 2);
        site.jira.set_worklog_feed_lag(Duration::ZERO);
        site.sync(true).await.expect("full");
        let issue = seeded.issue_ids.start.to_string();
        let started = chrono::Utc::now() - chrono::Duration::hours(1);
        let worklog = clockwork_testkit::jira::FakeJiraWorklog::new(&seeded.account_ids[0], started, 600);
        let added = site.jira.add_worklog(&issue, worklog).expect("worklog");
        // The deletion comes later than the addition: the two feeds end at different times.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let existing = site.store.worklogs_of(&issue).await.expect("worklogs")[0].value.id.clone();
        assert!(site.jira.delete_worklog(&existing));
        site.sync(false).await.expect("incremental with changes");
        assert_eq!(site.jira.requests("POST /rest/api/3/worklog/list"), 1);
        let stored = site.store.worklogs_of(&issue).await.expect("worklogs");
        assert!(stored.iter().any(|w| w.value.id == added && !w.is_deleted()));

        site.jira.reset_counts();
        site.sync(false).await.expect("incremental, nothing changed since");
        assert_eq!(site.jira.requests("POST /rest/api/3/worklog/list"), 0, "nothing new to list");
        assert!(site.jira.total_requests() <= 3, "{} requests", site.jira.total_requests());
    }

    async fn a_4xx_stops_the_sync_and_the_cursor_stays_at_the_last_committed_batch(site) {
        site.jira.seed_project("KAN", 250, 1, 1);
        site.jira.inject(SEARCH, Fault::Delay(Duration::ZERO), 1);
        site.jira.inject(SEARCH, Fault::Status(403), 1);
        let error = site.sync(true).await.expect_err("a 403 is never swallowed");
        assert_eq!(error.code(), "PERMISSION_DENIED");
        assert_eq!(site.store.counts().await.expect("counts").issues, 100, "the first batch only");
        let logs = site.store.sync_logs("KAN", 10).await.expect("logs");
        assert!(logs.iter().any(|log| log.details.as_ref().is_some_and(|d| d["code"] == "PERMISSION_DENIED")));
        site.sync(false).await.expect("resumes");
        assert_eq!(site.store.counts().await.expect("counts").issues, 250);
    }

    async fn a_sync_killed_at_any_batch_resumes_to_the_same_rows(site) {
        site.jira.seed_project("KAN", 450, 2, 2);
        // Fail after a varying number of batches, then resume until done.
        for failed_page in [3, 1, 2] {
            site.jira.inject(SEARCH, Fault::Delay(Duration::ZERO), failed_page - 1);
            site.jira.inject(SEARCH, Fault::Status(503), 3);
            let _interrupted = site.sync(false).await;
        }
        site.sync(false).await.expect("completes");
        let counts = site.store.counts().await.expect("counts");
        assert_eq!((counts.issues, counts.comments, counts.worklogs), (450, 900, 900));
        assert_eq!(counts.issues_deleted + counts.comments_deleted + counts.worklogs_deleted, 0);
    }

    async fn one_run_per_project_at_a_time(site) {
        site.jira.seed_project("KAN", 1, 0, 0);
        assert!(site.store.try_lease("KAN", "someone-else", Duration::from_secs(60)).await.expect("lease"));
        assert!(matches!(site.sync(false).await, Err(SyncError::Busy(_))));
    }

    async fn a_sweep_that_lists_no_issues_marks_nothing_deleted(site) {
        let seeded = site.jira.seed_project("KAN", 5, 0, 0);
        site.sync(true).await.expect("full");
        for id in seeded.issue_ids.clone() {
            site.jira.remove_issue(&id.to_string());
        }
        let summary = site.sync(true).await.expect("full again");
        assert_eq!(summary.deleted, 0);
        assert_eq!(site.store.counts().await.expect("counts").issues_deleted, 0);
        let logs = site.store.sync_logs("KAN", 10).await.expect("logs");
        assert!(logs.iter().any(|log| log.message.contains("nothing was marked deleted")), "{logs:?}");
    }

    async fn the_worker_runs_a_long_sync_in_slices_under_one_run_id(site) {
        site.jira.seed_project("KAN", 350, 1, 1);
        let redis = RedisDb::lease().await;
        let cache: Arc<dyn Cache> =
            Arc::new(RedisCache::connect(&SecretString::from(redis.url.clone())).await.expect("Redis"));
        let (queue, mut receiver) = InProcessQueue::new();
        let sync = SyncEngine::new(site.client.clone(), site.store.clone(), SyncOptions::default());
        // A budget of a millisecond: every delivery commits one batch, then continues.
        let engine = Engine::new(cache)
            .register(Arc::new(ProjectSync::new(Arc::new(sync))))
            .with_lease(DEADLINE_MARGIN + Duration::from_millis(1))
            .with_continuations(Arc::new(queue));
        let untracked = engine.handle(&Event::new(PROJECT_SYNC_REQUESTED, json!({ "projectKey": "KAN" }))).await;
        assert!(matches!(&untracked, Outcome::Failed { error, .. } if error.code == "NOT_TRACKED"), "{untracked:?}");
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        let mut event = Event::with_id(PROJECT_SYNC_REQUESTED, "sync-kan-1", json!({ "projectKey": "kan", "full": true }));
        let mut deliveries = 1;
        let output = loop {
            match engine.handle(&event).await {
                Outcome::Continued { .. } => {
                    event = receiver.recv().await.expect("continuation");
                    assert_eq!(event.id, "sync-kan-1");
                    deliveries += 1;
                }
                Outcome::Completed { output, .. } => break output,
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(deliveries, 4, "one batch of 100 a delivery");
        assert_eq!(output["issues"], 350);
        assert_eq!(output["project"], "KAN");
        let counts = site.store.counts().await.expect("counts");
        assert_eq!((counts.issues, counts.comments, counts.worklogs), (350, 350, 350));
        assert!(site.store.try_lease("KAN", "next-run", Duration::from_secs(60)).await.expect("lease"), "released");
    }

    async fn a_sync_event_without_a_valid_project_key_fails_for_good(site) {
        let redis = RedisDb::lease().await;
        let cache: Arc<dyn Cache> =
            Arc::new(RedisCache::connect(&SecretString::from(redis.url.clone())).await.expect("Redis"));
        let sync = SyncEngine::new(site.client.clone(), site.store.clone(), SyncOptions::default());
        let engine = Engine::new(cache).register(Arc::new(ProjectSync::new(Arc::new(sync))));
        for data in [json!({ "full": true }), json!({ "projectKey": "../KAN" })] {
            let outcome = engine.handle(&Event::new(PROJECT_SYNC_REQUESTED, data)).await;
            assert!(
                matches!(&outcome, Outcome::Failed { error, .. } if error.code == "MALFORMED_EVENT"),
                "{outcome:?}"
            );
        }
        assert_eq!(site.jira.total_requests(), 0);
    }

    async fn a_user_watched_during_a_run_still_gets_the_backfill(site) {
        let seeded = site.jira.seed_project("KAN", 150, 0, 0);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        let mut state = site.engine.begin("KAN", true, &[], "run-a").await.expect("begin");
        let mut page;
        (state, page) = site.engine.next_batch(state, None).await.expect("first batch");
        site.store.add_tracked_user("KAN", &seeded.account_ids[0]).await.expect("watch");
        while !state.issues_done {
            (state, page) = site.engine.next_batch(state, page).await.expect("batch");
        }
        site.engine.finish(state).await.expect("finish");
        let cursor = site.store.sync_state("KAN", SyncEntity::Issues).await.expect("state").and_then(|s| s.cursor_ms);
        assert_eq!(cursor, None, "the next run is a full one");
    }

    async fn tracked_users_limit_what_is_ingested(site) {
        let seeded = site.jira.seed_project("KAN", 40, 2, 2);
        let one = seeded.account_ids[0].clone();
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        site.store.add_tracked_user("KAN", &one).await.expect("tracked user");
        site.sync(true).await.expect("sync");
        let counts = site.store.counts().await.expect("counts");
        assert!(counts.issues > 0 && counts.issues < 40, "{counts:?}");
    }

    async fn a_backfill_adds_only_the_named_accounts_work_and_leaves_the_cursor(site) {
        let seeded = site.jira.seed_project("KAN", 60, 2, 2);
        let (one, two) = (seeded.account_ids[0].clone(), seeded.account_ids[1].clone());
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        site.store.add_tracked_user("KAN", &one).await.expect("watch one");
        site.sync(true).await.expect("first sync");
        let before = site.store.counts().await.expect("counts");
        let issue_cursor = async |store: &Store| {
            store.sync_state("KAN", SyncEntity::Issues).await.expect("state").and_then(|s| s.cursor_ms)
        };
        let cursor_before = issue_cursor(&site.store).await;
        site.store.add_tracked_user("KAN", &two).await.expect("watch two");
        let state = site.engine.begin("KAN", false, std::slice::from_ref(&two), "backfill").await.expect("begin");
        let (mut state, mut page) = (state, None);
        while !state.issues_done {
            (state, page) = site.engine.next_batch(state, page).await.expect("batch");
        }
        site.engine.finish(state).await.expect("finish");
        let after = site.store.counts().await.expect("counts");
        assert!(after.comments > before.comments && after.worklogs > before.worklogs, "{before:?} -> {after:?}");
        assert_eq!((after.comments_deleted, after.worklogs_deleted), (0, 0), "the first account's work stays");
        // Adding the second account dropped the cursor (a full resync is owed); the backfill
        // of that account alone moved it nowhere.
        assert_eq!(issue_cursor(&site.store).await, None);
        assert!(cursor_before.is_some());
    }

    async fn every_finished_run_is_recorded_and_a_busy_project_is_not_a_failure(site) {
        site.jira.seed_project("KAN", 5, 0, 0);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        site.sync(true).await.expect("sync");
        site.jira.inject(SEARCH, Fault::Status(401), 1);
        let error = site.sync(false).await.expect_err("401");
        assert_eq!(error.code(), "AUTH_EXPIRED");
        assert!(site.store.try_lease("KAN", "someone-else", Duration::from_secs(60)).await.expect("lease"));
        let busy = site.sync(false).await.expect_err("busy");
        assert_eq!(busy.code(), "BUSY");
        let runs = site.store.recent_runs("KAN", 10).await.expect("runs");
        let outcomes: Vec<_> = runs.iter().map(|r| (r.succeeded, r.error_code.as_deref(), r.retryable)).collect();
        assert_eq!(outcomes, [(false, Some("AUTH_EXPIRED"), false), (true, None, false)]);
        assert_eq!(runs[1].issues, 5);
    }

    async fn a_retryable_failure_keeps_the_lease_for_the_retry_and_a_permanent_one_frees_it(site) {
        site.jira.seed_project("KAN", 150, 0, 0);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        let state = site.engine.begin("KAN", true, &[], "run-a").await.expect("begin");
        site.jira.inject(SEARCH, Fault::Status(500), 3);
        let error = site.engine.next_batch(state.clone(), None).await.expect_err("500s");
        assert!(error.is_retryable(), "{error}");
        let other = Duration::from_secs(60);
        assert!(!site.store.try_lease("KAN", "run-b", other).await.unwrap(), "kept for the retry");
        // The retry, under the same holder, carries on.
        let (state, _) = site.engine.next_batch(state, None).await.expect("the retry");
        site.jira.inject(SEARCH, Fault::Status(401), 1);
        let error = site.engine.next_batch(state, None).await.expect_err("401");
        assert!(!error.is_retryable(), "{error}");
        assert!(site.store.try_lease("KAN", "run-b", other).await.unwrap(), "freed");
    }

    async fn a_one_shot_sync_frees_the_project_after_a_retryable_failure(site) {
        site.jira.seed_project("KAN", 5, 0, 0);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        site.jira.inject(SEARCH, Fault::Status(500), 3);
        assert!(site.sync(true).await.expect_err("500s").is_retryable());
        site.sync(true).await.expect("the next run is not told the project is busy");
    }

    async fn the_lease_is_renewed_every_half_lease_not_every_batch(site) {
        site.jira.seed_project("KAN", 350, 0, 0);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        let clock = Arc::new(std::sync::atomic::AtomicI64::new(chrono::Utc::now().timestamp_millis()));
        let now = clock.clone();
        let store = site.store.clone().with_clock(Arc::new(move || now.load(std::sync::atomic::Ordering::SeqCst)));
        let lease = Duration::from_secs(600);
        let engine = SyncEngine::new(site.client.clone(), store.clone(), SyncOptions { lease, ..SyncOptions::default() });
        let state = engine.begin("KAN", true, &[], "run-a").await.expect("begin");
        let (_, taken) = store.lease("KAN").await.unwrap().expect("leased");
        let (state, page) = engine.next_batch(state, None).await.expect("batch 1");
        assert_eq!(store.lease("KAN").await.unwrap().unwrap().1, taken, "not renewed within half a lease");
        clock.fetch_add(301_000, std::sync::atomic::Ordering::SeqCst);
        engine.next_batch(state, page).await.expect("batch 2");
        assert_eq!(store.lease("KAN").await.unwrap().unwrap().1, taken + 301_000, "renewed past half");
    }

    async fn a_project_hidden_for_one_run_and_restored_loses_nothing(site) {
        site.jira.seed_project("KAN", 120, 1, 1);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        site.sync(true).await.expect("first sync");
        let before = site.store.counts().await.expect("counts");
        site.jira.set_project_browsable("KAN", false);
        site.sync(true).await.expect("a sync that sees nothing");
        let logs = site.store.sync_logs("KAN", 5).await.unwrap();
        let warned = logs.iter().find(|log| log.details.as_ref().is_some_and(|d| d["code"] == "PROJECT_NOT_VISIBLE"));
        assert!(warned.is_some_and(|log| log.message.contains("Browse permission")), "{logs:?}");
        site.jira.set_project_browsable("KAN", true);
        site.sync(true).await.expect("visible again");
        let after = site.store.counts().await.expect("counts");
        assert_eq!((after.issues, after.issues_deleted, after.comments_deleted), (before.issues, 0, 0));
    }

    async fn most_issues_vanishing_at_once_wait_for_a_second_sweep(site) {
        let seeded = site.jira.seed_project("KAN", 100, 0, 0);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        site.sync(true).await.expect("first sync");
        // An issue security change hides 60 of 100 issues for one run.
        let hidden: Vec<String> = seeded.issue_ids.clone().take(60).map(|id| id.to_string()).collect();
        for id in &hidden {
            site.jira.set_issue_browsable(id, false);
        }
        site.sync(true).await.expect("sync");
        assert_eq!(site.store.counts().await.unwrap().issues_deleted, 0, "held back");
        let logs = site.store.sync_logs("KAN", 5).await.unwrap();
        let held = logs.iter().find(|log| log.details.as_ref().is_some_and(|d| d["code"] == "DELETIONS_HELD_BACK"));
        assert_eq!(held.and_then(|log| log.details.as_ref()).map(|d| d["unobserved"].clone()), Some(json!(60)));
        for id in &hidden {
            site.jira.set_issue_browsable(id, true);
        }
        // The confirming sweep runs at the next (incremental) run, not a day later.
        site.sync(false).await.expect("sync");
        assert_eq!(site.store.counts().await.unwrap().issues_deleted, 0, "restored, not deleted");
        for id in &hidden {
            assert!(site.jira.remove_issue(id));
        }
        // Really deleted: the next sweep holds them back (an incremental run sweeps again
        // after one that held deletions back), the one after confirms.
        site.sync(true).await.expect("sync");
        assert_eq!(site.store.counts().await.unwrap().issues_deleted, 0);
        site.sync(false).await.expect("the confirming sweep");
        assert_eq!(site.store.counts().await.unwrap().issues_deleted, 60, "gone twice: deleted");
    }
}
