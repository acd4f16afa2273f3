//! The timer-sync worker at scale: 1000 running timers for 300 users, on loopback fakes of
//! Jira and the Clockwork report app, with the Redis cache (database 14, flushed first).
//!
//! ```text
//! cargo run --release -p clockwork-bench --bin bench-timer-sync [-- --runs 20]
//! ```
//!
//! Prints, for a cold user cache (first run) and a warm one (median of `--runs`): Jira
//! user-API requests (targets ≤ 6 cold, 0 warm), the function's own Redis round trips
//! (target ≤ 3 warm) beside the durable engine's bookkeeping round trips (memos, run record,
//! lease), and the whole-run wall time (target ≤ 50 ms warm). Then the same work done the
//! seeds' way — one Jira call per user, one Redis command per key — and the ratios.
//! The function and the engine get separate Redis connections so their round trips are
//! counted apart; in production they share one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use clap::Parser;
use clockwork_bench::redis_url;
use clockwork_cache::Cache;
use clockwork_cache::redis_backend::RedisCache;
use clockwork_clients::report::{self, fetch_all_timers};
use clockwork_clients::{HttpClient, HttpOptions, JiraApi, JiraClient};
use clockwork_core::AccountId;
use clockwork_core::config::{JiraConfig, TimerSourceConfig};
use clockwork_core::contract::keys;
use clockwork_core::event::{Event, TIMERS_SYNC_REQUESTED};
use clockwork_durable::{Engine, Outcome};
use clockwork_testkit::clockwork::{FakeClockwork, FakeTimer};
use clockwork_testkit::jira::{FakeJira, FakeUser};
use clockwork_timer_sync::TimerSync;
use secrecy::SecretString;

const BULK: &str = "GET /rest/api/3/user/bulk";
const ONE_USER: &str = "GET /rest/api/3/user";
const COOKIE: &str = "JSESSIONID=bench";

#[derive(Debug, Parser)]
#[command(about = "sync-active-timers with 1000 timers for 300 users, cold and warm")]
struct Args {
    #[arg(long, default_value_t = 1000)]
    timers: usize,
    #[arg(long, default_value_t = 300)]
    users: usize,
    /// Warm runs to take the median of.
    #[arg(long, default_value_t = 20)]
    runs: usize,
}

struct Bench {
    jira: FakeJira,
    _clockwork: FakeClockwork,
    source: TimerSourceConfig,
    jira_client: Arc<dyn JiraApi>,
    data: Arc<dyn Cache>,
    engine_cache: Arc<dyn Cache>,
}

#[derive(Debug, Clone, Copy)]
struct Run {
    wall: Duration,
    jira_user_requests: usize,
    data_round_trips: u64,
    engine_round_trips: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    let bench = Bench::start(&args).await?;
    let engine = Engine::new(bench.engine_cache.clone()).register(Arc::new(TimerSync::new(
        bench.data.clone(),
        report::from_config(&bench.source, HttpClient::new(HttpOptions::default())),
        bench.jira_client.clone(),
    )));

    let cold = bench.run(&engine, "bench-cold").await?;
    let mut warm = Vec::with_capacity(args.runs);
    for n in 0..args.runs {
        warm.push(bench.run(&engine, &format!("bench-warm-{n}")).await?);
    }
    warm.sort_by_key(|run| run.wall);
    let median = warm[warm.len() / 2];
    let seeds = bench.seeds_way().await?;

