//! fetch-timers: every page of `timers.json`, running timers only, each once.

use std::collections::HashSet;

use clockwork_cache::Cache;
use clockwork_clients::report::{Credential, ReportError, TimerReport, fetch_all_timers};
use clockwork_core::contract::Timer;
use clockwork_durable::StepError;

use crate::credential::CredentialCache;
use crate::report_failure;

pub const STEP: &str = "fetch-timers";

/// Whether the credential itself was refused, so the next attempt must acquire a new one.
/// Forge answers an expired context token with the same access error as a bad setup, so
/// that too counts here (acquire-jwt then tells the two apart).
pub fn credential_refused(error: &ReportError) -> bool {
    matches!(
        error,
        ReportError::CredentialRejected | ReportError::SessionExpired | ReportError::Forbidden(_)
    )
}

pub async fn running_timers(
    report: &dyn TimerReport,
    credentials: &CredentialCache,
    cache: &dyn Cache,
    credential: Credential,
) -> Result<Vec<Timer>, StepError> {
    let all = match fetch_all_timers(report, credential).await {
        Ok(all) => all,
        Err(error) if credential_refused(&error) => {
            credentials.invalidate(cache).await?;
            return Err(StepError::retryable(
                ReportError::CredentialRejected.code(),
                format!("{error}; the next attempt acquires a new credential"),
            ));
        }
        Err(error) => return Err(report_failure(&error)),
    };
    // Forge refreshes the token with every page: keep the newest for the next run.
    credentials.remember(cache, &all.credential).await?;
    let mut seen = HashSet::new();
    let running: Vec<Timer> = all
        .timers
        .into_iter()
        .filter(|timer| timer.is_running() && seen.insert(timer.id))
        .map(|timer| timer.into_timer())
        .collect();
    tracing::info!(pages = all.pages, running = running.len(), "timers fetched");
    Ok(running)
}
