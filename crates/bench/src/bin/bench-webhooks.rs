//! Jira webhook deliveries through `clockwork-local serve`, from the fake Jira as Jira Cloud
//! sends them (signed admin webhook), into the server's SQLite store.
//!
//! ```text
//! cargo run --profile server -p clockwork-bench --bin bench-webhooks [-- --profile dev]
//! ```
//!
//! 1. Builds `clockwork-local` in `--profile` (`server`, the long-running servers' profile;
//!    `--skip-build` takes the binary a previous build left), seeds a fake Jira with a project
//!    of `--issues` issues, starts `serve` against it (`JIRA_WEBHOOK_COALESCE_SECONDS=4`),
//!    tracks and fully syncs the project through serve's GraphQL, and registers the webhook
//!    with `webhooks register --secret`.
//! 2. Route throughput: `--route-deliveries` deliveries of `jira:issue_updated` for the
//!    project's issues, rendered beforehand, sent by `--concurrency` senders at once:
//!    deliveries accepted (202) a second. The bench then waits until the worker applied them.
//! 3. The issue's scenario: `--deliveries` deliveries spread over `--seconds`, each for a
//!    random issue and after an edit of its summary on the fake, then a wait until all are
//!    applied. Printed: the Jira requests the worker made meanwhile (target ≤ 10), the delay
//!    from reception to applied (`webhook_deliveries.received_ms` → `applied_ms`; target p99
//!    ≤ 5 s), and lost updates, issues whose stored summary is not the fake's last (target 0).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use clockwork_bench::build;
use clockwork_bench::children::{ChildGuard, install_exit_handlers};
use clockwork_bench::jira_sync::{API_TOKEN, EMAIL, PROJECT, requests_by_endpoint};
use clockwork_bench::serve::LocalServer;
use clockwork_bench::stats::{Summary, ms};
use clockwork_store::{DeliveryRecord, Store, StoreConfig};
use clockwork_testkit::jira::{FakeJira, SeededProject, WebhookEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const SECRET: &str = "bench-webhook-secret";
const EVENT: &str = "jira:issue_updated";
/// How long the full sync, and the applying of a phase's deliveries, may take.
const SYNC_LIMIT: Duration = Duration::from_secs(300);
const APPLY_LIMIT: Duration = Duration::from_secs(300);
const POLL_EVERY: Duration = Duration::from_millis(250);
/// The issue's targets.
const MAX_JIRA_REQUESTS: usize = 10;
const MAX_P99: Duration = Duration::from_secs(5);

#[derive(Debug, Parser)]
#[command(about = "Jira webhook deliveries through clockwork-local serve")]
struct Args {
    /// Issues of the tracked project.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    issues: u64,
    /// Deliveries sent as fast as the route takes them.
    #[arg(long, default_value_t = 2000)]
    route_deliveries: usize,
    /// Senders at once for the route throughput.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Deliveries of the issue's scenario, each after an edit.
    #[arg(long, default_value_t = 1000)]
    deliveries: usize,
    /// Seconds the scenario's deliveries are spread over.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
    /// The cargo profile `clockwork-local` is built in (`dev` for a quick look).
    #[arg(long, default_value = "server")]
    profile: String,
    /// Use the binary a previous build in `--profile` left instead of building.
    #[arg(long)]
    skip_build: bool,
}

fn main() -> Result<()> {
    install_exit_handlers()?;
    clockwork_core::tls::install_crypto_provider();
    let args = Args::parse();
    let root = clockwork_bench::workspace_root()?;
    let bin = build::local_server(&root, &args.profile, args.skip_build)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the tokio runtime")?;
    runtime.block_on(bench(&args, &bin, &root))
}

async fn bench(args: &Args, bin: &Path, root: &Path) -> Result<()> {
    let jira = Arc::new(FakeJira::start(EMAIL, API_TOKEN).await);
    let issues = usize::try_from(args.issues)?;
    let seeded = jira.seed_project(PROJECT, issues, 2, 2);
    let folder = tempfile::tempdir().context("a folder for the store")?;
    let database_url = format!("sqlite://{}", folder.path().join("clockwork.db").display());
    let settings = |command: &mut Command| {
        command
            .env("DATABASE_URL", &database_url)
            .env("JIRA_BASE_URL", jira.base_url())
            .env("ATLASSIAN_EMAIL", EMAIL)
            .env("ATLASSIAN_API_TOKEN", API_TOKEN)
            .env("JIRA_WEBHOOK_SECRET", SECRET)
            .env("JIRA_WEBHOOK_COALESCE_SECONDS", "4")
            .env("AUTH_DISABLED", "true")
            .env_remove("REDIS_URL")
            .env_remove("UPSTASH_REDIS_REST_URL")
            .env_remove("SQS_QUEUE_URL");
    };
    // One schedule tick at start (nothing is tracked yet), none during the measures.
    let server = LocalServer::start(bin, root, |command| {
        settings(command);
        command.args(["--tick-every", "86400"]);
    })?;
    let base = format!("http://{}", server.address);
    let store = Store::connect(&StoreConfig::new(&database_url)?).await?;

    let synced = Instant::now();
    track_and_sync(&base, &store).await?;
    eprintln!("bench: {PROJECT} synced through serve in {:.1} s", synced.elapsed().as_secs_f64());
    register(bin, &format!("{base}/api/webhooks/jira"), &settings)?;

    let ids: Vec<String> = seeded.issue_ids.clone().map(|id| id.to_string()).collect();
    let route = route_throughput(&jira, &ids, args).await?;
    wait_applied(&store, &ids, &route.accepted).await?;

    jira.reset_counts();
    let scenario = scenario(&jira, &seeded, args).await?;
    let applied = wait_applied(&store, &ids, &scenario.accepted).await?;
    let jira_requests = jira.total_requests();
    let by_endpoint = requests_by_endpoint(&jira);
    let mut lost = 0;
    for (id, summary) in &scenario.summaries {
        let stored = store.issue(id).await?.map(|issue| issue.value.summary);
        if stored.as_deref() != Some(summary.as_str()) {
            lost += 1;
        }
    }
    let delays: Vec<Duration> = applied
        .iter()
        .filter_map(|record| record.applied_ms.map(|at| at - record.received_ms))
        .map(|delay| Duration::from_millis(u64::try_from(delay).unwrap_or(0)))
        .collect();
    let delay = Summary::of(delays).context("no delivery was applied")?;
    drop(server);

    println!();
    println!(
        "bench-webhooks: clockwork-local built in the {} profile; {} issues; {} CPUs, load {}",
        args.profile,
        args.issues,
        clockwork_bench::cpu_count(),
        clockwork_bench::load_average()
    );
    println!(
        "  route: {:.0} deliveries/s accepted (202), {} of {} with {} senders in {:.2} s; \
         p50 {} ms, p99 {} ms",
        route.accepted.len() as f64 / route.elapsed.as_secs_f64(),
        route.accepted.len(),
        args.route_deliveries,
        args.concurrency,
        route.elapsed.as_secs_f64(),
        ms(route.latency.p50),
        ms(route.latency.p99),
    );
    println!(
        "  scenario: {} deliveries over {} s for {} issues ({} accepted)",
        args.deliveries,
        args.seconds,
        scenario.summaries.len(),
        scenario.accepted.len()
    );
    println!(
        "    Jira requests by the worker: {jira_requests} ({by_endpoint})  target <= \
         {MAX_JIRA_REQUESTS}: {}",
        verdict(jira_requests <= MAX_JIRA_REQUESTS)
    );
    println!(
        "    received -> applied: p50 {} ms, p99 {} ms, max {} ms  target p99 <= {} s: {}",
        ms(delay.p50),
        ms(delay.p99),
        ms(delay.max),
        MAX_P99.as_secs(),
        verdict(delay.p99 <= MAX_P99)
    );
    println!("    lost updates: {lost}  target 0: {}", verdict(lost == 0));
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// A GraphQL request to serve; its `data`.
async fn graphql(base: &str, query: &str) -> Result<Value> {
    let answer: Value = reqwest::Client::new()
        .post(format!("{base}/api/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .context("POST /api/graphql")?
        .json()
        .await
        .context("GraphQL's answer is not JSON")?;
    ensure!(answer.get("errors").is_none(), "GraphQL refused {query}: {answer}");
    Ok(answer["data"].clone())
}

/// Tracks the project and runs its full sync through serve's GraphQL; waits for the run.
async fn track_and_sync(base: &str, store: &Store) -> Result<()> {
    graphql(base, &format!("mutation {{ trackProject(projectId: \"{PROJECT}\") {{ key }} }}"))
        .await?;
    let trigger = format!(
        "mutation {{ triggerProjectSync(projectId: \"{PROJECT}\", full: true) {{ outcome }} }}"
    );
    graphql(base, &trigger).await?;
    let deadline = Instant::now() + SYNC_LIMIT;
    while Instant::now() < deadline {
        let runs = store.recent_runs(PROJECT, 1).await?;
        match runs.first() {
            Some(run) if run.succeeded => return Ok(()),
            Some(run) if !run.retryable => bail!("the full sync failed: {run:?}"),
            _ => tokio::time::sleep(POLL_EVERY).await,
        }
    }
    bail!("the full sync did not finish within {} s", SYNC_LIMIT.as_secs())
}

/// `clockwork-local webhooks register --url … --secret …` with serve's settings.
fn register(bin: &Path, url: &str, settings: &impl Fn(&mut Command)) -> Result<()> {
    let mut command = Command::new(bin);
    settings(&mut command);
    command
        .args(["webhooks", "register", "--url", url, "--secret", SECRET])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let status = ChildGuard::spawn("webhooks register", &mut command)?
        .wait_timeout(Duration::from_secs(60))?;
    ensure!(status.success(), "webhooks register failed ({status}); see its errors above");
    Ok(())
}

/// Deliveries accepted by the route: their identifiers.
struct RouteRun {
    accepted: HashSet<String>,
    elapsed: Duration,
    latency: Summary,
}

async fn route_throughput(jira: &Arc<FakeJira>, ids: &[String], args: &Args) -> Result<RouteRun> {
    let events: Vec<WebhookEvent> = (0..args.route_deliveries)
        .map(|n| jira.webhook_event(EVENT, &ids[n % ids.len()]).context("a seeded issue"))
        .collect::<Result<_>>()?;
    let events = Arc::new(events);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (jira, events, next) = (jira.clone(), events.clone(), next.clone());
        senders.spawn(async move {
            let mut sent = Vec::new();
            while let Some(event) = events.get(next.fetch_add(1, Ordering::Relaxed)) {
                let at = Instant::now();
                let statuses = jira.deliver(event).await;
                sent.push((event.identifiers().concat(), statuses == [202], at.elapsed()));
            }
            sent
        });
    }
    let mut accepted = HashSet::new();
    let mut latencies = Vec::new();
    while let Some(sent) = senders.join_next().await {
        for (identifier, ok, latency) in sent? {
            latencies.push(latency);
            if ok {
                accepted.insert(identifier);
            }
        }
    }
    let elapsed = started.elapsed();
    let latency = Summary::of(latencies).context("nothing was sent")?;
    Ok(RouteRun { accepted, elapsed, latency })
}

/// The scenario's accepted deliveries and each edited issue's last summary.
struct ScenarioRun {
    accepted: HashSet<String>,
    summaries: HashMap<String, String>,
}

async fn scenario(
    jira: &Arc<FakeJira>,
    seeded: &SeededProject,
    args: &Args,
) -> Result<ScenarioRun> {
    let mut random = StdRng::seed_from_u64(11);
    let spacing = Duration::from_secs(args.seconds) / u32::try_from(args.deliveries.max(1))?;
    let start = tokio::time::Instant::now();
    let mut summaries = HashMap::new();
    let mut sends = tokio::task::JoinSet::new();
    for n in 0..args.deliveries {
        tokio::time::sleep_until(start + spacing * u32::try_from(n)?).await;
        let id = random.random_range(seeded.issue_ids.clone()).to_string();
        let summary = format!("Edited on Jira, edit {n}");
        jira.update_issue(&id, |issue| issue.summary.clone_from(&summary));
        let event = jira.webhook_event(EVENT, &id).context("a seeded issue")?;
        summaries.insert(id, summary);
        let jira = jira.clone();
        sends.spawn(async move {
            let statuses = jira.deliver(&event).await;
            (event.identifiers().concat(), statuses == [202])
        });
    }
    let mut accepted = HashSet::new();
    while let Some(sent) = sends.join_next().await {
        if let (identifier, true) = sent? {
            accepted.insert(identifier);
        }
    }
    Ok(ScenarioRun { accepted, summaries })
}

/// Waits until every delivery of `accepted` is applied; their records.
async fn wait_applied(
    store: &Store,
    issue_ids: &[String],
    accepted: &HashSet<String>,
) -> Result<Vec<DeliveryRecord>> {
    let deadline = Instant::now() + APPLY_LIMIT;
    loop {
        let mut applied = Vec::with_capacity(accepted.len());
        for id in issue_ids {
            let records = store.webhook_deliveries_of(id).await?;
            applied.extend(
                records.into_iter().filter(|r| r.applied_ms.is_some() && accepted.contains(&r.id)),
            );
        }
        if applied.len() >= accepted.len() {
            return Ok(applied);
        }
        if Instant::now() >= deadline {
            bail!(
                "{} of {} deliveries applied after {} s",
                applied.len(),
                accepted.len(),
                APPLY_LIMIT.as_secs()
            );
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
