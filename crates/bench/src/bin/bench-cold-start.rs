//! Cold start of the Vercel function binaries, and the size of every function binary.
//!
//! Run from the repository root, with Redis on 127.0.0.1:6379 and moto on 127.0.0.1:5000
//! (`.ci/services` starts both):
//!
//! ```text
//! cargo run --release -p clockwork-bench --bin bench-cold-start
//! ```
//!
//! What it does:
//! 1. Finds the route crates under `functions/*` (package names read from their `Cargo.toml`),
//!    waiting up to `--wait-for-functions-secs` for them to appear and build, and builds them
//!    all with `cargo build --release` (output shown; `--skip-build` uses the binaries a
//!    previous build left in `target/release` instead).
//! 2. Prints the size of every `*-vercel` and `*-lambda` binary built (target ≤ 4 MB; the
//!    release profile strips them).
//! 3. Seeds Redis database 14 with a user's 20 running timers, and creates the SQS queue
//!    `bench` on moto (so `/api/health` can find every part up).
//! 4. For `timers-active-vercel` (`GET /api/timers/active?accountId=…`, reads Redis) and
//!    `health-vercel` (`GET /api/health`, pings Redis and the queue): one unrecorded warm-up
//!    run, then `--runs` runs of: pick a free port, spawn the binary with `VERCEL_DEV_PORT`
//!    and the deployed environment, connect every ~0.2 ms until it listens, send the request,
//!    stop the clock at the end of the response, kill and reap the child. Prints the median,
//!    min and max time to first successful response (target ≤ 10 ms), and the time until the
//!    port accepted a connection.
//!
//! All traffic stays on 127.0.0.1 (`AWS_ENDPOINT_URL` points the SQS client at moto). Child
//! processes are killed on every exit path.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use clockwork_bench::build::{self, Executable};
use clockwork_bench::children::{ChildGuard, install_exit_handlers};
use clockwork_bench::stats::{Summary, ms};
use clockwork_bench::{http1, seed};

const TARGET_COLD_START: Duration = Duration::from_millis(10);
const TARGET_SIZE_BYTES: u64 = 4_000_000;
/// The functions as they are deployed: the size-optimized profile.
const PROFILE: &str = "release";
const POLL_INTERVAL: Duration = Duration::from_micros(200);
/// A start that has not answered by then counts as failed.
const RUN_LIMIT: Duration = Duration::from_secs(10);
const RECHECK_FUNCTIONS: Duration = Duration::from_secs(30);
const MOTO: &str = "127.0.0.1:5000";
const QUEUE_NAME: &str = "bench";
const QUEUE_URL: &str = "http://127.0.0.1:5000/123456789012/bench";

/// The packages and binaries measured; the other function binaries are only weighed.
const MEASURED: [Measured; 2] = [
    Measured {
        package: "fn-timers-active",
        binary: "timers-active-vercel",
        route: Route::TimersActive,
    },
    Measured { package: "fn-health", binary: "health-vercel", route: Route::Health },
];

#[derive(Debug, Clone, Copy)]
enum Route {
    TimersActive,
    Health,
}

#[derive(Debug, Clone, Copy)]
struct Measured {
    package: &'static str,
    binary: &'static str,
    route: Route,
}

impl Measured {
    fn request_path(self) -> String {
        match self.route {
            Route::TimersActive => seed::timers_active_path(),
            Route::Health => "/api/health".to_owned(),
        }
    }
}

#[derive(Debug, Parser)]
#[command(about = "Cold start of the Vercel function binaries, and function binary sizes")]
struct Args {
    /// Recorded starts per binary.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
    runs: u16,
    /// How long to wait for the `functions/*` crates to exist and build.
    #[arg(long, default_value_t = 1200, value_parser = clap::value_parser!(u64).range(0..=7200))]
    wait_for_functions_secs: u64,
    /// Use the `*-vercel` and `*-lambda` binaries a previous build left in `target/release`
    /// instead of building.
    #[arg(long)]
    skip_build: bool,
    /// Extra `NAME=VALUE` for the function processes (repeatable), e.g. to compare
    /// `SSL_CERT_DIR=/nonexistent` or `RUST_LOG=off`; it overrides the defaults above.
    #[arg(long = "env", value_name = "NAME=VALUE", value_parser = parse_env)]
    extra_env: Vec<(String, String)>,
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("expected NAME=VALUE, got {text:?}")),
    }
}

