//! Redis over one reconnecting, multiplexed connection shared by every call.
//!
//! Also home to the Redis spelling of a [`Write`] batch, which [`crate::upstash`] reuses: Upstash
//! runs the same commands, only carried over HTTP.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Cmd, ErrorKind, FromRedisValue, RedisError};
use secrecy::{ExposeSecret, SecretString};

use crate::{Cache, CacheError, Write};

/// Long enough for a cross-region hop, short enough that a dead cache fails a request (or a
/// cold start) in seconds rather than hanging it.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Retries per (re)connection, each after at most `MAX_RETRY_DELAY`: an unreachable Redis
/// costs a cold start under five seconds.
const CONNECTION_RETRIES: usize = 1;
const MAX_RETRY_DELAY: Duration = Duration::from_millis(500);

pub struct RedisCache {
    /// Cheap to clone: every clone multiplexes onto the same connection.
    connection: ConnectionManager,
    /// `host:port`, for logs and `Debug`; never the URL, which may carry a password.
    addr: String,
    round_trips: AtomicU64,
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl RedisCache {
    /// Connects eagerly so a wrong URL fails at start-up, not on the first request.
    pub async fn connect(url: &SecretString) -> Result<Self, CacheError> {
        let url = url.expose_secret();
        let scrubbed = |error: RedisError| scrub(&error.to_string(), url);
        let client = redis::Client::open(url).map_err(|error| {
            CacheError::Unavailable(format!("bad REDIS_URL: {}", scrubbed(error)))
        })?;
        let addr = client.get_connection_info().addr().to_string();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(CONNECTION_RETRIES)
            .set_max_delay(MAX_RETRY_DELAY);
        let connection =
            ConnectionManager::new_with_config(client, config).await.map_err(|error| {
                CacheError::Unavailable(format!(
                    "cannot reach Redis at {addr}: {}",
                    scrubbed(error)
                ))
            })?;
        tracing::info!(%addr, "connected to Redis");
        Ok(Self { connection, addr, round_trips: AtomicU64::new(0) })
    }

    async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T, CacheError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        cmd.query_async(&mut self.connection.clone()).await.map_err(classify)
    }
}

/// Removes the URL's password from an error message, in case a driver ever echoes it.
fn scrub(message: &str, url: &str) -> String {
    let password = url::Url::parse(url).ok().and_then(|url| url.password().map(str::to_owned));
    match password {
        Some(password) if !password.is_empty() => message.replace(&password, "[REDACTED]"),
        _ => message.to_owned(),
    }
}

/// Connection trouble is `Unavailable` (retry later); anything Redis itself refused is `Protocol`.
fn classify(error: RedisError) -> CacheError {
    if error.is_io_error()
        || error.is_connection_dropped()
        || error.is_timeout()
        || error.kind() == ErrorKind::AuthenticationFailed
    {
        CacheError::Unavailable(error.to_string())
    } else {
        CacheError::Protocol(error.to_string())
    }
}

/// Redis rejects `PX 0`; a zero TTL means "expire at once", which 1 ms is close enough to.
pub(crate) fn millis(ttl: Duration) -> String {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1).to_string()
}

/// `head` then `tail`, as one argument list.
fn args(head: &[&str], tail: &[String]) -> Vec<String> {
    head.iter().map(|arg| (*arg).to_owned()).chain(tail.iter().cloned()).collect()
}

pub(crate) fn set_command(key: &str, value: &str, ttl: Option<Duration>) -> Vec<String> {
    match ttl {
        Some(ttl) => args(&["SET", key, value, "PX", &millis(ttl)], &[]),
        None => args(&["SET", key, value], &[]),
    }
}

/// The commands for a batch of writes, as argument lists. Empty `DEL`/`SADD`/`SREM` are
/// skipped because Redis rejects them.
pub(crate) fn write_commands(writes: &[Write]) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for write in writes {
        match write {
            Write::Set { key, value, ttl } => commands.push(set_command(key, value, *ttl)),
            Write::Del { keys } if keys.is_empty() => {}
            Write::Del { keys } => commands.push(args(&["DEL"], keys)),
            Write::RemoveMembers { members, .. } if members.is_empty() => {}
            Write::RemoveMembers { key, members } => commands.push(args(&["SREM", key], members)),
            Write::ReplaceSet { key, members, ttl } => {
                commands.push(args(&["DEL", key], &[]));
                if members.is_empty() {
                    continue;
                }
                commands.push(args(&["SADD", key], members));
                if let Some(ttl) = ttl {
                    commands.push(args(&["PEXPIRE", key, &millis(*ttl)], &[]));
                }
            }
        }
    }
    commands
}

fn to_cmd(args: &[String]) -> Cmd {
    let mut cmd = Cmd::new();
    for arg in args {
        cmd.arg(arg);
    }
    cmd
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.query(redis::cmd("GET").arg(key)).await
    }

    async fn mget(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.query(redis::cmd("MGET").arg(keys)).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError> {
        self.query(&to_cmd(&set_command(key, value, ttl))).await
    }

    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, CacheError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value).arg("NX").arg("PX").arg(millis(ttl));
        // `OK` when set, nil when the key already existed.
        let reply: Option<String> = self.query(&cmd).await?;
        Ok(reply.is_some())
    }

    async fn incr(&self, key: &str, window: Duration) -> Result<u64, CacheError> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(crate::INCR_IN_WINDOW).arg(1).arg(key).arg(millis(window));
        self.query(&cmd).await
    }

    async fn del(&self, keys: &[String]) -> Result<u64, CacheError> {
        if keys.is_empty() {
            return Ok(0);
        }
        self.query(redis::cmd("DEL").arg(keys)).await
    }

    async fn smembers(&self, key: &str) -> Result<Vec<String>, CacheError> {
        self.query(redis::cmd("SMEMBERS").arg(key)).await
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError> {
        // -2: no such key; -1: no expiry.
        let millis: i64 = self.query(redis::cmd("PTTL").arg(key)).await?;
        Ok(u64::try_from(millis).ok().map(Duration::from_millis))
    }

    async fn atomic(&self, writes: &[Write]) -> Result<(), CacheError> {
        let commands = write_commands(writes);
        if commands.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for command in &commands {
            pipe.add_command(to_cmd(command)).ignore();
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        pipe.query_async(&mut self.connection.clone()).await.map_err(classify)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.query(&redis::cmd("PING")).await
    }

    fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }
}
