//! Throughput and latency of `GET /api/timers/active?accountId=<id>` on the local server with
//! the Redis cache, beside `redis-benchmark` GETting the same cached value at the same
//! concurrency; prints both and the ratio ours/redis-benchmark (target ≥ 0.5).
//!
//! Run from the repository root, with Redis on 127.0.0.1:6379 (`.ci/services` starts it):
//!
//! ```text
//! cargo run --profile server -p clockwork-bench --bin bench-timers-active -- --connections 64 --seconds 10
//! cargo run --profile server -p clockwork-bench --bin bench-timers-active -- --route issues-search
//! ```
//!
//! `--route issues-search` loads `GET /api/issues/search` warm instead: one request first
//! searches the demo Jira and caches the answer (60 s), every later one is a cache hit;
//! its target is 10,000 requests/s. redis-benchmark then GETs that cached answer.
//!
//! What it does:
//! 1. `cargo build --profile server -p clockwork-local` (its output is shown; a failed build stops here;
//!    `--skip-build` uses the binary a previous build left instead).
//! 2. Flushes Redis database 14 and stores, without TTL, `clockwork:timers:<accountId>` for a
//!    user with 20 running timers, serialized from `clockwork_core::contract::CachedTimers`
//!    exactly as the worker writes it.
//! 3. Starts `clockwork-local serve --demo --port 0` with `REDIS_URL=redis://127.0.0.1:6379/14`
//!    and `RUST_LOG=warn`, reads its address from the banner, checks one response (200, the 20
//!    seeded timers).
//! 4. Load: one tokio task per connection (2 worker threads), each on its own keep-alive
//!    HTTP/1.1 connection, for `--warmup-seconds` unrecorded then `--seconds` recorded; every
//!    latency is kept and sorted for p50/p99. `--client raw` (default) writes the request bytes
//!    and parses the response head itself, checking status 200 and the exact body length;
//!    `--client reqwest` uses one reqwest client per connection instead (heavier per request).
//! 5. Then, with our load finished, `redis-benchmark -h 127.0.0.1 -p 6379 --dbnum 14 -c <C>
//!    -n <N> --csv GET <key>`, N picked from a short calibration run so it lasts about
//!    `--seconds`.
//!
//! Everything runs on this machine: on a small one the load generator, the server and Redis
//! share the cores, while redis-benchmark is a single C thread. Note the load average printed.
//! Child processes are killed on every exit path.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::{Parser, ValueEnum};
use clockwork_bench::children::{ChildGuard, install_exit_handlers};
use clockwork_bench::serve::LocalServer;
use clockwork_bench::stats::{Summary, ms};
use clockwork_bench::{REDIS_DB, REDIS_HOST, REDIS_PORT, build, http1, seed};
use tokio::io::AsyncWriteExt;

const TARGET_RATIO: f64 = 0.5;
/// `clockwork-local` is a long-running server: built for speed, not size.
const PROFILE: &str = "server";
const CONNECT_LIMIT: Duration = Duration::from_secs(2);
const REQUEST_LIMIT: Duration = Duration::from_secs(5);

