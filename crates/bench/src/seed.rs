//! The cached value the benches read: a user with running timers, in exactly the shape the
//! worker writes under `clockwork:timers:<accountId>`.

use anyhow::{Context, Result};
use chrono::{Duration, SecondsFormat, Utc};
use clockwork_core::contract::{Author, CachedTimers, Timer, TimerIssue, keys};
use redis::AsyncCommands;

/// The account whose timers the benches read.
pub const ACCOUNT_ID: &str = "557058:0b3c1d2e-bench-4f00-9a00-000000000001";

/// `/api/timers/active?accountId=<ACCOUNT_ID>`.
pub fn timers_active_path() -> String {
    format!("/api/timers/active?accountId={ACCOUNT_ID}")
}

/// What the issue-search mode asks: a word of a demo issue's summary.
pub const SEARCH_TEXT: &str = "timer";

/// `/api/issues/search?accountId=<ACCOUNT_ID>&maxResults=10&q=<SEARCH_TEXT>`.
pub fn issues_search_path() -> String {
    format!("/api/issues/search?accountId={ACCOUNT_ID}&maxResults=10&q={SEARCH_TEXT}")
}

/// The key the route caches that search's answer under (for 60 s).
pub fn issues_search_key() -> String {
    format!("jira:search:{ACCOUNT_ID}:10:{SEARCH_TEXT}")
}

/// `count` running timers for [`ACCOUNT_ID`], started over the last hours.
pub fn cached_timers(count: usize) -> CachedTimers {
    let now = Utc::now();
    let time = |t: chrono::DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
    let author = Author {
        account_id: ACCOUNT_ID.to_owned(),
        email_address: Some("ada.bench@example.com".to_owned()),
        display_name: Some("Ada Bench".to_owned()),
        avatar_url: Some(
            "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/\
             557058:0b3c1d2e-bench-4f00-9a00-000000000001/48"
                .to_owned(),
        ),
    };
    let timers = (0..count)
        .map(|i| {
            let n = u64::try_from(i).unwrap_or(u64::MAX);
            let minutes = 7 + 11 * i64::try_from(i).unwrap_or(0);
            Timer {
                id: 4_100_000 + n,
                started_at: time(now - Duration::minutes(minutes)),
                finished_at: None,
                comment: Some(format!("Working on KAN-{} (pairing, review follow-ups)", 100 + n)),
                running_for: ACCOUNT_ID.to_owned(),
                till_now: minutes * 60,
                worklog_count: i64::try_from(i % 4).unwrap_or(0),
                issue: TimerIssue { key: format!("KAN-{}", 100 + n), id: 10_100 + n },
                author: Some(author.clone()),
                within_working_hours: true,
                started_within_working_hours: i % 3 != 0,
            }
        })
        .collect();
    CachedTimers { timers, cached_at: time(now), user_key: ACCOUNT_ID.to_owned() }
}

/// Flushes the bench database and stores `count` timers for [`ACCOUNT_ID`] without a TTL, so
/// the value cannot expire mid-run. Returns the key and the JSON stored.
pub async fn seed_timers(
    connection: &mut redis::aio::MultiplexedConnection,
    count: usize,
) -> Result<(String, String)> {
    let key = keys::timers(ACCOUNT_ID);
    let value = serde_json::to_string(&cached_timers(count)).context("serializing the timers")?;
    redis::cmd("FLUSHDB")
        .query_async::<()>(connection)
        .await
        .context("FLUSHDB of the bench database")?;
    connection.set::<_, _, ()>(&key, &value).await.with_context(|| format!("SET {key}"))?;
    Ok((key, value))
}

/// The value now under `key`, to check that nothing rewrote it during a run.
pub async fn current_value(
    connection: &mut redis::aio::MultiplexedConnection,
    key: &str,
) -> Result<Option<String>> {
    connection.get(key).await.with_context(|| format!("GET {key}"))
}
