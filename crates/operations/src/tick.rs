//! The tick: every minute (the local runner's timer, the worker's `jira/schedules.tick`, or
//! Vercel's cron), start each tracked project's due run by enqueueing
//! `jira/project.sync.requested`, and move its schedule on, in one atomic claim so two ticks
//! (or two hosts) never start the same due run twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use clockwork_core::event::{Event, PROJECT_SYNC_REQUESTED};
use clockwork_queue::Queue;
use clockwork_store::{Claim, JobStatus, Store, StoreError, SyncJob};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cron::Schedule;

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TickReport {
    /// The projects whose run was enqueued, by key.
    pub started: Vec<String>,
    /// Due runs that could not be enqueued; they stay requested for the next tick.
    pub failed: Vec<String>,
}

/// Starts due runs; cheap to clone.
#[derive(Debug, Clone)]
pub struct Scheduler {
    store: Store,
    queue: Arc<dyn Queue>,
    /// The cron used for a job whose stored cron no longer parses.
    fallback: Schedule,
}

impl Scheduler {
    pub fn new(store: Store, queue: Arc<dyn Queue>, fallback: Schedule) -> Self {
        Self { store, queue, fallback }
    }

    /// A tick at the store clock's "now".
    pub async fn tick_now(&self) -> Result<TickReport, StoreError> {
        self.tick(self.store.now_ms()).await
    }

    /// Enqueues every due run at `now_ms` (epoch ms) that this tick claims.
    #[tracing::instrument(skip(self))]
    pub async fn tick(&self, now_ms: i64) -> Result<TickReport, StoreError> {
        let due = self.store.due_jobs(now_ms).await?;
        if due.is_empty() {
            return Ok(TickReport::default());
        }
        // Most projects share a few crons: each one's next firing is computed once a tick.
        let mut next_of: HashMap<&str, Option<i64>> = HashMap::new();
        let claims: Vec<Claim> =
            due.iter().map(|job| self.claim(job, now_ms, &mut next_of)).collect();
        let claimed: HashSet<String> = self.store.claim_runs(&claims).await?.into_iter().collect();
        let mut report = TickReport::default();
        for job in due.iter().filter(|job| claimed.contains(&job.project_key)) {
            let (event, full, accounts) = run_event(job, now_ms);
            match self.queue.send(&event).await {
                Ok(()) => report.started.push(job.project_key.clone()),
                Err(error) => {
                    // Asked for again, so the next tick tries once more.
                    tracing::warn!(project = %job.project_key, %error, "sync not enqueued");
                    self.store.request_run(&job.project_key, full, &accounts).await?;
                    report.failed.push(job.project_key.clone());
                }
            }
        }
        if !report.started.is_empty() {
            tracing::info!(started = ?report.started, "tick started project syncs");
        }
        Ok(report)
    }

    /// What this tick saw of `job`, and where its schedule moves: past a scheduled run that
    /// has come, on to the cron's next firing; a requested run alone leaves it.
    fn claim<'a>(
        &self,
        job: &'a SyncJob,
        now_ms: i64,
        next_of: &mut HashMap<&'a str, Option<i64>>,
    ) -> Claim {
        let next_run_ms = if is_scheduled_due(job, now_ms) {
            *next_of.entry(job.cron.as_str()).or_insert_with(|| {
                let schedule = Schedule::parse(&job.cron).unwrap_or_else(|error| {
                    tracing::warn!(project = %job.project_key, %error, "stored cron unreadable");
                    self.fallback.clone()
                });
                schedule.next_after_ms(now_ms)
            })
        } else {
            job.next_run_ms
        };
        Claim {
            project_key: job.project_key.clone(),
            seen_next_run_ms: job.next_run_ms,
            seen_requested_ms: job.request.as_ref().map(|request| request.requested_ms),
            next_run_ms,
        }
    }
}

fn is_scheduled_due(job: &SyncJob, now_ms: i64) -> bool {
    job.status == JobStatus::Active && job.next_run_ms.is_none_or(|next| next <= now_ms)
}

/// The run's event. A scheduled run's id names its due time, so whatever enqueues it twice
/// enqueues one run; each trigger is a run of its own (two can be asked for in one
/// millisecond, after the first was claimed).
fn run_event(job: &SyncJob, now_ms: i64) -> (Event, bool, Vec<String>) {
    let project = job.project_key.as_str();
    let (id, full, accounts) = match &job.request {
        Some(request) => (
            format!("trigger-{project}-{}", uuid::Uuid::new_v4().simple()),
            request.full,
            request.accounts.clone(),
        ),
        None => {
            (format!("schedule-{project}-{}", job.next_run_ms.unwrap_or(now_ms)), false, Vec::new())
        }
    };
    let mut data = json!({ "projectKey": project, "full": full });
    if !accounts.is_empty() {
        data["accountIds"] = json!(accounts);
    }
    (Event::with_id(PROJECT_SYNC_REQUESTED, id, data), full, accounts)
}
