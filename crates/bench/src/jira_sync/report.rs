//! The bench's printed summary: every run in one table, where each run's time went, the
//! targets met or not, the ratios against the per-issue baseline, the worklog cursor check,
//! and requests per endpoint.

use chrono::DateTime;

use clockwork_store::FeedCursors;

use super::run::Run;
use super::scratch::Database;
use super::sequential::{AgainstSequential, Sequential};

pub const TARGET_ISSUES_PER_SEC: f64 = 1000.0;
/// With the changelogs: 1,000 issues a bulk request on top of 10 search pages.
pub const TARGET_REQUESTS_PER_1000: f64 = 14.0;
pub const TARGET_UNCHANGED_REQUESTS: u64 = 3;
pub const TARGET_PEAK_RSS_BYTES: u64 = 150_000_000;
/// How many times faster than the sequential best a full sync must be at 50 ms or more.
pub const TARGET_SPEEDUP_OVER_SEQUENTIAL: f64 = 2.5;
pub const SPEEDUP_TARGET_LATENCY_MS: u128 = 50;
/// On loopback, a full sync's share of the raw fetch rate of the same pages.
pub const TARGET_LOOPBACK_SHARE: f64 = 0.8;
/// How many times the raw fetch of its pages a burst of changed issues may take to apply.
pub const TARGET_BURST_OVER_RAW: f64 = 1.5;

/// A full sync into a fresh store and the incremental run after it, nothing changed.
#[derive(Debug)]
pub struct FullAndUnchanged {
    pub full: Run,
    pub unchanged: Run,
}

/// An incremental run after changes, with its worklog cursor, then one with nothing changed.
#[derive(Debug)]
pub struct AfterChanges {
    pub changed: Run,
    pub cursor: CursorCheck,
    pub unchanged: Run,
}

/// The worklog feeds' cursors around an incremental run after changes.
#[derive(Debug)]
pub struct CursorCheck {
    /// Epoch ms when the run started.
    pub clock_at_start: i64,
    pub before: FeedCursors,
    pub after: FeedCursors,
    /// The last `until` of each change feed, read from `before` by a client of its own.
    pub updated_until: i64,
    pub deleted_until: i64,
}

impl CursorCheck {
    /// Each feed's cursor is where that feed ended, so neither skips nor re-reads a change.
    pub fn follows_the_feeds(&self) -> bool {
        self.after == FeedCursors { updated_ms: self.updated_until, deleted_ms: self.deleted_until }
    }
}

/// An incremental run after a burst of changed issues, beside the raw fetch of the pages its
/// search reads (the same search, fetched back to back just before it, nothing stored).
#[derive(Debug)]
pub struct Burst {
    pub raw: Sequential,
    pub run: Run,
}

impl Burst {
    /// How many times the raw fetch the run took.
    pub fn over_raw(&self) -> f64 {
        self.run.seconds / self.raw.seconds
    }
}

/// The peak-RSS full sync, run in a child process.
#[derive(Debug)]
pub struct PeakRss {
    pub run: Run,
    pub bytes: u64,
    pub seeding_seconds: f64,
}

/// Everything the bench measured.
#[derive(Debug)]
pub struct Report {
    /// Issues, comments and worklogs per issue of the measured project.
    pub project: (u64, u64, u64),
    /// Per database and latency.
    pub ours: Vec<FullAndUnchanged>,
    /// Each full sync of `ours` against the sequential best at its latency.
    pub against_sequential: Vec<AgainstSequential>,
    /// Full syncs in a process of their own, per database, without added latency.
    pub own_process: Vec<Run>,
    pub baselines: Vec<Run>,
    /// Per database.
    pub after_changes: Vec<AfterChanges>,
    /// What step 3 changed, for its heading.
    pub changes: String,
    /// Per database, after `after_changes`.
    pub bursts: Vec<Burst>,
    pub peak_rss: Option<PeakRss>,
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

/// Epoch ms as a UTC time of day.
fn clock(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map_or_else(|| ms.to_string(), |at| at.format("%H:%M:%S%.3f").to_string())
}

impl Report {
    fn every_run(&self) -> impl Iterator<Item = &Run> {
        let ours = self.ours.iter().flat_map(|round| [&round.full, &round.unchanged]);
        let after = self.after_changes.iter().flat_map(|after| [&after.changed, &after.unchanged]);
        let bursts = self.bursts.iter().map(|burst| &burst.run);
        let rss = self.peak_rss.iter().map(|rss| &rss.run);
        ours.chain(&self.own_process).chain(rss).chain(&self.baselines).chain(after).chain(bursts)
    }