    println!(
        "sync-active-timers: {} running timers for {} users (load {})",
        args.timers,
        args.users,
        clockwork_bench::load_average()
    );
    println!("{:<34} {:>12} {:>12} {:>12}", "", "cold", "warm (p50)", "target");
    println!(
        "{:<34} {:>12} {:>12} {:>12}",
        "Jira user-API requests", cold.jira_user_requests, median.jira_user_requests, "≤6 / 0"
    );
    println!(
        "{:<34} {:>12} {:>12} {:>12}",
        "Redis round trips (function)", cold.data_round_trips, median.data_round_trips, "≤3 warm"
    );
    println!(
        "{:<34} {:>12} {:>12} {:>12}",
        "Redis round trips (engine memos)", cold.engine_round_trips, median.engine_round_trips, ""
    );
    println!(
        "{:<34} {:>12.1} {:>12.1} {:>12}",
        "wall time (ms)",
        ms(cold.wall),
        ms(median.wall),
        "≤50 warm"
    );
    println!(
        "warm wall time over {} runs: min {:.1} ms, max {:.1} ms",
        warm.len(),
        ms(warm[0].wall),
        ms(warm[warm.len() - 1].wall)
    );
    println!();
    println!("the seeds' way (one Jira call per user, one Redis command per key):");
    println!(
        "  Jira user requests {}, Redis commands {}, wall time {:.1} ms",
        seeds.jira_user_requests,
        seeds.data_round_trips,
        ms(seeds.wall)
    );
    println!(
        "  ratios (seeds' way / ours, warm): Jira requests {} vs {}, Redis round trips {:.0}x, wall time {:.1}x",
        seeds.jira_user_requests,
        median.jira_user_requests,
        seeds.data_round_trips as f64 / median.data_round_trips.max(1) as f64,
        seeds.wall.as_secs_f64() / median.wall.as_secs_f64()
    );
    println!(
        "  ratios (seeds' way / ours, cold): Jira requests {:.0}x, wall time {:.1}x",
        seeds.jira_user_requests as f64 / cold.jira_user_requests.max(1) as f64,
        seeds.wall.as_secs_f64() / cold.wall.as_secs_f64()
    );
    Ok(())
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

impl Bench {
    async fn start(args: &Args) -> Result<Self> {
        let jira = FakeJira::start("bench@acme.example", "bench-token").await;
        let clockwork = FakeClockwork::start().await;
        jira.link_report(&clockwork);
        jira.set_session_cookie(COOKIE);
        let started = Utc::now() - chrono::Duration::minutes(30);
        for user in 0..args.users {
            let id = format!("bench-user-{user}");
            let person = FakeUser::new(&id, &format!("Person {user}"));
            // Every fifth person hides their email, as privacy settings often do.
            jira.add_user(if user % 5 == 0 {
                person
            } else {
                person.with_email(&format!("{id}@acme.example"))
            });
        }
        for timer in 0..args.timers {
            let user = format!("bench-user-{}", timer % args.users);
            clockwork.add_timer(FakeTimer::running(
                &format!("KAN-{timer}"),
                &(10_000 + timer).to_string(),
                &user,
                started,
            ));
        }
        let redis = SecretString::from(redis_url());
        let data: Arc<dyn Cache> =
            Arc::new(RedisCache::connect(&redis).await.context("Redis (run .ci/services)")?);
        let engine_cache: Arc<dyn Cache> = Arc::new(RedisCache::connect(&redis).await?);
        let mut flush = clockwork_bench::redis_connection().await?;
        redis::cmd("FLUSHDB").query_async::<()>(&mut flush).await?;
        let source = TimerSourceConfig::Connect {
            jira_base_url: jira.base_url().parse()?,
            cookie: SecretString::from(COOKIE),
            report_base_url: clockwork.report_base_url().parse()?,
        };
        let config = JiraConfig {
            base_url: jira.base_url().parse()?,
            email: "bench@acme.example".into(),
            api_token: SecretString::from("bench-token"),
        };
        let jira_client: Arc<dyn JiraApi> =
            Arc::new(JiraClient::new(&config, HttpClient::new(HttpOptions::default())));
        Ok(Self { jira, _clockwork: clockwork, source, jira_client, data, engine_cache })
    }

    async fn run(&self, engine: &Engine, run_id: &str) -> Result<Run> {
        let (jira_before, data_before, engine_before) =
            (self.jira.requests(BULK), self.data.round_trips(), self.engine_cache.round_trips());
        let started = Instant::now();
        let outcome = engine
            .handle(&Event::with_id(TIMERS_SYNC_REQUESTED, run_id, serde_json::json!({})))
            .await;
        let wall = started.elapsed();
        if !matches!(outcome, Outcome::Completed { .. }) {
            bail!("run {run_id} did not complete: {outcome:?}");
        }
        Ok(Run {
            wall,
            jira_user_requests: self.jira.requests(BULK) - jira_before,
            data_round_trips: self.data.round_trips() - data_before,
            engine_round_trips: self.engine_cache.round_trips() - engine_before,
        })
    }

    /// The seeds' way: fetch the timers the same way, then one Jira call per distinct user
    /// and one Redis command per key written.
    async fn seeds_way(&self) -> Result<Run> {
        let report = report::from_config(&self.source, HttpClient::new(HttpOptions::default()));
        let (jira_before, data_before) = (self.jira.requests(ONE_USER), self.data.round_trips());
        let started = Instant::now();
        let credential = report.acquire().await.context("acquire")?;
        let all = fetch_all_timers(report.as_ref(), credential).await.context("timers")?;
        let timers: Vec<_> =
            all.timers.into_iter().filter(|t| t.is_running()).map(|t| t.into_timer()).collect();
        let mut users: Vec<String> = timers.iter().map(|t| t.running_for.clone()).collect();
        users.sort();
        users.dedup();
        let ttl = Some(Duration::from_secs(keys::TIMERS_TTL_SECS));
        for user in &users {
            let found = self.jira_client.user(&AccountId::parse(user)?).await;
            let mine: Vec<_> = timers.iter().filter(|t| &t.running_for == user).collect();
            let value =
                serde_json::to_string(&serde_json::json!({ "timers": mine, "userKey": user }))?;
            self.data.set(&keys::timers(user), &value, ttl).await?;
            if let Ok(Some(email)) = found.map(|u| u.email_address) {
                self.data.set(&keys::timers(&email), &value, ttl).await?;
            }
        }
        let all =
            serde_json::to_string(&serde_json::json!({ "timers": timers, "userKey": "all" }))?;
        self.data.set(keys::TIMERS_ALL, &all, ttl).await?;
        Ok(Run {
            wall: started.elapsed(),
            jira_user_requests: self.jira.requests(ONE_USER) - jira_before,
            data_round_trips: self.data.round_trips() - data_before,
            engine_round_trips: 0,
        })
    }
}
