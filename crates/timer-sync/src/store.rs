//! cache-redis: every timer key and the active-user set, in one transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use clockwork_cache::json::{get_json, to_json};
use clockwork_cache::{Cache, Write};
use clockwork_core::Email;
use clockwork_core::contract::{CachedTimers, Timer, keys};
use clockwork_durable::StepError;
use serde::{Deserialize, Serialize};

pub const STEP: &str = "cache-redis";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Written {
    pub users: usize,
    pub keys: usize,
    pub removed: usize,
}

/// The user keys (account ids and emails) a set of timers is cached under.
fn user_keys(timers: &[Timer]) -> BTreeMap<String, Vec<&Timer>> {
    let mut groups: BTreeMap<String, Vec<&Timer>> = BTreeMap::new();
    for timer in timers {
        groups.entry(timer.running_for.clone()).or_default().push(timer);
        // The timer's own email when it carried one, else Jira's (resolve-authors kept that order).
        let email = timer
            .author
            .as_ref()
            .and_then(|a| a.email_address.as_deref())
            .and_then(|e| Email::parse(e).ok());
        if let Some(email) = email {
            groups.entry(email.to_string()).or_default().push(timer);
        }
    }
    groups
}

/// Writes the new state and removes the keys of users who no longer have a running
/// timer (found from the previous `clockwork:timers:all`), all in one MULTI/EXEC so a
/// reader never sees a half-written state.
pub async fn write(cache: &dyn Cache, timers: &[Timer]) -> Result<Written, StepError> {
    let previous = get_json::<CachedTimers>(cache, keys::TIMERS_ALL)
        .await
        .map_err(|e| StepError::cache(&e))?;
    let groups = user_keys(timers);
    let stale: BTreeSet<String> = previous
        .map(|entry| {
            user_keys(&entry.timers).into_keys().filter(|key| !groups.contains_key(key)).collect()
        })
        .unwrap_or_default();
    let active: BTreeSet<&str> = timers.iter().map(|t| t.running_for.as_str()).collect();

    let cached_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let ttl = Some(Duration::from_secs(keys::TIMERS_TTL_SECS));
    let entry = |user_key: &str, timers: Vec<Timer>| -> Result<String, StepError> {
        to_json(&CachedTimers {
            timers,
            cached_at: cached_at.clone(),
            user_key: user_key.to_owned(),
        })
        .map_err(|e| StepError::cache(&e))
    };
    let mut writes = Vec::with_capacity(groups.len() + 3);
    for (user_key, group) in &groups {
        let value = entry(user_key, group.iter().map(|t| (*t).clone()).collect())?;
        writes.push(Write::Set { key: keys::timers(user_key), value, ttl });
    }
    writes.push(Write::Set {
        key: keys::TIMERS_ALL.to_owned(),
        value: entry("all", timers.to_vec())?,
        ttl,
    });
    writes.push(Write::ReplaceSet {
        key: keys::ACTIVE_USERS.to_owned(),
        members: active.iter().map(|id| (*id).to_owned()).collect(),
        ttl,
    });
    if !stale.is_empty() {
        writes.push(Write::Del { keys: stale.iter().map(|key| keys::timers(key)).collect() });
    }
    cache.atomic(&writes).await.map_err(|e| StepError::cache(&e))?;
    tracing::info!(
        users = active.len(),
        keys = groups.len() + 1,
        removed = stale.len(),
        "timers cached"
    );
    Ok(Written { users: active.len(), keys: groups.len() + 1, removed: stale.len() })
}
