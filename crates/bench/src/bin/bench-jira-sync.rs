//! The Jira project sync at scale, against the loopback fake Jira, into Postgres and SQLite.
//!
//! ```text
//! cargo run --profile server -p clockwork-bench --bin bench-jira-sync [-- --rss-issues 100000]
//! ```
//!
//! In the `server` profile (speed), the build `clockwork-local sync jira` runs in; `release`
//! is size-optimized for the cold-started functions and the Lambda worker, whose syncs are
//! slower for it.
//!
//! Postgres must answer on 127.0.0.1:5432 (`.ci/services` starts it); every run gets a
//! schema of its own (or a SQLite file of its own), dropped afterwards. What it measures:
//!
//! 1. A full sync of `--issues` issues (`--comments` comments and `--worklogs` worklogs each)
//!    into each database, with no added latency and with `--latency-ms` added to every fake
//!    response: seconds, issues/s (target ≥ 1000/s on Postgres), Jira requests and requests
//!    per 1000 issues, changelogs included (target ≤ 14). After each, an incremental run
//!    with nothing changed and the daily sweep not due (target ≤ 3 requests). Beside each
//!    full sync, the sequential best at the same latency
//!    (`clockwork_bench::jira_sync::sequential`): the same search pages (same fields, 100 a
//!    page) fetched back to back over one keep-alive connection, nothing stored, and how many
//!    times faster the full sync was (target at 50 ms: ≥ 2.5, which only fetching partitions
//!    at once can reach). Then the same full sync without added
//!    latency in a child process (this binary's hidden `sync-child` command), so that the
//!    fake's work is not done by the syncing process.
//! 2. The per-issue baseline (`clockwork_bench::jira_sync::baseline`) on the same data, and
//!    the ratios. With added latency it syncs only the first `--baseline-latency-issues`
//!    issues: it waits for two sequential responses per issue, so 10,000 issues would take
//!    over 16 minutes at 50 ms. Its rates are per issue and compare as they are; the time it
//!    would take for all issues is an extrapolation and labelled so.
//! 3. Incremental runs after issues were edited and worklogs added, edited and deleted: the
//!    worklog cursor before and after, against the `until` of the fake's change feeds and
//!    the clock at the run's start; then a run with nothing changed since. Then a burst of
//!    `BURST_ISSUES` changed issues, each store's incremental run beside the raw fetch of the
//!    pages its search reads (the same search fetched back to back just before; target: the
//!    run takes ≤ 1.5× as long).
//! 4. The peak RSS of a full sync of `--rss-issues` issues into SQLite (target ≤ 150 MB), in
//!    a child process so that the fake holding the issues, which runs here, is not counted.
//!
//! Every run's wall time is split into waiting for Jira and the rest, beside the syncing
//! process's CPU time and its time waiting for a CPU (the machine may be shared).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use chrono::Utc;
use clap::{Parser, Subcommand};
use clockwork_bench::children::{ChildGuard, install_exit_handlers};
use clockwork_bench::jira_sync::baseline::PerIssueConnector;
use clockwork_bench::jira_sync::report::{
    AfterChanges, Burst, CursorCheck, FullAndUnchanged, PeakRss, Report,
};
use clockwork_bench::jira_sync::run::{Kind, Meter, Run, Site};
use clockwork_bench::jira_sync::scratch::{self, Database, ScratchStore};
use clockwork_bench::jira_sync::sequential::{self, AgainstSequential};
use clockwork_bench::jira_sync::timed::TimedJira;
use clockwork_bench::jira_sync::{API_TOKEN, EMAIL, PROJECT, data_client, requests_by_endpoint};
use clockwork_bench::process::{self, SchedTimes};
use clockwork_clients::jira_data::{ChangeFeed, JiraData, project_issues_jql};
use clockwork_jira_sync::normalize::search_from;
use clockwork_jira_sync::{NoProgress, SyncEngine, SyncOptions};
use clockwork_store::sync_state::SyncEntity;
use clockwork_store::{FeedCursors, Store, StoreConfig};
use clockwork_testkit::jira::{FakeJira, FakeJiraWorklog, SeededProject};
use serde_json::{Value, json};

