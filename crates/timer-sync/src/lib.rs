//! `sync-active-timers` (event `clockwork/timers.sync.requested`): keeps the cache that
//! `GET /api/timers/active` reads holding every running Clockwork timer, grouped per user,
//! each with its author filled in from Jira. Four durable steps:
//!
//! - [`credential`]: acquire-jwt — a report-app credential, reused across runs until
//!   shortly before it expires.
//! - [`fetch`]: fetch-timers — every page of `timers.json`, running timers only, once each.
//! - [`authors`]: resolve-authors — Jira users cache-first, the misses in bulk.
//! - [`store`]: cache-redis — every timer key and the active-user set in one transaction.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use clockwork_cache::Cache;
use clockwork_clients::JiraApi;
use clockwork_clients::report::{ReportError, TimerReport};
use clockwork_core::contract::Timer;
use clockwork_core::event::TIMERS_SYNC_REQUESTED;
use clockwork_durable::{Function, RunContext, RunEnd, StepError};
use serde::{Deserialize, Serialize};

pub mod authors;
pub mod credential;
pub mod fetch;
pub mod store;

pub const FUNCTION: &str = "sync-active-timers";

/// What one run did; printed by `clockwork-local sync timers` and kept in the run record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub run_id: String,
    pub timers: usize,
    pub users: usize,
    /// Requests to Jira's user API made by this run (cache misses, 50 ids a request).
    pub jira_calls: usize,
    /// Authors found in the `jira:user:` cache.
    pub cache_hits: usize,
    pub duration_ms: u64,
}

pub struct TimerSync {
    cache: Arc<dyn Cache>,
    report: Arc<dyn TimerReport>,
    jira: Arc<dyn JiraApi>,
    credentials: credential::CredentialCache,
}

impl std::fmt::Debug for TimerSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerSync")
            .field("report", &self.report)
            .field("jira", &self.jira)
            .finish_non_exhaustive()
    }
}

impl TimerSync {
    pub fn new(
        cache: Arc<dyn Cache>,
        report: Arc<dyn TimerReport>,
        jira: Arc<dyn JiraApi>,
    ) -> Self {
        Self { cache, report, jira, credentials: credential::CredentialCache::default() }
    }
}

#[async_trait]
impl Function for TimerSync {
    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn event(&self) -> &'static str {
        TIMERS_SYNC_REQUESTED
    }

    fn steps(&self) -> &'static [&'static str] {
        &[credential::STEP, fetch::STEP, authors::STEP, store::STEP]
    }

    async fn run(
        &self,
        ctx: &mut RunContext<'_>,
        _data: &serde_json::Value,
    ) -> Result<RunEnd, StepError> {
        let started = Instant::now();
        let cache = self.cache.as_ref();
        let credential = ctx
            .step_with_ttl(
                credential::STEP,
                |cached: &String| credential::memo_ttl(cached),
                || self.credentials.acquire(cache, self.report.as_ref()),
            )
            .await?;
        let credential = credential::parse(&credential)?;
        let timers: Vec<Timer> = match ctx
            .step(fetch::STEP, || {
                fetch::running_timers(self.report.as_ref(), &self.credentials, cache, credential)
            })
            .await
        {
            Err(error) if error.code == ReportError::CredentialRejected.code() => {
                // The memoized credential was refused: the next attempt must acquire anew.
                ctx.forget(credential::STEP).await?;
                return Err(error);
            }
            other => other?,
        };
        let resolved =
            ctx.step(authors::STEP, || authors::resolve(cache, self.jira.as_ref(), timers)).await?;
        let written = ctx.step(store::STEP, || store::write(cache, &resolved.timers)).await?;
        let summary = Summary {
            run_id: ctx.run_id().to_owned(),
            timers: resolved.timers.len(),
            users: written.users,
            jira_calls: resolved.jira_calls,
            cache_hits: resolved.cache_hits,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        serde_json::to_value(&summary)
            .map(RunEnd::Completed)
            .map_err(|e| StepError::permanent("SUMMARY_UNSERIALIZABLE", e.to_string()))
    }
}

/// A report failure as a step failure: retryable or not, with its code and advice.
pub(crate) fn report_failure(error: &ReportError) -> StepError {
    if error.is_retryable() {
        StepError::retryable(error.code(), error.to_string())
    } else {
        StepError::permanent(error.code(), error.to_string())
    }
}
