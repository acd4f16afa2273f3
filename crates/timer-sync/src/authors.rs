//! resolve-authors: fills each timer's author from Jira, cache-first.
//!
//! One MGET of `jira:user:<id>` for every distinct `running_for`; the misses through
//! `/user/bulk` (50 ids a request); found users cached for two days, ids Jira does not
//! return cached with an empty email for an hour so they are not asked every minute. When
//! Jira fails, the timers go on with what is known: no timer is ever lost to enrichment.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use clockwork_cache::json::{mget_json, to_json};
use clockwork_cache::{Cache, Write};
use clockwork_clients::JiraApi;
use clockwork_clients::jira::{JiraUser, USER_BULK_CHUNK};
use clockwork_core::AccountId;
use clockwork_core::contract::{Author, CachedJiraUser, Timer, keys};
use clockwork_durable::StepError;
use serde::{Deserialize, Serialize};

pub const STEP: &str = "resolve-authors";
/// How long an id Jira does not know stays cached as unknown.
pub const UNKNOWN_USER_TTL: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    pub timers: Vec<Timer>,
    pub jira_calls: usize,
    pub cache_hits: usize,
}

pub async fn resolve(
    cache: &dyn Cache,
    jira: &dyn JiraApi,
    mut timers: Vec<Timer>,
) -> Result<Resolved, StepError> {
    let ids: Vec<String> =
        timers.iter().map(|t| t.running_for.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let cache_keys: Vec<String> = ids.iter().map(|id| keys::jira_user(id)).collect();
    let cached =
        mget_json::<CachedJiraUser>(cache, &cache_keys).await.map_err(|e| StepError::cache(&e))?;
    let mut users: HashMap<String, CachedJiraUser> = HashMap::new();
    let mut misses = Vec::new();
    for (id, user) in ids.iter().zip(cached) {
        match user {
            Some(user) => {
                users.insert(id.clone(), user);
            }
            None => misses.extend(AccountId::parse(id).ok()),
        }
    }
    let cache_hits = users.len();
    let jira_calls = misses.len().div_ceil(USER_BULK_CHUNK);
    if !misses.is_empty() {
        match jira.users(&misses).await {
            Ok(found) => {
                let fetched = remember(cache, &misses, found).await;
                users.extend(fetched);
            }
            Err(error) => tracing::warn!(
                class = ?error,
                missing = misses.len(),
                "Jira user lookup failed; caching the timers without those authors"
            ),
        }
    }
    for timer in &mut timers {
        if let Some(user) = users.get(&timer.running_for) {
            fill(timer, user);
        }
    }
    tracing::info!(
        timers = timers.len(),
        users = ids.len(),
        cache_hits,
        jira_calls,
        "authors resolved"
    );
    Ok(Resolved { timers, jira_calls, cache_hits })
}

/// Caches what Jira returned (two days) and the ids it did not (one hour) in one round
/// trip; a failing cache write is logged, the users are still used.
async fn remember(
    cache: &dyn Cache,
    asked: &[AccountId],
    found: Vec<JiraUser>,
) -> HashMap<String, CachedJiraUser> {
    let mut users: HashMap<String, CachedJiraUser> =
        found.iter().map(|user| (user.account_id.clone(), user.to_cached())).collect();
    let known_ttl = Some(Duration::from_secs(keys::JIRA_USER_TTL_SECS));
    let mut writes = Vec::with_capacity(asked.len());
    for id in asked {
        let (entry, ttl) = match users.get(id.as_str()) {
            Some(entry) => (entry.clone(), known_ttl),
            None => (
                CachedJiraUser {
                    account_id: id.to_string(),
                    email_address: String::new(),
                    display_name: String::new(),
                    avatar_url: String::new(),
                    time_zone: None,
                },
                Some(UNKNOWN_USER_TTL),
            ),
        };
        match to_json(&entry) {
            Ok(value) => writes.push(Write::Set { key: keys::jira_user(id.as_str()), value, ttl }),
            Err(error) => tracing::warn!(%error, "skipping an unserializable user"),
        }
    }
    if let Err(error) = cache.atomic(&writes).await {
        tracing::warn!(%error, "could not cache Jira users");
    }
    users.retain(|_, user| !user.account_id.is_empty());
    users
}

/// Fills what the timer lacks; never overwrites what it had.
fn fill(timer: &mut Timer, user: &CachedJiraUser) {
    let author = timer.author.get_or_insert_with(|| Author {
        account_id: timer.running_for.clone(),
        ..Author::default()
    });
    let missing = |field: &Option<String>| field.as_deref().is_none_or(str::is_empty);
    let known = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    if missing(&author.email_address) {
        author.email_address = known(&user.email_address);
    }
    if missing(&author.display_name) {
        author.display_name = known(&user.display_name);
    }
    if missing(&author.avatar_url) {
        author.avatar_url = known(&user.avatar_url);
    }
}

#[cfg(test)]
mod tests {
    use clockwork_core::contract::TimerIssue;

    use super::*;

    fn timer(author: Option<Author>) -> Timer {
        Timer {
            id: 1,
            started_at: String::new(),
            finished_at: None,
            comment: None,
            running_for: "acc".into(),
            till_now: 0,
            worklog_count: 0,
            issue: TimerIssue { key: "KAN-1".into(), id: 1 },
            author,
            within_working_hours: true,
            started_within_working_hours: true,
        }
    }

    fn user(email: &str) -> CachedJiraUser {
        CachedJiraUser {
            account_id: "acc".into(),
            email_address: email.into(),
            display_name: "From Jira".into(),
            avatar_url: "https://avatar/48".into(),
            time_zone: None,
        }
    }

    #[test]
    fn what_the_timer_carried_is_never_overwritten() {
        let mut carried = timer(Some(Author {
            account_id: "acc".into(),
            email_address: Some("own@acme.example".into()),
            display_name: None,
            avatar_url: None,
        }));
        fill(&mut carried, &user("jira@acme.example"));
        let author = carried.author.unwrap();
        assert_eq!(author.email_address.as_deref(), Some("own@acme.example"));
        assert_eq!(author.display_name.as_deref(), Some("From Jira"));
        assert_eq!(author.avatar_url.as_deref(), Some("https://avatar/48"));
    }

    #[test]
    fn a_hidden_email_leaves_the_email_absent() {
        let mut bare = timer(None);
        fill(&mut bare, &user(""));
        let author = bare.author.unwrap();
        assert_eq!(author.account_id, "acc");
        assert_eq!(author.email_address, None);
        assert_eq!(author.display_name.as_deref(), Some("From Jira"));
    }
}