/// `clockwork-local`'s allocator, so that the sync measured here allocates as it does there
/// (the fake Jira in this process uses it too).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long the peak-RSS child may take before it is killed.
const CHILD_LIMIT: Duration = Duration::from_secs(30 * 60);
/// Edits made before the incremental runs of step 3.
const EDITED_ISSUES: usize = 20;
const ADDED_WORKLOGS: usize = 20;
const EDITED_WORKLOGS: usize = 10;
const DELETED_WORKLOGS: usize = 5;
/// Appended to the summaries of the edited issues.
const EDIT: &str = " (edited)";
/// Issues changed at once before the burst runs of step 3, and what their summaries get.
const BURST_ISSUES: usize = 1_000;
const BURST_EDIT: &str = " (burst)";
/// The pause between the edits and the runs after them, so that a cursor taken from the
/// clock would stand out.
const IDLE_AFTER_CHANGES: Duration = Duration::from_secs(1);

#[derive(Debug, Parser)]
#[command(about = "The Jira project sync into Postgres and SQLite, against the per-issue way")]
struct Args {
    #[command(subcommand)]
    command: Option<Hidden>,
    /// Issues of the measured project.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    issues: u64,
    #[arg(long, default_value_t = 5)]
    comments: u64,
    #[arg(long, default_value_t = 3)]
    worklogs: u64,
    /// Added to every fake response in the second round.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
    /// Issues the baseline syncs without added latency (at most `--issues`).
    #[arg(long, default_value_t = 10_000)]
    baseline_issues: u64,
    /// Issues the baseline syncs with the added latency.
    #[arg(long, default_value_t = 200)]
    baseline_latency_issues: u64,
    /// Issues of the peak-RSS full sync; 0 skips it.
    #[arg(long, default_value_t = 100_000)]
    rss_issues: u64,
}