fn main() -> Result<()> {
    install_exit_handlers()?;
    // Before any reqwest client is built: reqwest brings no crypto provider of its own.
    clockwork_core::tls::install_crypto_provider();
    let args = Args::parse();
    let root = clockwork_bench::workspace_root()?;
    let executables = if args.skip_build {
        build::existing(&root, PROFILE, is_function_binary)?
    } else {
        build_functions(&root, Duration::from_secs(args.wait_for_functions_secs))?
    };
    let binaries: Vec<&Executable> =
        executables.iter().filter(|e| is_function_binary(&e.name)).collect();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the tokio runtime")?;
    let mut redis = runtime.block_on(clockwork_bench::redis_connection())?;
    runtime.block_on(seed::seed_timers(&mut redis, 20))?;
    let queue_note = match runtime.block_on(create_queue()) {
        Ok(()) => format!("queue {QUEUE_URL} created on moto"),
        Err(error) => {
            format!("could not create {QUEUE_URL} on moto ({error:#}); health may be 503")
        }
    };
    drop(runtime);

    let load_before = clockwork_bench::load_average();
    let mut results = Vec::new();
    for measured in MEASURED {
        let bin = build::find(&executables, measured.binary)?;
        eprintln!("bench: {} x{} (+1 warm-up) ...", measured.binary, args.runs);
        let request_path = measured.request_path();
        results.push((measured, measure(&bin.path, &request_path, args.runs, &args.extra_env)?));
    }
    let load_after = clockwork_bench::load_average();

    println!();
    println!("bench-cold-start");
    println!(
        "  machine: {} CPUs; load average before {load_before}, after {load_after}",
        clockwork_bench::cpu_count()
    );
    println!("  {queue_note}");
    for (name, value) in &args.extra_env {
        println!("  extra environment for the functions: {name}={value}");
    }
    println!();
    print_sizes(&binaries)?;
    println!();
    print_cold_starts(&results, args.runs);
    Ok(())
}

fn is_function_binary(name: &str) -> bool {
    name.ends_with("-vercel") || name.ends_with("-lambda")
}

/// The `functions/*` packages, as their manifests name them.
fn function_packages(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("functions");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Vec::new()) };
    let mut packages = Vec::new();
    for entry in entries {
        let manifest = entry.context("listing functions/")?.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        if let Some(name) = package_name(&text) {
            packages.push(name);
        }
    }
    packages.sort();
    Ok(packages)
}

/// `name = "…"` in a manifest's `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(rest) = line.strip_prefix("name") {
            let value = rest.trim_start().strip_prefix('=')?.trim();
            return Some(value.trim_matches('"').to_owned());
        }
    }
    None
}

/// Builds every function package once the measured ones exist; until then (or while the
/// build fails, e.g. mid-edit by their author) re-checks every 30 s up to `wait`.
fn build_functions(root: &Path, wait: Duration) -> Result<Vec<Executable>> {
    let deadline = Instant::now() + wait;
    loop {
        let packages = function_packages(root)?;
        let missing: Vec<&str> = MEASURED
            .iter()
            .map(|m| m.package)
            .filter(|p| !packages.iter().any(|q| q == p))
            .collect();
        let outcome = if missing.is_empty() {
            build::with_profile(root, PROFILE, &packages).and_then(|built| {
                for measured in MEASURED {
                    build::find(&built, measured.binary)?;
                }
                Ok(built)
            })
        } else {
            Err(anyhow::anyhow!("functions/ has no package {}", missing.join(", ")))
        };
        match outcome {
            Ok(built) => return Ok(built),
            Err(error) if Instant::now() + RECHECK_FUNCTIONS <= deadline => {
                eprintln!("bench: {error:#}; checking again in {} s", RECHECK_FUNCTIONS.as_secs());
                std::thread::sleep(RECHECK_FUNCTIONS);
            }
            Err(error) => {
                return Err(error.context(format!(
                    "the function binaries were not ready within {} s",
                    wait.as_secs()
                )));
            }
        }
    }
}