    pub fn print(&self) {
        let (issues, comments, worklogs) = self.project;
        println!(
            "Jira project sync: {issues} issues ({comments} comments, {worklogs} worklogs each) \
             from the loopback fake; load {}, {} CPUs",
            crate::load_average(),
            crate::cpu_count()
        );
        println!();
        self.print_table();
        println!();
        self.print_time_split();
        println!();
        self.print_targets();
        println!();
        self.print_against_sequential();
        println!();
        self.print_ratios();
        println!();
        self.print_cursors();
        println!();
        println!("requests per endpoint:");
        for run in self.every_run() {
            let (database, latency) = (run.site.database, run.site.latency_ms());
            println!("  {} ({database}, {latency} ms): {}", run.kind.label(), run.endpoints);
        }
        if let Some(rss) = &self.peak_rss {
            println!();
            println!(
                "peak-RSS run: {} issues seeded in {:.1} s, then synced by a child process",
                rss.run.issues, rss.seeding_seconds
            );
        }
    }

    fn print_table(&self) {
        println!(
            "{:<36} {:<8} {:>7} {:>7} {:>8} {:>9} {:>9} {:>9}",
            "run", "database", "latency", "issues", "seconds", "issues/s", "requests", "req/1000"
        );
        for run in self.every_run() {
            let (rate, per_1000) = if run.kind.reads_everything() {
                (format!("{:.0}", run.issues_per_sec()), format!("{:.1}", run.requests_per_1000()))
            } else {
                ("-".to_owned(), "-".to_owned())
            };
            println!(
                "{:<36} {:<8} {:>4} ms {:>7} {:>8.2} {:>9} {:>9} {:>9}",
                run.kind.label(),
                run.site.database.name(),
                run.site.latency_ms(),
                run.issues,
                run.seconds,
                rate,
                run.requests,
                per_1000
            );
        }
    }

    fn print_time_split(&self) {
        println!(
            "where the time went: waiting for Jira's answers (the fake's work included: it runs \
             in the bench's process, on the same CPUs; summed over requests in flight at once, \
             so a partitioned sync's may pass its wall time), the rest (normalizing, store \
             writes); \
             the syncing process's threads on a CPU and waiting for one (the fake's and \
             SQLite's included unless the sync ran in its own process)"
        );
        println!(
            "{:<36} {:<8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}",
            "run", "database", "latency", "seconds", "Jira", "rest", "on CPU", "CPU wait"
        );
        for run in self.every_run() {
            println!(
                "{:<36} {:<8} {:>4} ms {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>9.2}",
                run.kind.label(),
                run.site.database.name(),
                run.site.latency_ms(),
                run.seconds,
                run.jira_seconds,
                run.seconds - run.jira_seconds,
                run.sched.on_cpu.as_secs_f64(),
                run.sched.waiting.as_secs_f64()
            );
        }
    }

    fn print_targets(&self) {
        println!("targets:");
        for FullAndUnchanged { full, unchanged } in &self.ours {
            let at = format!("{}, {} ms", full.site.database, full.site.latency_ms());
            if full.site.database == Database::Postgres {
                let rate = full.issues_per_sec();
                println!(
                    "  full sync ≥ {TARGET_ISSUES_PER_SEC:.0} issues/s on Postgres ({at}): \
                     {rate:.0} {}",
                    met(rate >= TARGET_ISSUES_PER_SEC)
                );
            }
            let per_1000 = full.requests_per_1000();
            println!(
                "  full sync ≤ {TARGET_REQUESTS_PER_1000:.0} requests per 1000 issues ({at}): \
                 {per_1000:.1} {}",
                met(per_1000 <= TARGET_REQUESTS_PER_1000)
            );
            println!(
                "  incremental, nothing changed, ≤ {TARGET_UNCHANGED_REQUESTS} requests ({at}): \
                 {} {}",
                unchanged.requests,
                met(unchanged.requests <= TARGET_UNCHANGED_REQUESTS)
            );
        }
        for run in self.own_process.iter().filter(|run| run.site.database == Database::Postgres) {
            let rate = run.issues_per_sec();
            println!(
                "  full sync in its own process ≥ {TARGET_ISSUES_PER_SEC:.0} issues/s on \
                 Postgres ({} ms): {rate:.0} {}",
                run.site.latency_ms(),
                met(rate >= TARGET_ISSUES_PER_SEC)
            );
        }
        for AfterChanges { unchanged, .. } in &self.after_changes {
            println!(
                "  incremental, nothing changed since the changes, ≤ {TARGET_UNCHANGED_REQUESTS} \
                 requests ({}, {} ms): {} {}",
                unchanged.site.database,
                unchanged.site.latency_ms(),
                unchanged.requests,
                met(unchanged.requests <= TARGET_UNCHANGED_REQUESTS)
            );
        }
        for burst in &self.bursts {
            let (run, raw) = (&burst.run, burst.raw);
            println!(
                "  a burst of {} changed issues applied in ≤ {TARGET_BURST_OVER_RAW}x the raw \
                 fetch of its {} pages ({}, {} ms): {:.2} s against {:.2} s, {:.2}x {}",
                raw.issues,
                raw.pages,
                run.site.database,
                run.site.latency_ms(),
                run.seconds,
                raw.seconds,
                burst.over_raw(),
                met(burst.over_raw() <= TARGET_BURST_OVER_RAW)
            );
        }
        if let Some(rss) = &self.peak_rss {
            println!(
                "  peak RSS of a {}-issue full sync into SQLite ≤ {} MB: {:.1} MB ({:.1} MiB) {}",
                rss.run.issues,
                TARGET_PEAK_RSS_BYTES / 1_000_000,
                rss.bytes as f64 / 1e6,
                rss.bytes as f64 / 1_048_576.0,
                met(rss.bytes <= TARGET_PEAK_RSS_BYTES)
            );
        }
    }

