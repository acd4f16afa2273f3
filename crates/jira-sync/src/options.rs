//! The sync's tunables and the environment variables that set them.

use std::time::Duration;

use clockwork_core::config::{ConfigError, Lookup, process_env};

/// Tunables; the defaults suit Jira Cloud.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Issues a search page (and a transaction) holds.
    pub batch_size: u32,
    /// How far before the cursor an incremental search starts again.
    pub overlap: Duration,
    /// How often an incremental run also sweeps for deleted issues.
    pub sweep_every: Duration,
    /// How long a run holds its project.
    pub lease: Duration,
    /// Who holds the lease (host and process).
    pub holder: String,
    /// The largest share of a project's live issues one sweep may mark deleted; past it
    /// they wait for the next sweep to confirm (`SYNC_MAX_DELETION_SHARE`, default 0.5).
    pub max_deletion_share: f64,
    /// Partitions a big full sync is searched in at once (`JIRA_SYNC_CONCURRENCY`, default
    /// 4, the client's concurrency); 1: one search.
    pub partitions: usize,
    /// A full sync is partitioned when Jira counts more issues than this
    /// (`SYNC_PARTITION_MIN_ISSUES`, default 1,000); smaller ones are one search.
    pub partition_min_issues: u64,
    /// How long a project's webhook deliveries gather before one re-read applies them all,
    /// counted from the oldest pending one (`JIRA_WEBHOOK_COALESCE_SECONDS`, default 4;
    /// 0: each at once).
    pub webhook_window: Duration,
}

impl SyncOptions {
    /// The defaults, with `SYNC_MAX_DELETION_SHARE` (a share between 0 and 1),
    /// `SYNC_LEASE_SECONDS` (how long a crashed run keeps others off its project), the
    /// partitioning variables and `JIRA_WEBHOOK_COALESCE_SECONDS` when set.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut options = Self::default();
        if let Some(text) = env("SYNC_MAX_DELETION_SHARE") {
            options.max_deletion_share = text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|share| (0.0..=1.0).contains(share))
                .ok_or_else(|| ConfigError::Invalid {
                    name: "SYNC_MAX_DELETION_SHARE",
                    reason: format!("{text:?} is not a share between 0 and 1, e.g. 0.5"),
                })?;
        }
        if let Some(text) = env("SYNC_LEASE_SECONDS") {
            let seconds = text.trim().parse::<u64>().ok().filter(|s| *s > 0).ok_or_else(|| {
                ConfigError::Invalid {
                    name: "SYNC_LEASE_SECONDS",
                    reason: format!("{text:?} is not a whole number of seconds, at least 1"),
                }
            })?;
            options.lease = Duration::from_secs(seconds);
        }
        if let Some(text) = env(clockwork_clients::jira_data::CONCURRENCY_VAR) {
            options.partitions = clockwork_clients::jira_data::concurrency(&text)?;
        }
        if let Some(text) = env("SYNC_PARTITION_MIN_ISSUES") {
            options.partition_min_issues =
                text.trim().parse::<u64>().map_err(|_| ConfigError::Invalid {
                    name: "SYNC_PARTITION_MIN_ISSUES",
                    reason: format!("{text:?} is not a whole number of issues, e.g. 1000"),
                })?;
        }
        if let Some(text) = env(WEBHOOK_WINDOW_VAR) {
            let seconds =
                text.trim().parse::<u64>().ok().filter(|s| *s <= 60).ok_or_else(|| {
                    ConfigError::Invalid {
                        name: WEBHOOK_WINDOW_VAR,
                        reason: format!("{text:?} is not a whole number of seconds from 0 to 60"),
                    }
                })?;
            options.webhook_window = Duration::from_secs(seconds);
        }
        Ok(options)
    }
}

const WEBHOOK_WINDOW_VAR: &str = "JIRA_WEBHOOK_COALESCE_SECONDS";

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            batch_size: 100,
            overlap: Duration::from_secs(60),
            sweep_every: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(20 * 60),
            holder: format!("pid-{}", std::process::id()),
            max_deletion_share: 0.5,
            partitions: 4,
            partition_min_issues: 1000,
            webhook_window: Duration::from_secs(4),
        }
    }
}
