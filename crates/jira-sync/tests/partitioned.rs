//! Partitioned full syncs: a big project searched in id ranges at once, under the site's
//! limits (concurrency, rate, `Retry-After`, near-limit warnings), and still exact when
//! killed midway.

mod common;

use std::time::Duration;

use clockwork_clients::{Governance, JiraData};
use clockwork_jira_sync::{NoProgress, RunState, SyncEngine, SyncOptions};
use clockwork_store::{Store, SyncEntity};
use clockwork_testkit::databases::Kind;
use clockwork_testkit::on_both_databases;
use common::{SEARCH, Site};

const COUNT: &str = "POST /rest/api/3/search/approximate-count";

/// Projects of more than 200 issues are partitioned, four ways.
fn partitioned() -> SyncOptions {
    SyncOptions { partitions: 4, partition_min_issues: 200, ..SyncOptions::default() }
}

fn governance(max_concurrency: usize, max_per_second: Option<f64>) -> Governance {
    Governance {
        max_concurrency,
        max_per_second,
        near_limit_pause: Duration::from_millis(20),
        ..Governance::default()
    }
}

async fn cursor(store: &Store) -> Option<i64> {
    store.sync_state("KAN", SyncEntity::Issues).await.expect("state").and_then(|s| s.cursor_ms)
}

/// Commits batches until the issues are done or `batches` are committed.
async fn batches(engine: &SyncEngine, mut state: RunState, batches: usize) -> RunState {
    let mut page = None;
    for _ in 0..batches {
        if state.issues_done {
            break;
        }
        (state, page) = engine.next_batch(state, page).await.expect("batch");
    }
    state
}

