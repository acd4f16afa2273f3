//! Schedules: the atomic claim of due runs, requested runs, and the run record.

use std::time::Duration;

use clockwork_store::{Claim, JobStatus, Requested, RunRecord};
use clockwork_testkit::on_both_databases;

use crate::TestDb;
use crate::fixtures::PROJECT;

const CRON: &str = "*/15 * * * *";

/// Tracks `PROJECT` with a schedule whose first run is due at `next_run_ms`.
async fn tracked(db: &TestDb, next_run_ms: i64) -> clockwork_store::Store {
    let store = db.store().await;
    store.track_project(PROJECT, "10001", "Acme").await.unwrap();
    store.create_sync_job(PROJECT, CRON, Some(next_run_ms)).await.unwrap();
    store
}

fn claim_of(job: &clockwork_store::SyncJob, next_run_ms: i64) -> Claim {
    Claim {
        project_key: job.project_key.clone(),
        seen_next_run_ms: job.next_run_ms,
        seen_requested_ms: job.request.as_ref().map(|r| r.requested_ms),
        next_run_ms: Some(next_run_ms),
    }
}

on_both_databases! { crate::run, TestDb;
    async fn tracking_creates_an_active_schedule_that_a_second_create_keeps(db) {
        let store = tracked(&db, 42).await;
        let job = store.create_sync_job(PROJECT, "0 * * * *", Some(7)).await.unwrap();
        assert_eq!((job.cron.as_str(), job.original_cron.as_str()), (CRON, CRON));
        assert_eq!((job.status, job.next_run_ms, job.backoff_rung), (JobStatus::Active, Some(42), 0));
        assert_eq!(store.sync_jobs().await.unwrap(), [job]);
    }

    async fn a_due_run_is_claimed_once_even_when_two_ticks_saw_it(db) {
        let now = db.now_ms();
        let store = tracked(&db, now - 1).await;
        let other = db.store().await;
        let seen = store.due_jobs(now).await.unwrap();
        let seen_too = other.due_jobs(now).await.unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen, seen_too);
        let claims: Vec<Claim> = seen.iter().map(|job| claim_of(job, now + 900_000)).collect();
        assert_eq!(store.claim_runs(&claims).await.unwrap(), [PROJECT]);
        assert!(other.claim_runs(&claims).await.unwrap().is_empty(), "claimed twice");
        assert!(store.due_jobs(now).await.unwrap().is_empty());
        let job = store.sync_job(PROJECT).await.unwrap().unwrap();
        assert_eq!(job.next_run_ms, Some(now + 900_000));
    }

    async fn paused_untracked_and_leased_projects_are_not_due(db) {
        let now = db.now_ms();
        let store = tracked(&db, now - 1).await;
        assert!(store.set_job_status(PROJECT, JobStatus::Paused, None).await.unwrap());
        assert!(store.due_jobs(now).await.unwrap().is_empty(), "paused");
        store.set_job_status(PROJECT, JobStatus::Active, None).await.unwrap();
        assert!(store.try_lease(PROJECT, "run-1", Duration::from_secs(60)).await.unwrap());
        assert!(store.due_jobs(now).await.unwrap().is_empty(), "a run holds it");
        store.release_lease(PROJECT, "run-1").await.unwrap();
        store.untrack_project(PROJECT).await.unwrap();
        assert!(store.due_jobs(now).await.unwrap().is_empty(), "untracked");
        assert!(store.sync_jobs().await.unwrap().is_empty());
    }

    async fn a_requested_run_is_due_even_when_paused_and_merges_with_the_next(db) {
        let now = db.now_ms();
        let store = tracked(&db, now + 3_600_000).await;
        store.set_job_status(PROJECT, JobStatus::Paused, None).await.unwrap();
        let alice = vec!["alice".to_owned()];
        let bob = vec!["bob".to_owned()];
        assert_eq!(store.request_run(PROJECT, false, &alice).await.unwrap(), Requested::Queued);
        store.request_run(PROJECT, true, &bob).await.unwrap();
        let due = store.due_jobs(now).await.unwrap();
        let request = due[0].request.clone().expect("requested");
        assert!(request.full, "a full request is not lost by merging");
        assert_eq!(request.accounts, ["alice", "bob"]);
        // Claiming a requested run keeps the schedule's own next run.
        let claim = Claim { next_run_ms: due[0].next_run_ms, ..claim_of(&due[0], 0) };
        assert_eq!(store.claim_runs(&[claim]).await.unwrap(), [PROJECT]);
        let job = store.sync_job(PROJECT).await.unwrap().unwrap();
        assert_eq!((job.request, job.next_run_ms), (None, Some(now + 3_600_000)));
    }

    async fn a_request_while_a_run_holds_the_project_waits_for_it(db) {
        let store = tracked(&db, db.now_ms() + 60_000).await;
        store.try_lease(PROJECT, "run-1", Duration::from_secs(60)).await.unwrap();
        let requested = store.request_run(PROJECT, false, &[]).await.unwrap();
        assert_eq!(requested, Requested::AfterRunInProgress);
        assert!(store.due_jobs(db.now_ms()).await.unwrap().is_empty());
        store.release_lease(PROJECT, "run-1").await.unwrap();
        assert_eq!(store.due_jobs(db.now_ms()).await.unwrap().len(), 1, "not lost");
    }

    async fn a_request_for_an_untracked_project_is_refused(db) {
        let store = db.store().await;
        let error = store.request_run("NOPE", false, &[]).await.unwrap_err();
        assert_eq!(error, clockwork_store::StoreError::UnknownProject("NOPE".into()));
    }

    async fn runs_are_recorded_newest_first_with_the_last_run_time(db) {
        let store = tracked(&db, 0).await;
        for (n, succeeded) in [(1, true), (2, false)] {
            let run = RunRecord {
                project_key: PROJECT.into(),
                started_ms: n * 1000,
                finished_ms: n * 1000 + 500,
                succeeded,
                error_code: (!succeeded).then(|| "RATE_LIMIT".to_owned()),
                retryable: !succeeded,
                issues: n,
            };
            store.record_run(&run).await.unwrap();
        }
        let runs = store.recent_runs(PROJECT, 10).await.unwrap();
        assert_eq!(runs.iter().map(|r| r.succeeded).collect::<Vec<_>>(), [false, true]);
        assert_eq!(runs[0].error_code.as_deref(), Some("RATE_LIMIT"));
        assert_eq!(runs[0].duration_ms(), 500);
        assert_eq!(store.sync_job(PROJECT).await.unwrap().unwrap().last_run_ms, Some(2500));
    }
}