#[derive(Debug, Parser)]
#[command(
    about = "GET /api/timers/active under load, beside redis-benchmark GET of the same value"
)]
struct Args {
    /// Concurrent keep-alive connections (and redis-benchmark clients).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=1024))]
    connections: u16,
    /// Recorded seconds of load (redis-benchmark is sized to last about as long).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
    /// Unrecorded seconds of load before recording starts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    warmup_seconds: u64,
    /// Running timers in the cached value.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
    timers: u16,
    /// The load generator's HTTP client.
    #[arg(long, value_enum, default_value_t = ClientKind::Raw)]
    client: ClientKind,
    /// Use `target/release/clockwork-local` as a previous build left it instead of building.
    #[arg(long)]
    skip_build: bool,
    /// The route under load.
    #[arg(long, value_enum, default_value_t = BenchRoute::TimersActive)]
    route: BenchRoute,
    /// The redis-benchmark executable.
    #[arg(long, default_value = "redis-benchmark")]
    redis_benchmark: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchRoute {
    /// `GET /api/timers/active`, from the seeded timers.
    TimersActive,
    /// `GET /api/issues/search`, warm: from the cached answer of its first request.
    IssuesSearch,
}

/// The issue search's target, in requests a second (warm).
const SEARCH_TARGET_RPS: f64 = 10_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClientKind {
    /// Request bytes written directly, responses parsed by the bench (lightest).
    Raw,
    /// One reqwest client per connection.
    Reqwest,
}

fn main() -> Result<()> {
    install_exit_handlers()?;
    // Before any reqwest client is built: reqwest brings no crypto provider of its own.
    clockwork_core::tls::install_crypto_provider();
    let args = Args::parse();
    let root = clockwork_bench::workspace_root()?;
    let server_bin = build::local_server(&root, PROFILE, args.skip_build)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the tokio runtime")?;

    let load_before = clockwork_bench::load_average();
    let mut redis = runtime.block_on(clockwork_bench::redis_connection())?;
    let (key, value) = runtime.block_on(seed::seed_timers(&mut redis, usize::from(args.timers)))?;

    let server = start_server(&server_bin, &root)?;
    let (path, key, value, body_len) = match args.route {
        BenchRoute::TimersActive => {
            let path = seed::timers_active_path();
            let body_len = runtime.block_on(verify(server.address, &path, &value, args.timers))?;
            (path, key, value, body_len)
        }
        BenchRoute::IssuesSearch => {
            let path = seed::issues_search_path();
            let body_len = runtime.block_on(warm_search(server.address, &path))?;
            let key = seed::issues_search_key();
            let value = runtime
                .block_on(seed::current_value(&mut redis, &key))?
                .with_context(|| format!("the search left nothing under {key}"))?;
            (path, key, value, body_len)
        }
    };

    eprintln!(
        "bench: {} connections for {} s (+{} s warm-up) against {} ...",
        args.connections, args.seconds, args.warmup_seconds, server.address
    );
    let load = runtime.block_on(run_load(&args, server.address, &path, body_len))?;
    let load_during = clockwork_bench::load_average();

    let still = runtime.block_on(seed::current_value(&mut redis, &key))?;
    let value_kept = still.as_deref() == Some(value.as_str());

    eprintln!("bench: redis-benchmark GET {key} at -c {} ...", args.connections);
    let redis_result = redis_benchmark(&args, &key);
    let load_after = clockwork_bench::load_average();
    drop(server);

    report(
        &args,
        &Report {
            key: &key,
            value_len: value.len(),
            body_len,
            load: &load,
            redis: redis_result.as_ref(),
            value_kept,
            load_averages: [&load_before, &load_during, &load_after],
        },
    );
    if let Err(error) = &redis_result {
        bail!("redis-benchmark failed: {error:#}");
    }
    Ok(())
}

/// `serve --demo` with Redis database 14 as its cache and nothing else shared.
fn start_server(bin: &Path, root: &Path) -> Result<LocalServer> {
    let server = LocalServer::start(bin, root, |command| {
        command
            .arg("--demo")
            .env("REDIS_URL", clockwork_bench::redis_url())
            // Redis must be the cache and nothing else shared is wanted.
            .env_remove("UPSTASH_REDIS_REST_URL")
            .env_remove("UPSTASH_REDIS_REST_TOKEN")
            .env_remove("SQS_QUEUE_URL");
    })?;
    if server.settings.starts_with("cache:") && !server.settings.contains("Redis") {
        bail!("clockwork-local is not using Redis: {:?}", server.settings);
    }
    Ok(server)
}

/// The first search, which asks the demo Jira and caches the answer: 200 with issues.
/// Returns the body's length, which every response under load must match.
async fn warm_search(address: SocketAddr, path: &str) -> Result<usize> {
    let url = format!("http://{address}{path}");
    let response = reqwest::Client::builder()
        .timeout(REQUEST_LIMIT)
        .build()
        .context("could not build the HTTP client")?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.bytes().await.with_context(|| format!("reading GET {url}"))?;
    let answer: serde_json::Value =
        serde_json::from_slice(&body).with_context(|| format!("GET {url}: not JSON"))?;
    let found = answer["issues"].as_array().map_or(0, Vec::len);
    ensure!(status == reqwest::StatusCode::OK && found > 0, "GET {url}: {status}: {answer}");
    Ok(body.len())
}

/// One request before the load: 200, and the seeded timers back unchanged. Returns the
/// body's length, which every response under load must match.
async fn verify(address: SocketAddr, path: &str, seeded: &str, timers: u16) -> Result<usize> {
    let client = reqwest::Client::builder()
        .timeout(REQUEST_LIMIT)
        .build()
        .context("could not build the HTTP client")?;
    let url = format!("http://{address}{path}");
    let response = client.get(&url).send().await.with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.bytes().await.with_context(|| format!("reading GET {url}"))?;
    ensure!(
        status == reqwest::StatusCode::OK,
        "GET {url}: {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let answer: serde_json::Value =
        serde_json::from_slice(&body).with_context(|| format!("GET {url}: not JSON"))?;
    let seeded: serde_json::Value = serde_json::from_str(seeded).context("the seeded value")?;
    let count = answer["timers"].as_array().map_or(0, Vec::len);
    ensure!(count == usize::from(timers), "GET {url}: {count} timers, expected {timers}");
    ensure!(
        answer["timers"] == seeded["timers"],
        "GET {url}: the timers differ from the seeded ones"
    );
    ensure!(
        answer["cachedAt"] == seeded["cachedAt"],
        "GET {url}: cachedAt differs from the seeded one"
    );
    Ok(body.len())
}

#[derive(Debug, Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// Answered, but not 200 with the expected body.
    bad_answers: u64,
    io_errors: u64,
    timeouts: u64,
    connect_errors: u64,
    warmup_errors: u64,
}

#[derive(Debug, Clone, Copy)]
enum Failure {
    BadAnswer,
    Io,
    Timeout,
    Connect,
}

impl Tally {
    fn fail(&mut self, failure: Failure, in_window: bool) {
        if !in_window {
            self.warmup_errors += 1;
            return;
        }
        match failure {
            Failure::BadAnswer => self.bad_answers += 1,
            Failure::Io => self.io_errors += 1,
            Failure::Timeout => self.timeouts += 1,
            Failure::Connect => self.connect_errors += 1,
        }
    }