#[derive(Debug, Subcommand)]
enum Hidden {
    /// One full sync in a process of its own; prints its figures and peak RSS as JSON.
    #[command(hide = true)]
    SyncChild {
        #[arg(long)]
        jira_url: String,
        #[arg(long)]
        database_url: String,
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(Hidden::SyncChild { jira_url, database_url }) = &args.command {
        return sync_child(jira_url, database_url).await;
    }
    install_exit_handlers()?;
    let outcome = bench(&args).await;
    let cleanup = scratch::drop_leftover_schemas().await;
    outcome.and(cleanup)
}

async fn bench(args: &Args) -> Result<()> {
    let started = Instant::now();
    let jira = FakeJira::start(EMAIL, API_TOKEN).await;
    let seeded = seed(&jira, args.issues, args)?;
    let latencies = [Duration::ZERO, Duration::from_millis(args.latency_ms)];

    let mut ours = Vec::new();
    let mut against_sequential = Vec::new();
    // The first round's stores, for step 3.
    let mut kept = Vec::new();
    let fields_of = data_client(&jira.base_url())?;
    let fields = fields_of.sync_fields();
    let page_size = SyncOptions::default().batch_size;
    for (round, latency) in latencies.into_iter().enumerate() {
        jira.set_latency(latency);
        eprintln!("sequential best: {} ms", latency.as_millis());
        let jql = project_issues_jql(PROJECT, None);
        let best = sequential::fetch(&jira.base_url(), &jql, &fields, page_size, latency).await?;
        ensure!(best.issues == args.issues, "the sequential fetch read {} issues", best.issues);
        for database in Database::BOTH {
            eprintln!("full sync, then incremental: {database}, {} ms", latency.as_millis());
            let scratch = ScratchStore::create(database).await?;
            let site = Site { database, latency };
            let measured = full_then_unchanged(&jira, &scratch.store, site, args).await?;
            against_sequential.push(AgainstSequential {
                database,
                sequential: best,
                ours_seconds: measured.full.seconds,
                ours_requests_per_1000: measured.full.requests_per_1000(),
            });
            ours.push(measured);
            if round == 0 {
                kept.push((database, scratch));
            } else {
                scratch.remove().await?;
            }
        }
    }

    jira.set_latency(Duration::ZERO);
    let mut own_process = Vec::new();
    for database in Database::BOTH {
        eprintln!("full sync in a child process: {database}, 0 ms");
        let scratch = ScratchStore::create(database).await?;
        let site = Site { database, latency: Duration::ZERO };
        own_process.push(full_sync_in_child(&jira, &scratch.url, site).await?.0);
        scratch.remove().await?;
    }

    let mut baselines = Vec::new();
    let limits = [args.baseline_issues, args.baseline_latency_issues].map(|n| n.min(args.issues));
    for (latency, limit) in latencies.into_iter().zip(limits) {
        jira.set_latency(latency);
        for database in Database::BOTH {
            eprintln!("per-issue baseline: {database}, {} ms, {limit} issues", latency.as_millis());
            baselines.push(baseline(&jira, Site { database, latency }, limit, args).await?);
        }
    }
    jira.set_latency(Duration::ZERO);

    eprintln!("incremental runs after changes");
    let after_changes = after_changes(&jira, &seeded, &kept, args).await?;
    eprintln!("incremental runs after a burst of {BURST_ISSUES} changed issues");
    let bursts = bursts(&jira, &seeded, &kept).await?;
    for (_, scratch) in kept {
        scratch.remove().await?;
    }
    drop(jira);

    let peak_rss = if args.rss_issues > 0 { Some(peak_rss(args).await?) } else { None };
    Report {
        project: (args.issues, args.comments, args.worklogs),
        ours,
        against_sequential,
        own_process,
        baselines,
        after_changes,
        changes: format!(
            "{EDITED_ISSUES} issues edited, {ADDED_WORKLOGS} worklogs added, {EDITED_WORKLOGS} \
             edited and {DELETED_WORKLOGS} deleted (feed lag 0, then {} s idle)",
            IDLE_AFTER_CHANGES.as_secs()
        ),
        bursts,
        peak_rss,
    }
    .print();
    println!();
    println!("whole bench: {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn seed(jira: &FakeJira, issues: u64, args: &Args) -> Result<SeededProject> {
    let (comments, worklogs) = (usize::try_from(args.comments)?, usize::try_from(args.worklogs)?);
    Ok(jira.seed_project(PROJECT, usize::try_from(issues)?, comments, worklogs))
}

/// A full sync into a fresh store, its rows checked, then an incremental run.
async fn full_then_unchanged(
    jira: &FakeJira,
    store: &Store,
    site: Site,
    args: &Args,
) -> Result<FullAndUnchanged> {
    let client = data_client(&jira.base_url())?;
    let engine = SyncEngine::new(client.clone(), store.clone(), SyncOptions::default());
    let meter = Meter::start(jira, &client);
    let summary = engine.sync_project(PROJECT, true, &NoProgress).await?;
    let full = meter.stop(jira, &client, Kind::FullSync, site, summary.issues);
    let counts = store.counts().await?;
    let stored = [counts.issues, counts.comments, counts.worklogs];
    let expected = [args.issues, args.issues * args.comments, args.issues * args.worklogs];
    ensure!(
        stored.iter().zip(expected).all(|(n, e)| u64::try_from(*n).is_ok_and(|n| n == e)),
        "{}: stored issues, comments, worklogs {stored:?}, expected {expected:?}",
        site.database
    );
    let unchanged = unchanged(jira, &engine, &client, site).await?;
    Ok(FullAndUnchanged { full, unchanged })
}

async fn unchanged(
    jira: &FakeJira,
    engine: &SyncEngine,
    client: &TimedJira,
    site: Site,
) -> Result<Run> {
    let meter = Meter::start(jira, client);
    let summary = engine.sync_project(PROJECT, false, &NoProgress).await?;
    Ok(meter.stop(jira, client, Kind::Unchanged, site, summary.issues))
}

/// The per-issue baseline on a fresh store; it must have read the same rows as the engine.
async fn baseline(jira: &FakeJira, site: Site, limit: u64, args: &Args) -> Result<Run> {
    let scratch = ScratchStore::create(site.database).await?;
    let client = data_client(&jira.base_url())?;
    let connector = PerIssueConnector::new(client.clone(), scratch.store.clone());
    let meter = Meter::start(jira, &client);
    let synced = connector.sync(PROJECT, usize::try_from(limit)?).await?;
    let run = meter.stop(jira, &client, Kind::Baseline, site, synced.issues);
    let read = [synced.issues, synced.comments, synced.worklogs];
    let expected = [limit, limit * args.comments, limit * args.worklogs];
    ensure!(read == expected, "the baseline read {read:?}, expected {expected:?}");
    scratch.remove().await?;
    Ok(run)
}

/// Edits the site once, then runs an incremental sync, its rows checked, and one more with
/// nothing changed, on each database's store from the first round.
async fn after_changes(
    jira: &FakeJira,
    seeded: &SeededProject,
    stores: &[(Database, ScratchStore)],
    args: &Args,
) -> Result<Vec<AfterChanges>> {
    let (_, first) = stores.first().context("no store kept")?;
    let edited = edit_site(jira, seeded, &first.store).await?;
    tokio::time::sleep(IDLE_AFTER_CHANGES).await;

    let mut results = Vec::new();
    for (database, scratch) in stores {
        let site = Site { database: *database, latency: Duration::ZERO };
        let store = &scratch.store;
        let client = data_client(&jira.base_url())?;
        let engine = SyncEngine::new(client.clone(), store.clone(), SyncOptions::default());
        let before = worklog_cursors(store).await?;
        let clock_at_start = Utc::now().timestamp_millis();
        let meter = Meter::start(jira, &client);
        let summary = engine.sync_project(PROJECT, false, &NoProgress).await?;
        let changed = meter.stop(jira, &client, Kind::AfterChanges, site, summary.issues);
        let after = worklog_cursors(store).await?;

        let counts = store.counts().await?;
        let worklogs = args.issues * args.worklogs + ADDED_WORKLOGS as u64;
        let stored = (counts.worklogs, counts.worklogs_deleted);
        ensure!(
            stored == (i64::try_from(worklogs)?, i64::try_from(DELETED_WORKLOGS)?),
            "{database}: (worklogs, deleted) {stored:?} after the changes, expected \
             ({worklogs}, {DELETED_WORKLOGS})"
        );
        for id in &edited {
            let issue = store.issue(id).await?.with_context(|| format!("issue {id} is gone"))?;
            ensure!(issue.value.summary.ends_with(EDIT), "{database}: issue {id} not updated");
        }
        let unchanged = unchanged(jira, &engine, &client, site).await?;

        // What the feeds answer from the old cursor, asked by a client of its own.
        let probe = data_client(&jira.base_url())?;
        let updated = probe.worklog_changes(ChangeFeed::Updated, before.updated_ms).await?;
        let deleted = probe.worklog_changes(ChangeFeed::Deleted, before.deleted_ms).await?;
        let (updated_until, deleted_until) = (updated.next_since, deleted.next_since);
        let cursor = CursorCheck { clock_at_start, before, after, updated_until, deleted_until };
        results.push(AfterChanges { changed, cursor, unchanged });
    }
    Ok(results)
}

/// Changes `BURST_ISSUES` issues spread over the project at once, then on each store fetches
/// the pages of the search an incremental run starts with (nothing stored) and runs it.
async fn bursts(
    jira: &FakeJira,
    seeded: &SeededProject,
    stores: &[(Database, ScratchStore)],
) -> Result<Vec<Burst>> {
    let ids: Vec<String> = seeded.issue_ids.clone().map(|id| id.to_string()).collect();
    let burst: Vec<&String> =
        (0..BURST_ISSUES).map(|k| &ids[(k * ids.len() / BURST_ISSUES + 3) % ids.len()]).collect();
    for id in &burst {
        ensure!(jira.update_issue(id, |issue| issue.summary.push_str(BURST_EDIT)), "no issue {id}");
    }
    let options = SyncOptions::default();
    let overlap_ms = i64::try_from(options.overlap.as_millis())?;
    let fields_of = data_client(&jira.base_url())?;
    let fields = fields_of.sync_fields();
    let mut results = Vec::new();
    for (database, scratch) in stores {
        let site = Site { database: *database, latency: Duration::ZERO };
        let store = &scratch.store;
        let cursor = store.sync_state(PROJECT, SyncEntity::Issues).await?.and_then(|s| s.cursor_ms);
        let jql = project_issues_jql(PROJECT, search_from(cursor, overlap_ms));
        let raw =
            sequential::fetch(&jira.base_url(), &jql, &fields, options.batch_size, site.latency)
                .await?;
        let client = data_client(&jira.base_url())?;
        let engine = SyncEngine::new(client.clone(), store.clone(), options.clone());
        let meter = Meter::start(jira, &client);
        let summary = engine.sync_project(PROJECT, false, &NoProgress).await?;
        let run = meter.stop(jira, &client, Kind::Burst, site, summary.issues);
        ensure!(
            run.issues == raw.issues,
            "{database}: the burst run wrote {} issues, its search lists {}",
            run.issues,
            raw.issues
        );
        for id in &burst {
            let issue = store.issue(id).await?.with_context(|| format!("issue {id} is gone"))?;
            ensure!(
                issue.value.summary.ends_with(BURST_EDIT),
                "{database}: issue {id} not updated"
            );
        }
        results.push(Burst { raw, run });
    }
    Ok(results)
}

async fn worklog_cursors(store: &Store) -> Result<FeedCursors> {
    store.feed_cursors(PROJECT).await?.context("no worklog cursors after a full sync")
}

/// Issues edited, worklogs added, edited and deleted, spread over the project; the change
/// feeds list them at once (Jira waits a minute). Worklog ids are read from `store`.
/// Returns the ids of the edited issues.
async fn edit_site(jira: &FakeJira, seeded: &SeededProject, store: &Store) -> Result<Vec<String>> {
    jira.set_worklog_feed_lag(Duration::ZERO);
    let ids: Vec<String> = seeded.issue_ids.clone().map(|id| id.to_string()).collect();
    // The k-th of n issues spread evenly, shifted so that different edits touch different ones.
    let spread = |n: usize, k: usize, shift: usize| &ids[(k * ids.len() / n + shift) % ids.len()];
    let edited: Vec<String> =
        (0..EDITED_ISSUES).map(|k| spread(EDITED_ISSUES, k, 0).clone()).collect();
    for id in &edited {
        ensure!(jira.update_issue(id, |issue| issue.summary.push_str(EDIT)), "no issue {id}");
    }
    let started = Utc::now() - chrono::Duration::hours(3);
    for k in 0..ADDED_WORKLOGS {
        let author = &seeded.account_ids[k % seeded.account_ids.len()];
        let worklog = FakeJiraWorklog::new(author, started, 1800);
        jira.add_worklog(spread(ADDED_WORKLOGS, k, 1), worklog).context("adding a worklog")?;
    }
    let touched = EDITED_WORKLOGS + DELETED_WORKLOGS;
    for k in 0..touched {
        let issue = spread(touched, k, 2);
        let worklog = store.worklogs_of(issue).await?.first().map(|w| w.value.id.clone());
        let id = worklog.with_context(|| format!("issue {issue} has no worklog to change"))?;
        let done = if k < EDITED_WORKLOGS {
            jira.update_worklog(&id, |w| w.time_spent_seconds += 600)
        } else {
            jira.delete_worklog(&id)
        };
        ensure!(done, "worklog {id} is not on the fake");
    }
    Ok(edited)
}

/// A full sync of `--rss-issues` issues into SQLite, in a child process, against a fake of
/// their own.
async fn peak_rss(args: &Args) -> Result<PeakRss> {
    eprintln!("peak RSS: seeding {} issues", args.rss_issues);
    let jira = FakeJira::start(EMAIL, API_TOKEN).await;
    let seeding = Instant::now();
    seed(&jira, args.rss_issues, args)?;
    let seeding_seconds = seeding.elapsed().as_secs_f64();
    eprintln!("peak RSS: full sync in a child process");
    let folder = scratch::sqlite_folder()?;
    let site = Site { database: Database::Sqlite, latency: Duration::ZERO };
    let (run, bytes) = full_sync_in_child(&jira, &scratch::sqlite_url(&folder), site).await?;
    ensure!(run.issues == args.rss_issues, "the child synced {} issues", run.issues);
    Ok(PeakRss { run, bytes, seeding_seconds })
}

/// A full sync by this binary's `sync-child` into the store at `database_url`; its figures,
/// and the child's peak RSS in bytes.
async fn full_sync_in_child(jira: &FakeJira, database_url: &str, site: Site) -> Result<(Run, u64)> {
    let mut command = Command::new(std::env::current_exe().context("this binary's path")?);
    command
        .args(["sync-child", "--jira-url", &jira.base_url(), "--database-url", database_url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    jira.reset_counts();
    let child = ChildGuard::spawn("the sync child", &mut command)?;
    let mut stdout = child.take_stdout().context("the child's stdout")?;
    let status = tokio::task::spawn_blocking(move || child.wait_timeout(CHILD_LIMIT)).await??;
    // A line of JSON fits in the pipe, so reading after the exit cannot block the child.
    let mut output = String::new();
    stdout.read_to_string(&mut output).context("reading the child's output")?;
    ensure!(status.success(), "the sync child failed ({status}): {output}");
    let line = output.lines().last().context("the sync child printed nothing")?;
    let figures: Value =
        serde_json::from_str(line).with_context(|| format!("child said {line}"))?;
    let number =
        |name: &str| figures[name].as_u64().with_context(|| format!("no {name} in {line}"));
    let seconds =
        |name: &str| figures[name].as_f64().with_context(|| format!("no {name} in {line}"));
    let run = Run {
        kind: Kind::FullSyncOwnProcess,
        site,
        issues: number("issues")?,
        seconds: seconds("seconds")?,
        jira_seconds: seconds("jira_seconds")?,
        sched: SchedTimes {
            on_cpu: Duration::from_secs_f64(seconds("on_cpu_seconds")?),
            waiting: Duration::from_secs_f64(seconds("cpu_wait_seconds")?),
        },
        requests: number("requests")?,
        endpoints: requests_by_endpoint(jira),
    };
    Ok((run, number("peak_rss_bytes")?))
}

/// The hidden `sync-child` command: one full sync, as `clockwork-local sync jira` runs it,
/// its figures printed as a line of JSON. CPU times cover the whole process.
async fn sync_child(jira_url: &str, database_url: &str) -> Result<()> {
    let client = data_client(jira_url)?;
    let store = Store::connect(&StoreConfig::new(database_url)?).await?;
    store.migrate().await?;
    let engine = SyncEngine::new(client.clone(), store.clone(), SyncOptions::default());
    let started = Instant::now();
    let summary = engine.sync_project(PROJECT, true, &NoProgress).await?;
    let seconds = started.elapsed().as_secs_f64();
    store.close().await;
    let sched = SchedTimes::now();
    let peak = process::peak_rss_bytes().context("no VmHWM in /proc/self/status")?;
    let figures = json!({
        "issues": summary.issues,
        "requests": client.requests(),
        "seconds": seconds,
        "jira_seconds": client.waited().as_secs_f64(),
        "on_cpu_seconds": sched.on_cpu.as_secs_f64(),
        "cpu_wait_seconds": sched.waiting.as_secs_f64(),
        "peak_rss_bytes": peak,
    });
    println!("{figures}");
    Ok(())
}
