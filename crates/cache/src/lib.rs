//! The cache port and its three backends.
//!
//! - [`Cache`]: the small trait every caller uses (GET, MGET, SET with TTL, SET NX, DEL,
//!   SMEMBERS, TTL, a windowed counter, and [`Cache::atomic`] for several writes applied as
//!   one transaction).
//! - [`redis_backend`]: the `redis` crate over one multiplexed, reconnecting connection.
//! - [`upstash`]: Upstash's REST API (`/multi-exec` for transactions).
//! - [`memory`]: an in-process store with TTLs for the local runner.
//! - [`json`]: typed helpers that (de)serialize values as JSON.
//!
//! [`from_config`] picks the backend named by [`CacheConfig`].

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use clockwork_core::config::CacheConfig;

pub mod json;
pub mod memory;
pub mod redis_backend;
pub mod upstash;

/// What [`Cache::incr`] runs where the backend speaks Redis commands: `INCR`, and the
/// window's expiry when the counter is new, in one atomic script.
pub(crate) const INCR_IN_WINDOW: &str = "local n = redis.call('INCR', KEYS[1]) \
    if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

/// A cache failure; always worth retrying later, never the caller's fault.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unreachable: {0}")]
    Unavailable(String),
    #[error("cache answered unexpectedly: {0}")]
    Protocol(String),
}

/// One write inside [`Cache::atomic`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// `SET key value [PX ttl]`.
    Set { key: String, value: String, ttl: Option<Duration> },
    /// `DEL keys…`.
    Del { keys: Vec<String> },
    /// `SREM key members…`.
    RemoveMembers { key: String, members: Vec<String> },
    /// Replaces a set's members: `DEL key`, then `SADD key members…` and `PEXPIRE` when given.
    ReplaceSet { key: String, members: Vec<String>, ttl: Option<Duration> },
}

/// The cache port. Values are strings (JSON in practice); TTLs have millisecond precision.
#[async_trait]
pub trait Cache: Send + Sync + Debug {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;

    /// Values of many keys in one round trip, in the order asked.
    async fn mget(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError>;

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError>;

    /// Sets only when the key is absent; `true` when this call set it.
    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, CacheError>;

    /// Adds one to the counter under `key` and returns its new value; a counter this call
    /// creates expires after `window`, so it counts the calls of one fixed window (rate
    /// limits). One round trip, atomic (`INCR`, and `PEXPIRE` on the first).
    async fn incr(&self, key: &str, window: Duration) -> Result<u64, CacheError>;

    /// Deletes keys; returns how many existed.
    async fn del(&self, keys: &[String]) -> Result<u64, CacheError>;

    async fn smembers(&self, key: &str) -> Result<Vec<String>, CacheError>;

    /// Remaining lifetime; `None` when the key is missing or has no expiry.
    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError>;

    /// Applies every write in one transaction: a reader sees all of them or none.
    async fn atomic(&self, writes: &[Write]) -> Result<(), CacheError>;

    /// Checks the backend answers (health route).
    async fn ping(&self) -> Result<(), CacheError>;

    /// Round trips made so far, for benchmarks and call-count tests.
    fn round_trips(&self) -> u64;
}

/// Builds the backend the configuration names.
pub async fn from_config(config: &CacheConfig) -> Result<Arc<dyn Cache>, CacheError> {
    Ok(match config {
        CacheConfig::Redis { url } => Arc::new(redis_backend::RedisCache::connect(url).await?),
        CacheConfig::Upstash { url, token } => {
            Arc::new(upstash::UpstashCache::new(url.clone(), token.clone())?)
        }
        CacheConfig::Memory => Arc::new(memory::MemoryCache::new()),
    })
}