    fn errors(&self) -> u64 {
        self.bad_answers + self.io_errors + self.timeouts + self.connect_errors
    }

    fn merge(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        self.bad_answers += other.bad_answers;
        self.io_errors += other.io_errors;
        self.timeouts += other.timeouts;
        self.connect_errors += other.connect_errors;
        self.warmup_errors += other.warmup_errors;
    }
}

#[derive(Debug)]
struct LoadResult {
    tally: Tally,
    elapsed: Duration,
    summary: Option<Summary>,
}

impl LoadResult {
    fn rps(&self) -> f64 {
        self.tally.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// The window every connection shares: requests started before `record_from` are warm-up;
/// none is started at or after `end`.
#[derive(Debug, Clone, Copy)]
struct Window {
    record_from: Instant,
    end: Instant,
}

async fn run_load(
    args: &Args,
    address: SocketAddr,
    path: &str,
    body_len: usize,
) -> Result<LoadResult> {
    let start = Instant::now();
    let record_from = start + Duration::from_secs(args.warmup_seconds);
    let window = Window { record_from, end: record_from + Duration::from_secs(args.seconds) };
    let request: Arc<[u8]> = http1::get_request(&address.to_string(), path).into();
    let url = Arc::new(format!("http://{address}{path}"));
    let mut tasks = Vec::with_capacity(usize::from(args.connections));
    for _ in 0..args.connections {
        let task = match args.client {
            ClientKind::Raw => {
                tokio::spawn(raw_connection(address, Arc::clone(&request), body_len, window))
            }
            ClientKind::Reqwest => {
                let client = reqwest::Client::builder()
                    .http1_only()
                    .pool_max_idle_per_host(1)
                    .tcp_nodelay(true)
                    .timeout(REQUEST_LIMIT)
                    .connect_timeout(CONNECT_LIMIT)
                    .build()
                    .context("could not build the HTTP client")?;
                tokio::spawn(reqwest_connection(client, Arc::clone(&url), body_len, window))
            }
        };
        tasks.push(task);
    }
    let mut tally = Tally::default();
    for task in tasks {
        tally.merge(task.await.context("a load task failed")?);
    }
    let elapsed = record_from.elapsed();
    let summary = Summary::of(tally.latencies.clone());
    Ok(LoadResult { tally, elapsed, summary })
}

/// One keep-alive connection driven with hand-written requests; reconnects after errors.
async fn raw_connection(
    address: SocketAddr,
    request: Arc<[u8]>,
    body_len: usize,
    window: Window,
) -> Tally {
    let mut tally = Tally::default();
    let mut connection: Option<tokio::net::TcpStream> = None;
    let mut buf = Vec::with_capacity(32 * 1024);
    while Instant::now() < window.end {
        let stream = match connection.as_mut() {
            Some(stream) => stream,
            None => {
                match tokio::time::timeout(CONNECT_LIMIT, tokio::net::TcpStream::connect(address))
                    .await
                {
                    Ok(Ok(stream)) => {
                        let _ = stream.set_nodelay(true);
                        buf.clear();
                        connection.insert(stream)
                    }
                    Ok(Err(_)) | Err(_) => {
                        tally.fail(Failure::Connect, Instant::now() >= window.record_from);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                }
            }
        };
        let started = Instant::now();
        let in_window = started >= window.record_from;
        let exchange = async {
            stream.write_all(&request).await?;
            http1::read_response(stream, &mut buf).await
        };
        match tokio::time::timeout(REQUEST_LIMIT, exchange).await {
            Ok(Ok(parsed)) => {
                let latency = started.elapsed();
                if parsed.status == 200 && parsed.body_len == body_len {
                    if in_window {
                        tally.latencies.push(latency);
                    }
                } else {
                    tally.fail(Failure::BadAnswer, in_window);
                }
                if parsed.close {
                    connection = None;
                }
            }
            Ok(Err(_)) => {
                tally.fail(Failure::Io, in_window);
                connection = None;
            }
            Err(_) => {
                tally.fail(Failure::Timeout, in_window);
                connection = None;
            }
        }
    }
    tally
}

/// One keep-alive connection through reqwest (its pool holds the one connection).
async fn reqwest_connection(
    client: reqwest::Client,
    url: Arc<String>,
    body_len: usize,
    window: Window,
) -> Tally {
    let mut tally = Tally::default();
    while Instant::now() < window.end {
        let started = Instant::now();
        let in_window = started >= window.record_from;
        let outcome = match client.get(url.as_str()).send().await {
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|body| (status, body.len()))
            }
            Err(error) => Err(error),
        };
        match outcome {
            Ok((status, len)) if status == reqwest::StatusCode::OK && len == body_len => {
                if in_window {
                    tally.latencies.push(started.elapsed());
                }
            }
            Ok(_) => tally.fail(Failure::BadAnswer, in_window),
            Err(error) => {
                let failure = if error.is_timeout() {
                    Failure::Timeout
                } else if error.is_connect() {
                    Failure::Connect
                } else {
                    Failure::Io
                };
                tally.fail(failure, in_window);
                if matches!(failure, Failure::Connect) {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
    tally
}

#[derive(Debug)]
struct RedisBench {
    requests: u64,
    rps: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
}

/// A calibration run, then one sized to last about `--seconds`.
fn redis_benchmark(args: &Args, key: &str) -> Result<RedisBench> {
    let calibration = run_redis_benchmark(args, key, 20_000)?;
    let wanted = calibration.rps * args.seconds as f64;
    let requests =
        if wanted.is_finite() { wanted.clamp(50_000.0, 5_000_000.0) as u64 } else { 50_000 };
    run_redis_benchmark(args, key, requests)
}

fn run_redis_benchmark(args: &Args, key: &str, requests: u64) -> Result<RedisBench> {
    let mut command = Command::new(&args.redis_benchmark);
    command
        .args(["-h", REDIS_HOST, "-p", &REDIS_PORT.to_string(), "--dbnum", &REDIS_DB.to_string()])
        .args(["-c", &args.connections.to_string(), "-n", &requests.to_string(), "--csv"])
        .args(["GET", key])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let child = ChildGuard::spawn(&format!("{}", args.redis_benchmark.display()), &mut command)
        .context("is redis-benchmark installed (it comes with redis-tools)?")?;
    let stdout = child.take_stdout().context("redis-benchmark's stdout was not piped")?;
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout));
    let limit = Duration::from_secs(args.seconds * 10 + 60);
    let status = child.wait_timeout(limit)?;
    let output = match reader.join() {
        Ok(output) => output.context("reading redis-benchmark's output")?,
        Err(_) => bail!("reading redis-benchmark's output panicked"),
    };
    ensure!(status.success(), "redis-benchmark exited with {status}: {output}");
    parse_csv(&output, requests)
}

/// `"test","rps","avg_latency_ms",…` then one row per test (7.x); older versions print only
/// `"GET …","<rps>"`.
fn parse_csv(output: &str, requests: u64) -> Result<RedisBench> {
    let rows: Vec<Vec<String>> = output
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split(',').map(|cell| cell.trim().trim_matches('"').to_owned()).collect())
        .collect();
    let (header, row) = match rows.as_slice() {
        [header, row, ..] if header.first().is_some_and(|cell| cell == "test") => {
            (Some(header), row)
        }
        [row, ..] => (None, row),
        [] => bail!("redis-benchmark printed no CSV"),
    };
    let column = |name: &str, fallback: Option<usize>| -> Option<f64> {
        let index = header.map_or(fallback, |h| h.iter().position(|cell| cell == name))?;
        row.get(index)?.parse().ok()
    };
    let rps = column("rps", Some(1)).with_context(|| format!("no rps in {output:?}"))?;
    Ok(RedisBench {
        requests,
        rps,
        p50_ms: column("p50_latency_ms", None),
        p99_ms: column("p99_latency_ms", None),
    })
}

struct Report<'a> {
    key: &'a str,
    value_len: usize,
    body_len: usize,
    load: &'a LoadResult,
    redis: Result<&'a RedisBench, &'a anyhow::Error>,
    value_kept: bool,
    load_averages: [&'a str; 3],
}

fn report(args: &Args, r: &Report<'_>) {
    let client = match args.client {
        ClientKind::Raw => "raw HTTP/1.1 keep-alive",
        ClientKind::Reqwest => "reqwest, HTTP/1.1 keep-alive",
    };
    let [before, during, after] = r.load_averages;
    println!();
    println!("bench-timers-active");
    match args.route {
        BenchRoute::TimersActive => println!(
            "  route: GET {}  ({} timers; cached value {} bytes, response body {} bytes)",
            seed::timers_active_path(),
            args.timers,
            r.value_len,
            r.body_len
        ),
        BenchRoute::IssuesSearch => println!(
            "  route: GET {}  (warm; cached answer {} bytes, response body {} bytes)",
            seed::issues_search_path(),
            r.value_len,
            r.body_len
        ),
    }
    println!(
        "  load: {} connections ({client}), {} s recorded after {} s warm-up, tokio 2 workers",
        args.connections, args.seconds, args.warmup_seconds
    );
    println!(
        "  machine: {} CPUs; load average before {before}, after our load {during}, after redis-benchmark {after}",
        clockwork_bench::cpu_count()
    );
    println!();
    println!(
        "  {:<34} {:>12} {:>10} {:>10} {:>8} {:>10}",
        "", "requests/s", "p50 ms", "p99 ms", "errors", "requests"
    );
    let load = r.load;
    let (p50, p99) =
        load.summary.map_or(("-".to_owned(), "-".to_owned()), |s| (ms(s.p50), ms(s.p99)));
    println!(
        "  {:<34} {:>12.1} {:>10} {:>10} {:>8} {:>10}",
        "clockwork-local (Redis cache)",
        load.rps(),
        p50,
        p99,
        load.tally.errors(),
        load.tally.latencies.len()
    );
    match r.redis {
        Ok(redis) => {
            let show = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.3}"));
            println!(
                "  {:<34} {:>12.1} {:>10} {:>10} {:>8} {:>10}",
                format!("redis-benchmark GET (-c {})", args.connections),
                redis.rps,
                show(redis.p50_ms),
                show(redis.p99_ms),
                "-",
                redis.requests
            );
            let ratio = load.rps() / redis.rps;
            let verdict = if ratio >= TARGET_RATIO { "meets target" } else { "BELOW TARGET" };
            println!();
            println!(
                "  ratio ours/redis-benchmark: {ratio:.3}  (target >= {TARGET_RATIO}: {verdict})"
            );
        }
        Err(error) => println!("  redis-benchmark: failed: {error:#}"),
    }
    if args.route == BenchRoute::IssuesSearch {
        let verdict = if load.rps() >= SEARCH_TARGET_RPS { "meets target" } else { "BELOW TARGET" };
        println!(
            "  issue search, warm: {:.0} requests/s  (target >= {SEARCH_TARGET_RPS}: {verdict})",
            load.rps()
        );
    }
    let t = &load.tally;
    if t.errors() > 0 || t.warmup_errors > 0 {
        println!(
            "  errors: {} bad answers, {} I/O, {} timeouts, {} connect; {} more during warm-up",
            t.bad_answers, t.io_errors, t.timeouts, t.connect_errors, t.warmup_errors
        );
    }
    if let Some(s) = load.summary {
        println!(
            "  ours: min {} ms, max {} ms over {:.2} s",
            ms(s.min),
            ms(s.max),
            load.elapsed.as_secs_f64()
        );
    }
    if !r.value_kept {
        println!("  WARNING: {} changed during the run (something else rewrote it)", r.key);
    }
}
