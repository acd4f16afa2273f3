//! What an admin does to a project's syncs (the CLI now, the GraphQL API next): track and
//! untrack, pause, resume, reschedule, trigger, start. Each is a store operation; a
//! trigger is recorded as a requested run that the next tick starts, or at once when these
//! controls have a [`Scheduler`] of their own.

use clockwork_store::{JobStatus, Requested, Store, StoreError, SyncJob};

use crate::cron::{CronError, Schedule};
use crate::tick::Scheduler;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0} is not tracked; track it first (clockwork-local projects track {0})")]
    NotTracked(String),
    #[error(transparent)]
    InvalidCron(#[from] CronError),
    #[error("{account} is not watched in {project}; a backfill names watched accounts only")]
    NotWatched { project: String, account: String },
    #[error("store: {0}")]
    Store(StoreError),
}

impl From<StoreError> for ControlError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::UnknownProject(key) => Self::NotTracked(key),
            other => Self::Store(other),
        }
    }
}

impl ControlError {
    /// The machine code the APIs answer with.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotTracked(_) => "NOT_TRACKED",
            Self::InvalidCron(_) => "INVALID_CRON",
            Self::NotWatched { .. } => "NOT_WATCHED",
            Self::Store(_) => "STORE_UNAVAILABLE",
        }
    }
}

/// Where a trigger stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Triggered {
    /// Enqueued now.
    Started,
    /// Recorded; the next tick (within a minute, wherever the schedule runs) starts it.
    Queued,
    /// A run holds the project: this one starts after it ends.
    AfterRunInProgress,
}

impl Triggered {
    /// What to tell the person who asked.
    pub fn describe(self, project: &str) -> String {
        match self {
            Self::Started => format!("A sync of {project} is enqueued."),
            Self::Queued => format!(
                "A sync of {project} is requested; the next schedule tick (within a minute, \
                 where `clockwork-local serve` or the worker runs) starts it."
            ),
            Self::AfterRunInProgress => {
                format!("A sync of {project} is running; the requested one starts when it ends.")
            }
        }
    }
}

/// The controls; cheap to clone.
#[derive(Debug, Clone)]
pub struct Controls {
    store: Store,
    default_cron: Schedule,
    scheduler: Option<Scheduler>,
}

impl Controls {
    /// `default_cron` (`SYNC_DEFAULT_CRON`) is the schedule of newly tracked projects.
    pub fn new(store: Store, default_cron: Schedule) -> Self {
        Self { store, default_cron, scheduler: None }
    }

    /// Triggers are enqueued at once through `scheduler`.
    pub fn with_scheduler(mut self, scheduler: Scheduler) -> Self {
        self.scheduler = Some(scheduler);
        self
    }

    /// Tracks a project and gives it a schedule (kept if it had one); true when it was not
    /// tracked before.
    pub async fn track(&self, key: &str, id: &str, name: &str) -> Result<bool, ControlError> {
        let newly = self.store.track_project(key, id, name).await?;
        let next = self.default_cron.next_after_ms(self.store.now_ms());
        self.store.create_sync_job(key, self.default_cron.as_str(), next).await?;
        Ok(newly)
    }

    /// Stops tracking: no more runs; data, watchlist and schedule stay for a re-track.
    pub async fn untrack(&self, key: &str) -> Result<(), ControlError> {
        if self.store.untrack_project(key).await? {
            Ok(())
        } else {
            Err(ControlError::NotTracked(key.to_owned()))
        }
    }

    /// No more scheduled runs; a trigger still runs.
    pub async fn pause(&self, key: &str) -> Result<SyncJob, ControlError> {
        self.job(key).await?;
        self.store.set_job_status(key, JobStatus::Paused, None).await?;
        self.job(key).await
    }

    /// Scheduled runs again, the next at the cron's next firing: resuming fires no run.
    pub async fn resume(&self, key: &str) -> Result<SyncJob, ControlError> {
        let job = self.job(key).await?;
        let next = Schedule::parse(&job.cron)?.next_after_ms(self.store.now_ms());
        self.store.set_job_status(key, JobStatus::Active, next).await?;
        self.job(key).await
    }

    /// A new cron. While the ladder has slowed the project down, the slower cron stays in
    /// force and the new one is what the first success restores.
    pub async fn reschedule(&self, key: &str, cron: &str) -> Result<SyncJob, ControlError> {
        let schedule = Schedule::parse(cron)?;
        let job = self.job(key).await?;
        let (effective, next) = if job.backoff_rung == 0 {
            (schedule.as_str(), schedule.next_after_ms(self.store.now_ms()))
        } else {
            (job.cron.as_str(), job.next_run_ms)
        };
        self.store.set_job_schedule(key, schedule.as_str(), effective, next).await?;
        self.job(key).await
    }

    /// One run now: full (every issue again) or not, and with `accounts` a backfill of
    /// just those watched accounts.
    pub async fn trigger(
        &self,
        key: &str,
        full: bool,
        accounts: &[String],
    ) -> Result<Triggered, ControlError> {
        self.job(key).await?;
        let watched = self.store.tracked_users(key).await?;
        if let Some(account) = accounts.iter().find(|a| !watched.contains(a)) {
            return Err(ControlError::NotWatched { project: key.into(), account: account.clone() });
        }
        let requested = self.store.request_run(key, full, accounts).await?;
        match (requested, &self.scheduler) {
            (Requested::AfterRunInProgress, _) => Ok(Triggered::AfterRunInProgress),
            (Requested::Queued, None) => Ok(Triggered::Queued),
            (Requested::Queued, Some(scheduler)) => {
                let report = scheduler.tick(self.store.now_ms()).await?;
                let started = report.started.iter().any(|started| started == key);
                Ok(if started { Triggered::Started } else { Triggered::Queued })
            }
        }
    }

    /// Resume and trigger.
    pub async fn start(&self, key: &str, full: bool) -> Result<Triggered, ControlError> {
        self.resume(key).await?;
        self.trigger(key, full, &[]).await
    }

    async fn job(&self, key: &str) -> Result<SyncJob, ControlError> {
        if !self.store.tracked_projects().await?.iter().any(|p| p.key == key) {
            return Err(ControlError::NotTracked(key.to_owned()));
        }
        Ok(self.store.ensure_sync_job(key).await?)
    }
}