on_both_databases! { Site::run, Site;
    async fn a_partitioned_full_sync_fetches_every_issue_exactly_once(site) {
        site.jira.seed_project("KAN", 1000, 2, 1);
        site.jira.set_latency(Duration::from_millis(30));
        let (_, engine) = site.engine_with(governance(4, None), partitioned());
        let state = engine.begin("KAN", true, &[], "run-a").await.expect("begin");
        let state = batches(&engine, state, usize::MAX).await;
        assert_eq!(state.read, 1000, "no issue read twice");
        let summary = engine.finish(state).await.expect("finish");
        assert_eq!(summary.issues, 1000);
        let counts = site.store.counts().await.expect("counts");
        assert_eq!((counts.issues, counts.comments, counts.worklogs), (1000, 2000, 1000));
        // One count, one census page, three pages (100, 100, 50) in each of four ranges, and
        // the sweep's listing.
        assert_eq!((site.jira.requests(COUNT), site.jira.requests(SEARCH)), (1, 1 + 4 * 3 + 1));
        let peak = site.jira.peak_in_flight();
        assert!((2..=4).contains(&peak), "the ranges are fetched at once, 4 at most: {peak}");
    }

    async fn a_partitioned_run_killed_midway_resumes_with_nothing_missed_or_duplicated(site) {
        let seeded = site.jira.seed_project("KAN", 1000, 1, 1);
        let (_, engine) = site.engine_with(governance(4, None), partitioned());
        let state = engine.begin("KAN", true, &[], "run-a").await.expect("begin");
        // Killed once every range has a page in (the cursor moved): none has all three.
        let (mut killed, mut page) = (state, None);
        while cursor(&site.store).await.is_none() {
            (killed, page) = engine.next_batch(killed, page).await.expect("batch");
        }
        assert!(!killed.issues_done);
        drop((killed, page));
        let committed = site.store.counts().await.expect("counts").issues;
        assert!(committed > 0 && committed < 1000, "{committed}");
        // The site moves on while the run is dead: issues of every range are edited.
        let ids: Vec<String> = seeded.issue_ids.clone().map(|id| id.to_string()).collect();
        let edited: Vec<&String> = ids.iter().step_by(97).collect();
        for id in &edited {
            site.jira.update_issue(id, |issue| issue.summary = "edited while the run was dead".into());
        }
        // Its lease lapses; the next run resumes from the cursor the dead one left.
        site.store.release_lease("KAN", "run-a").await.expect("lease");
        site.sync(false).await.expect("resumed");
        let counts = site.store.counts().await.expect("counts");
        assert_eq!((counts.issues, counts.comments, counts.worklogs), (1000, 1000, 1000), "{counts:?}");
        assert_eq!(counts.issues_deleted + counts.comments_deleted + counts.worklogs_deleted, 0);
        for id in edited {
            let stored = site.store.issue(id).await.expect("read").expect("issue");
            assert_eq!(stored.value.summary, "edited while the run was dead", "issue {id}");
        }
    }

    async fn a_continued_partitioned_run_reads_each_issue_once(site) {
        site.jira.seed_project("KAN", 700, 1, 1);
        let (_, engine) = site.engine_with(governance(4, None), partitioned());
        let state = engine.begin("KAN", true, &[], "run-a").await.expect("begin");
        // A worker's slice ends after three batches; its continuation starts afresh from
        // the memoized state, without the page tokens of the process before.
        let state = batches(&engine, state, 3).await;
        let state = batches(&engine, state.continued(), usize::MAX).await;
        assert_eq!(state.read, 700, "the continuation read no committed issue again");
        engine.finish(state).await.expect("finish");
        let counts = site.store.counts().await.expect("counts");
        assert_eq!((counts.issues, counts.comments, counts.worklogs), (700, 700, 700));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_full_sync_is_one_search_and_an_unchanged_incremental_run_costs_the_same() {
    Site::run(Kind::Sqlite, |site| async move {
        site.jira.seed_project("KAN", 150, 0, 0);
        let (client, engine) = site.engine_with(governance(4, None), partitioned());
        engine.sync_project("KAN", true, &NoProgress).await.expect("full");
        assert_eq!(
            (site.jira.requests(COUNT), site.jira.requests(SEARCH)),
            (1, 2 + 1),
            "two pages and the sweep's listing, no census"
        );
        let before = client.requests();
        engine.sync_project("KAN", false, &NoProgress).await.expect("incremental");
        assert!(client.requests() - before <= 3, "{} requests", client.requests() - before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_sync_stays_within_the_configured_concurrency_and_rate() {
    Site::run(Kind::Sqlite, |site| async move {
        site.jira.seed_project("KAN", 1000, 0, 0);
        site.jira.set_latency(Duration::from_millis(10));
        // The site allows 30 a second and warns past 24; the sync is held to 20.
        site.jira.set_rate_budget(Some(30));
        let (_, engine) = site.engine_with(governance(3, Some(20.0)), partitioned());
        let summary = engine.sync_project("KAN", true, &NoProgress).await.expect("sync");
        assert_eq!(summary.issues, 1000);
        assert_eq!(site.store.counts().await.expect("counts").issues, 1000);
        assert!(site.jira.peak_in_flight() <= 3, "peak {}", site.jira.peak_in_flight());
        let per_second = site.jira.peak_requests_per_second();
        assert!(per_second <= 24, "{per_second} requests in one second");
        assert_eq!(site.jira.over_budget_answers(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_sync_honours_retry_after_and_near_limit_warnings_and_completes() {
    Site::run(Kind::Sqlite, |site| async move {
        site.jira.seed_project("KAN", 1000, 1, 0);
        // Jira's burst limit, well below what four unpaced requests at a time send: near
        // the limit past 6 a second, 429 with `Retry-After: 1` past 8. A client retrying
        // sooner than asked spends its three attempts within the second and fails.
        site.jira.set_rate_budget(Some(8));
        let (_, engine) = site.engine_with(governance(4, None), partitioned());
        let summary = engine.sync_project("KAN", true, &NoProgress).await.expect("sync");
        assert_eq!(summary.issues, 1000);
        let counts = site.store.counts().await.expect("counts");
        assert_eq!((counts.issues, counts.comments), (1000, 1000));
        assert!(site.jira.over_budget_answers() > 0, "the budget was never reached");
        assert!(site.jira.peak_in_flight() <= 4);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_warning_near_its_limit_gets_half_the_concurrency_or_less() {
    Site::run(Kind::Sqlite, |site| async move {
        site.jira.seed_project("KAN", 600, 0, 0);
        site.jira.set_latency(Duration::from_millis(20));
        site.jira.set_near_limit(true);
        let (_, engine) = site.engine_with(governance(4, None), partitioned());
        let summary = engine.sync_project("KAN", true, &NoProgress).await.expect("sync");
        assert_eq!(summary.issues, 600);
        // The first answer (the count, alone in flight) warned: never more than 2 after it.
        assert!(site.jira.peak_in_flight() <= 2, "peak {}", site.jira.peak_in_flight());
    })
    .await;
}
