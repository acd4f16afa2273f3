//! Shared pieces of the benchmark binaries (`src/bin/*`): building the release binaries they
//! measure, child processes that never outlive the bench, the seeded cache value, a minimal
//! HTTP/1.1 response reader, latency summaries, this process's peak RSS and scheduler times
//! ([`process`]), `clockwork-local serve` as a child ([`serve`]), and the Jira sync bench's
//! parts ([`jira_sync`]).
//!
//! Performance is reported by the binaries printing figures and ratios; nothing here asserts
//! on timings.

pub mod build;
pub mod children;
pub mod http1;
pub mod jira_sync;
pub mod process;
pub mod seed;
pub mod serve;
pub mod stats;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::{Context, Result};

/// Redis as `.ci/services` starts it. The benches use database 14 only, so tests using other
/// databases are not disturbed; it is flushed at the start of each bench.
pub const REDIS_HOST: &str = "127.0.0.1";
pub const REDIS_PORT: u16 = 6379;
pub const REDIS_DB: u8 = 14;

/// `redis://127.0.0.1:6379/14`.
pub fn redis_url() -> String {
    format!("redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}")
}

/// The workspace root: two levels above this crate's manifest (`crates/bench`).
pub fn workspace_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    root.canonicalize()
        .with_context(|| format!("the workspace root {} is not readable", root.display()))
}

/// A port that was free a moment ago on 127.0.0.1 (bound to port 0, then released).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .context("could not bind 127.0.0.1:0 to pick a free port")?;
    Ok(listener.local_addr()?.port())
}

/// `/proc/loadavg`'s first three fields, or `"unknown"` where there is none.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|line| line.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Logical CPUs available to this process.
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Opens the bench's Redis database, naming `.ci/services` when nothing answers.
pub async fn redis_connection() -> Result<redis::aio::MultiplexedConnection> {
    let url = redis_url();
    let client =
        redis::Client::open(url.as_str()).with_context(|| format!("bad Redis URL {url}"))?;
    let connect = client.get_multiplexed_async_connection();
    match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(anyhow::anyhow!(
            "could not connect to Redis at {url}: {error} (start it with `.ci/services`)"
        )),
        Err(_) => anyhow::bail!("Redis at {url} did not answer within 5 s"),
    }
}