/// `CreateQueue` on moto (idempotent); moto routes unsigned requests by the credential scope.
async fn create_queue() -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .context("could not build the HTTP client")?;
    let response = client
        .post(format!("http://{MOTO}/"))
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("Action=CreateQueue&QueueName={QUEUE_NAME}&Version=2012-11-05"))
        .send()
        .await
        .with_context(|| format!("is moto running on {MOTO}? (`.ci/services` starts it)"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() || !body.contains(QUEUE_URL) {
        bail!("CreateQueue answered {status}: {}", body.chars().take(300).collect::<String>());
    }
    Ok(())
}

fn print_sizes(binaries: &[&Executable]) -> Result<()> {
    println!("  function binaries (release profile: strip = true; target <= 4 MB):");
    println!("  {:<26} {:>12} {:>8} {:>9}", "binary", "bytes", "MB", "MiB");
    let mut sorted = binaries.to_vec();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut over = Vec::new();
    for bin in sorted {
        let bytes = std::fs::metadata(&bin.path)
            .with_context(|| format!("reading the size of {}", bin.path.display()))?
            .len();
        let mark = if bytes <= TARGET_SIZE_BYTES { "" } else { "  OVER TARGET" };
        if bytes > TARGET_SIZE_BYTES {
            over.push(bin.name.as_str());
        }
        println!(
            "  {:<26} {:>12} {:>8.2} {:>9.2}{mark}",
            bin.name,
            bytes,
            bytes as f64 / 1e6,
            bytes as f64 / (1024.0 * 1024.0)
        );
    }
    if over.is_empty() {
        println!("  all {} binaries <= 4 MB", binaries.len());
    } else {
        println!("  over 4 MB: {}", over.join(", "));
    }
    Ok(())
}

/// What the starts of one binary gave.
#[derive(Debug, Default)]
struct Runs {
    /// Spawn to the end of a 2xx response.
    served: Vec<Duration>,
    /// Spawn to the first accepted connection, for the same runs.
    listening: Vec<Duration>,
    /// Runs that ended otherwise: why.
    failures: Vec<String>,
}

fn measure(bin: &Path, path: &str, runs: u16, extra_env: &[(String, String)]) -> Result<Runs> {
    let mut out = Runs::default();
    for run in 0..=runs {
        let outcome = start_once(bin, path, extra_env)?;
        if run == 0 {
            continue; // warm-up: the binary into the page cache
        }
        match outcome {
            Ok((listening, served)) => {
                out.listening.push(listening);
                out.served.push(served);
            }
            Err(why) => out.failures.push(why),
        }
    }
    Ok(out)
}

/// One cold start. The outer error is the bench's own failure (cannot spawn); the inner
/// one a failed start, reported and counted.
fn start_once(
    bin: &Path,
    path: &str,
    extra_env: &[(String, String)],
) -> Result<Result<(Duration, Duration), String>> {
    let port = clockwork_bench::free_port()?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut command = Command::new(bin);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("REDIS_URL", clockwork_bench::redis_url())
        .env("SQS_QUEUE_URL", QUEUE_URL)
        .env("AWS_ENDPOINT_URL", format!("http://{MOTO}"))
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("JIRA_DOMAIN", "bench.atlassian.net")
        .env("ATLASSIAN_EMAIL", "bench@example.com")
        .env("ATLASSIAN_API_TOKEN", "x")
        .env("AUTH_DISABLED", "true")
        .env("RUST_LOG", "warn")
        .env("VERCEL_DEV_PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .envs(extra_env.iter().map(|(name, value)| (name, value)));
    let name = bin.file_name().map_or_else(|| "function".into(), |n| n.to_string_lossy());
    let started = Instant::now();
    let child = ChildGuard::spawn(&name, &mut command)?;
    let outcome = first_response(&child, address, path, started);
    // Stop the child before reading its stderr: killing it closes the pipe.
    let stderr = child.take_stderr();
    let status = child.stop();
    Ok(outcome.map_err(|why| {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = stderr.read_to_string(&mut text);
        }
        // The last lines say why (a refusal or a panic); earlier ones are start-up logs.
        let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let text = lines[lines.len().saturating_sub(3)..].join(" | ");
        match status {
            Some(status) if !text.is_empty() => format!("{why} (exit {status}; stderr: {text})"),
            Some(status) => format!("{why} (exit {status})"),
            None => format!("{why} (stderr: {text})"),
        }
    }))
}

/// Connects every ~0.2 ms until the child listens, then times one request to its end.
fn first_response(
    child: &ChildGuard,
    address: SocketAddr,
    path: &str,
    started: Instant,
) -> Result<(Duration, Duration), String> {
    let mut stream = loop {
        if let Ok(stream) = TcpStream::connect(address) {
            break stream;
        }
        match child.try_wait() {
            Ok(Some(status)) => return Err(format!("exited before listening with {status}")),
            Ok(None) => {}
            Err(error) => return Err(format!("{error:#}")),
        }
        if started.elapsed() > RUN_LIMIT {
            return Err(format!("not listening after {} s", RUN_LIMIT.as_secs()));
        }
        std::thread::sleep(POLL_INTERVAL);
    };
    let listening = started.elapsed();
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(RUN_LIMIT));
    let request = http1::get_request(&address.to_string(), path);
    stream.write_all(&request).map_err(|e| format!("sending the request: {e}"))?;
    let mut buf = Vec::with_capacity(16 * 1024);
    let parsed = http1::read_response_blocking(&mut stream, &mut buf)
        .map_err(|e| format!("reading the response: {e}"))?;
    let served = started.elapsed();
    // The bench closes first, so the TIME_WAIT stays on its side, not on the server's port.
    drop(stream);
    if (200..300).contains(&parsed.status) {
        Ok((listening, served))
    } else {
        Err(format!("answered {} after {} ms", parsed.status, ms(served)))
    }
}

