//! `bench-schedule-tick`: one schedule tick over 1,000 tracked projects, all due, on SQLite and
//! on Postgres (store only: the runs go to an in-process queue nobody reads). Each round seeds
//! a fresh scratch store, then times the tick: the due-jobs read, the atomic claim and the
//! enqueueing. Target: ≤ 100 ms per tick on both databases.
//!
//! `cargo run --release -p clockwork-bench --bin bench-schedule-tick [-- --projects 1000 --rounds 5]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use clap::Parser;
use clockwork_bench::jira_sync::scratch::{Database, ScratchStore, drop_leftover_schemas};
use clockwork_bench::stats::{Summary, ms};
use clockwork_operations::{Schedule, Scheduler};
use clockwork_queue::Queue;
use clockwork_queue::in_process::InProcessQueue;

const TARGET: Duration = Duration::from_millis(100);
const CRON: &str = "*/15 * * * *";

#[derive(Debug, Parser)]
struct Args {
    /// Tracked projects, every one due.
    #[arg(long, default_value_t = 1000)]
    projects: usize,
    /// Timed ticks per database, each on a freshly seeded store.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    println!(
        "bench-schedule-tick: {} tracked projects, all due; {} rounds per database; load {}",
        args.projects,
        args.rounds,
        clockwork_bench::load_average()
    );
    let schedule = Schedule::parse(CRON)?;
    let mut met = true;
    for database in Database::BOTH {
        let mut samples = Vec::with_capacity(args.rounds);
        for _ in 0..args.rounds {
            samples.push(one_tick(database, args.projects, &schedule).await?);
        }
        let summary = Summary::of(samples).expect("at least one round");
        let ratio = summary.p50.as_secs_f64() / TARGET.as_secs_f64();
        met &= summary.max <= TARGET;
        println!(
            "{database:<8} tick p50 {} ms, max {} ms ({:.0} projects/ms); {ratio:.2}x the {} ms target",
            ms(summary.p50),
            ms(summary.max),
            args.projects as f64 / (summary.p50.as_secs_f64() * 1e3),
            TARGET.as_millis()
        );
    }
    drop_leftover_schemas().await?;
    println!(
        "target (every tick <= {} ms on both): {}",
        TARGET.as_millis(),
        if met { "met" } else { "NOT met" }
    );
    Ok(())
}

/// Seeds `projects` due projects, then times one tick.
async fn one_tick(database: Database, projects: usize, schedule: &Schedule) -> Result<Duration> {
    let scratch = ScratchStore::create(database).await?;
    let store = scratch.store.clone();
    let now = store.now_ms();
    for n in 0..projects {
        let key = format!("P{n}");
        store.track_project(&key, &n.to_string(), "Project").await?;
        store.create_sync_job(&key, CRON, Some(now - 1)).await?;
    }
    let (queue, receiver) = InProcessQueue::new();
    let queue: Arc<dyn Queue> = Arc::new(queue);
    let scheduler = Scheduler::new(store.clone(), queue, schedule.clone());
    let started = Instant::now();
    let report = scheduler.tick(now).await?;
    let took = started.elapsed();
    ensure!(report.started.len() == projects, "started {} of {projects}", report.started.len());
    ensure!(scheduler.tick(now).await?.started.is_empty(), "a second tick started runs again");
    drop(receiver);
    scratch.remove().await?;
    Ok(took)
}
