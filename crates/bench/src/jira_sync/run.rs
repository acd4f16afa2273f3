//! One measured sync run: wall time and where it went, the client's request count, and the
//! fake's count per endpoint.

use std::time::{Duration, Instant};

use clockwork_clients::jira_data::JiraData;
use clockwork_testkit::jira::FakeJira;

use super::requests_by_endpoint;
use super::scratch::Database;
use super::timed::TimedJira;
use crate::process::SchedTimes;

/// What ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    FullSync,
    /// A full sync in a process of its own, the fake Jira staying in the bench's.
    FullSyncOwnProcess,
    /// An incremental run with nothing changed since the previous run.
    Unchanged,
    /// An incremental run after issues and worklogs were changed.
    AfterChanges,
    /// An incremental run after a burst of changed issues.
    Burst,
    /// The per-issue baseline ([`super::baseline`]).
    Baseline,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Self::FullSync => "ours: full sync",
            Self::FullSyncOwnProcess => "ours: full sync, own process",
            Self::Unchanged => "ours: incremental, nothing changed",
            Self::AfterChanges => "ours: incremental after changes",
            Self::Burst => "ours: incremental after a burst",
            Self::Baseline => "per-issue baseline",
        }
    }

    /// Whether it reads a whole project (or a slice of one), so that rates mean something.
    pub fn reads_everything(self) -> bool {
        matches!(self, Self::FullSync | Self::FullSyncOwnProcess | Self::Baseline)
    }
}

/// Which database, at which latency added to every fake response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Site {
    pub database: Database,
    pub latency: Duration,
}

impl Site {
    pub fn latency_ms(self) -> u128 {
        self.latency.as_millis()
    }
}

/// A run's figures.
#[derive(Debug, Clone)]
pub struct Run {
    pub kind: Kind,
    pub site: Site,
    /// Issues written (an incremental run counts those it read again).
    pub issues: u64,
    pub seconds: f64,
    /// Of `seconds`, the time spent waiting for Jira's answers; the rest went on
    /// normalizing and the store's writes.
    pub jira_seconds: f64,
    /// The syncing process's threads (the fake and SQLite included when they share it) on
    /// a CPU, and runnable but waiting for one.
    pub sched: SchedTimes,
    /// Requests the client sent, retries included.
    pub requests: u64,
    /// The fake's count per endpoint, e.g. `search 100, boards 1`.
    pub endpoints: String,
}

impl Run {
    pub fn issues_per_sec(&self) -> f64 {
        self.issues as f64 / self.seconds
    }

    pub fn requests_per_1000(&self) -> f64 {
        self.requests as f64 * 1000.0 / self.issues.max(1) as f64
    }
}

/// Counts a run's time and requests from [`Meter::start`] to [`Meter::stop`].
#[derive(Debug)]
pub struct Meter {
    started: Instant,
    requests: u64,
    waited: Duration,
    sched: SchedTimes,
}

impl Meter {
    /// Resets the fake's counts and notes the client's.
    pub fn start(jira: &FakeJira, client: &TimedJira) -> Self {
        jira.reset_counts();
        Self {
            started: Instant::now(),
            requests: client.requests(),
            waited: client.waited(),
            sched: SchedTimes::now(),
        }
    }

    pub fn stop(
        self,
        jira: &FakeJira,
        client: &TimedJira,
        kind: Kind,
        site: Site,
        issues: u64,
    ) -> Run {
        Run {
            kind,
            site,
            issues,
            seconds: self.started.elapsed().as_secs_f64(),
            jira_seconds: (client.waited() - self.waited).as_secs_f64(),
            sched: SchedTimes::now().since(self.sched),
            requests: client.requests() - self.requests,
            endpoints: requests_by_endpoint(jira),
        }
    }
}