    fn print_against_sequential(&self) {
        println!(
            "ours / sequential best (the same search pages fetched back to back over one \
             keep-alive connection, nothing stored):"
        );
        println!(
            "{:<8} {:>7} {:>6} {:>15} {:>15} {:>9} {:>9}",
            "database", "latency", "pages", "sequential s", "full sync s", "speedup", "req/1000"
        );
        for against in &self.against_sequential {
            let best = against.sequential;
            let latency = best.latency.as_millis();
            println!(
                "{:<8} {:>4} ms {:>6} {:>15.2} {:>15.2} {:>8.2}x {:>9.1}",
                against.database.name(),
                latency,
                best.pages,
                best.seconds,
                against.ours_seconds,
                against.speedup(),
                against.ours_requests_per_1000
            );
        }
        for against in self.against_sequential.iter().filter(|a| a.sequential.latency.is_zero()) {
            println!(
                "  full sync ≥ {TARGET_LOOPBACK_SHARE}x the raw fetch rate on loopback ({}): \
                 {:.2}x {}",
                against.database,
                against.speedup(),
                met(against.speedup() >= TARGET_LOOPBACK_SHARE)
            );
        }
        for against in &self.against_sequential {
            let latency = against.sequential.latency.as_millis();
            if latency >= SPEEDUP_TARGET_LATENCY_MS {
                println!(
                    "  full sync ≥ {TARGET_SPEEDUP_OVER_SEQUENTIAL}x faster than the sequential \
                     best ({}, {latency} ms): {:.2}x {}",
                    against.database,
                    against.speedup(),
                    met(against.speedup() >= TARGET_SPEEDUP_OVER_SEQUENTIAL)
                );
            }
        }
    }

    fn print_ratios(&self) {
        println!("ours / per-issue baseline (same database, same latency):");
        for base in &self.baselines {
            let Some(FullAndUnchanged { full: ours, .. }) =
                self.ours.iter().find(|round| round.full.site == base.site)
            else {
                continue;
            };
            println!(
                "  {}, {} ms: issues/s {:.1}x ({:.0} vs {:.0}); requests per 1000 issues \
                 {:.0}x fewer ({:.1} vs {:.1})",
                base.site.database,
                base.site.latency_ms(),
                ours.issues_per_sec() / base.issues_per_sec(),
                ours.issues_per_sec(),
                base.issues_per_sec(),
                base.requests_per_1000() / ours.requests_per_1000(),
                ours.requests_per_1000(),
                base.requests_per_1000()
            );
            if base.issues < ours.issues {
                println!(
                    "    the baseline synced the first {} issues only; at its rate all {} would \
                     take about {:.0} s (extrapolated), against our {:.1} s",
                    base.issues,
                    ours.issues,
                    ours.issues as f64 / base.issues_per_sec(),
                    ours.seconds
                );
            }
        }
    }

    fn print_cursors(&self) {
        println!("worklog feed cursors (UTC), incremental run after {}:", self.changes);
        for AfterChanges { changed, cursor: check, .. } in &self.after_changes {
            let (before, after) = (check.before, check.after);
            println!(
                "  {}: before updated {} / deleted {} (set by the full sync: its start less \
                 the overlap); after {} / {}",
                changed.site.database,
                clock(before.updated_ms),
                clock(before.deleted_ms),
                clock(after.updated_ms),
                clock(after.deleted_ms)
            );
            println!(
                "    the feeds read from the old cursors end at until: updated {}, deleted {}",
                clock(check.updated_until),
                clock(check.deleted_until)
            );
            println!(
                "    each cursor is its feed's until: {}; the earlier is {} ms behind the clock \
                 at the run's start ({})",
                if check.follows_the_feeds() { "yes" } else { "NO" },
                check.clock_at_start - after.updated_ms.min(after.deleted_ms),
                clock(check.clock_at_start)
            );
        }
    }
}