fn print_cold_starts(results: &[(Measured, Runs)], runs: u16) {
    println!(
        "  cold start: spawn -> end of first successful response ({runs} runs each, after 1 warm-up; target <= {} ms)",
        TARGET_COLD_START.as_millis()
    );
    println!(
        "  {:<22} {:<46} {:>5} {:>10} {:>9} {:>9} {:>14}",
        "binary", "request", "ok", "median ms", "min ms", "max ms", "listen med ms"
    );
    for (measured, runs) in results {
        let served = Summary::of(runs.served.clone());
        let listening = Summary::of(runs.listening.clone());
        let show =
            |s: Option<Summary>, f: fn(Summary) -> Duration| s.map_or("-".to_owned(), |s| ms(f(s)));
        let verdict = match served {
            Some(s) if s.p50 <= TARGET_COLD_START => "",
            Some(_) => "  OVER TARGET",
            None => "  NO SUCCESSFUL RUN",
        };
        println!(
            "  {:<22} {:<46} {:>5} {:>10} {:>9} {:>9} {:>14}{verdict}",
            measured.binary,
            format!("GET {}", shorten(&measured.request_path(), 42)),
            format!("{}/{}", runs.served.len(), runs.served.len() + runs.failures.len()),
            show(served, |s| s.p50),
            show(served, |s| s.min),
            show(served, |s| s.max),
            show(listening, |s| s.p50),
        );
        for failure in runs.failures.iter().take(3) {
            println!("    failed start: {failure}");
        }
        if runs.failures.len() > 3 {
            println!("    … and {} more failed starts", runs.failures.len() - 3);
        }
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}
