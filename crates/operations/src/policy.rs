//! The telemetry ladder as a pure function: from a project's schedule record and its latest
//! runs, what its schedule becomes, what to log and what to tell an admin. No I/O and no
//! clock: `now_ms` is passed in, so every rule is tested without waiting.
//!
//! - A failed run extends the streak of failures with its classified code. Each time the
//!   streak of one code reaches a multiple of the threshold, a retryable failure (rate
//!   limits, outages) moves the project one rung down the ladder of slower crons, and a
//!   permanent one (rejected credentials, a suspended site) sets it to `ERROR`: no more
//!   scheduled runs until an admin acts. Each move sends one alert; failures between moves
//!   send none.
//! - The first successful run restores the original cron and, after a move, sends a
//!   "recovered" alert.
//! - A successful run slower than `slow_factor` × the median of the project's recent
//!   successful runs is logged; `slow_alert_after` of them in a row send one latency alert.

use clockwork_store::{JobHealth, JobStatus, LogLevel, RunRecord, SyncJob};
use serde_json::json;

use crate::cron::Schedule;

#[derive(Debug, Clone)]
pub struct Policy {
    /// Same-code failures in a row that move the project (default 3).
    pub threshold: u32,
    /// Ever slower crons; rung n runs on `ladder[n - 1]`.
    pub ladder: Vec<Schedule>,
    /// How many times the median duration makes a run slow (default 3).
    pub slow_factor: f64,
    /// Slow runs in a row that send a latency alert (default 3).
    pub slow_alert_after: u32,
    /// Successful runs needed before any run is judged slow (default 5).
    pub min_history: usize,
}

impl Policy {
    /// How many runs [`assess`] may look at.
    pub fn history(&self) -> u32 {
        let streaks =
            self.threshold.saturating_mul(u32::try_from(self.ladder.len() + 2).unwrap_or(u32::MAX));
        streaks.max(20)
    }
}

/// Who should hear of a move, by what it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// Credentials rejected or a permission missing.
    Auth,
    /// The site is suspended for billing.
    Billing,
    RateLimit,
    /// Jira unreachable, failing, or gone.
    Outage,
    /// Any other failure.
    Error,
    Latency,
    Recovered,
}

impl AlertKind {
    pub const ALL: [Self; 7] = [
        Self::Auth,
        Self::Billing,
        Self::RateLimit,
        Self::Outage,
        Self::Error,
        Self::Latency,
        Self::Recovered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Billing => "billing",
            Self::RateLimit => "rate_limit",
            Self::Outage => "outage",
            Self::Error => "error",
            Self::Latency => "latency",
            Self::Recovered => "recovered",
        }
    }

    /// The kind of a failure, by its classified code.
    pub fn of_code(code: &str) -> Self {
        match code {
            "AUTH_EXPIRED" | "PERMISSION_DENIED" => Self::Auth,
            "SUSPENDED_PAYMENT" => Self::Billing,
            "RATE_LIMIT" => Self::RateLimit,
            "SITE_UNAVAILABLE" | "NETWORK_GLITCH" | "HTTPS_UNAVAILABLE" | "STORE_UNAVAILABLE" => {
                Self::Outage
            }
            _ => Self::Error,
        }
    }
}

/// A change worth telling an admin about.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub kind: AlertKind,
    pub project: String,
    /// The classified error code, for failures.
    pub code: Option<String>,
    /// One line: what happened to the project's syncs.
    pub headline: String,
    /// The schedule now in force, or the status.
    pub schedule: String,
    pub consecutive_failures: u32,
}

/// An entry for `sync_logs`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub level: LogLevel,
    pub message: String,
    pub details: serde_json::Value,
}

/// What [`assess`] decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub health: JobHealth,
    pub log: Option<LogEntry>,
    pub alert: Option<Alert>,
}

/// The project's schedule after its latest run, `runs[0]` (runs newest first).
pub fn assess(policy: &Policy, job: &SyncJob, runs: &[RunRecord], now_ms: i64) -> Assessment {
    let mut health = JobHealth {
        cron: job.cron.clone(),
        status: job.status,
        backoff_rung: job.backoff_rung,
        backoff_reason: job.backoff_reason.clone(),
        consecutive_failures: job.consecutive_failures,
        last_error_code: job.last_error_code.clone(),
        slow_runs: job.slow_runs,
        next_run_ms: None,
    };
    let Some(latest) = runs.first() else {
        return Assessment { health, log: None, alert: None };
    };
    let (log, alert) = if latest.succeeded {
        succeeded(policy, job, runs, &mut health)
    } else {
        failed(policy, job, runs, &mut health)
    };
    if health.cron != job.cron {
        health.next_run_ms =
            Schedule::parse(&health.cron).ok().and_then(|s| s.next_after_ms(now_ms));
    }
    Assessment { health, log, alert }
}

/// What to log and whom to tell.
type Outcome = (Option<LogEntry>, Option<Alert>);

fn succeeded(
    policy: &Policy,
    job: &SyncJob,
    runs: &[RunRecord],
    health: &mut JobHealth,
) -> Outcome {
    let project = job.project_key.as_str();
    // The reason stays when an admin resumes a stopped project: its first success is
    // still a recovery to announce.
    let moved =
        job.backoff_rung > 0 || job.status == JobStatus::Error || job.backoff_reason.is_some();
    health.cron = job.original_cron.clone();
    health.backoff_rung = 0;
    health.backoff_reason = None;
    health.consecutive_failures = 0;
    if job.status == JobStatus::Error {
        health.status = JobStatus::Active;
    }
    let (mut log, mut alert) = (None, None);
    if moved {
        alert = Some(Alert {
            kind: AlertKind::Recovered,
            project: project.to_owned(),
            code: job.last_error_code.clone(),
            headline: format!(
                "{project} syncs again: the last run succeeded after {} failure(s)",
                job.consecutive_failures
            ),
            schedule: format!("back to {}", job.original_cron),
            consecutive_failures: 0,
        });
        log = Some(LogEntry {
            level: LogLevel::Info,
            message: format!("recovered: back to the original schedule {}", job.original_cron),
            details: json!({ "rung": 0, "cron": job.original_cron }),
        });
    }
    let Some(median) = median_ms(&runs[1..], policy.min_history) else {
        health.slow_runs = 0;
        return (log, alert);
    };
    let took = runs[0].duration_ms();
    let slow = took as f64 > median as f64 * policy.slow_factor && took > 0;
    health.slow_runs = if slow { job.slow_runs + 1 } else { 0 };
    if slow {
        let ratio = took as f64 / median.max(1) as f64;
        log.get_or_insert(LogEntry {
            level: LogLevel::Warn,
            message: format!(
                "slow run: {:.1} s, {ratio:.1}x the median {:.1} s of recent runs",
                took as f64 / 1000.0,
                median as f64 / 1000.0
            ),
            details: json!({ "code": "SLOW_RUN", "durationMs": took, "medianMs": median, "slowRuns": health.slow_runs }),
        });
        if health.slow_runs == policy.slow_alert_after && alert.is_none() {
            alert = Some(Alert {
                kind: AlertKind::Latency,
                project: project.to_owned(),
                code: Some("SLOW_RUN".to_owned()),
                headline: format!(
                    "{project} syncs are slow: {} runs in a row took over {}x the usual {:.1} s \
                     (the last {:.1} s)",
                    health.slow_runs,
                    policy.slow_factor,
                    median as f64 / 1000.0,
                    took as f64 / 1000.0
                ),
                schedule: job.cron.clone(),
                consecutive_failures: 0,
            });
        }
    }
    (log, alert)
}

fn failed(policy: &Policy, job: &SyncJob, runs: &[RunRecord], health: &mut JobHealth) -> Outcome {
    let project = job.project_key.as_str();
    let latest = &runs[0];
    let code = latest.error_code.clone().unwrap_or_else(|| "UNKNOWN".to_owned());
    let failures = runs.iter().take_while(|run| !run.succeeded).count();
    let streak = runs
        .iter()
        .take_while(|run| !run.succeeded && run.error_code.as_deref() == Some(code.as_str()))
        .count();
    health.consecutive_failures = u32::try_from(failures).unwrap_or(u32::MAX);
    health.last_error_code = Some(code.clone());
    health.slow_runs = 0;
    let threshold = usize::try_from(policy.threshold.max(1)).unwrap_or(usize::MAX);
    if streak % threshold != 0 {
        return (None, None);
    }
    let kind = AlertKind::of_code(&code);
    if !latest.retryable {
        if job.status == JobStatus::Error {
            return (None, None);
        }
        health.status = JobStatus::Error;
        let reason = format!("{streak} runs in a row failed with {code}, which needs a person");
        health.backoff_reason = Some(reason.clone());
        let log = LogEntry {
            level: LogLevel::Error,
            message: format!("scheduled syncs stopped: {reason}"),
            details: json!({ "code": code, "status": "ERROR", "consecutiveFailures": failures }),
        };
        let alert = Alert {
            kind,
            project: project.to_owned(),
            code: Some(code),
            headline: format!("{project} syncs stopped: {reason}"),
            schedule: "stopped (status ERROR) until the cause is fixed and the project resumed"
                .into(),
            consecutive_failures: health.consecutive_failures,
        };
        (Some(log), Some(alert))
    } else {
        let Some(cron) = policy.ladder.get(usize::try_from(job.backoff_rung).unwrap_or(usize::MAX))
        else {
            return (None, None); // Already on the slowest rung.
        };
        health.backoff_rung = job.backoff_rung + 1;
        health.cron = cron.as_str().to_owned();
        let reason = format!("{streak} runs in a row failed with {code}");
        health.backoff_reason = Some(reason.clone());
        let log = LogEntry {
            level: LogLevel::Error,
            message: format!(
                "backing off to rung {} ({}): {reason}",
                health.backoff_rung, health.cron
            ),
            details: json!({ "code": code, "rung": health.backoff_rung, "cron": health.cron, "consecutiveFailures": failures }),
        };
        let alert = Alert {
            kind,
            project: project.to_owned(),
            code: Some(code),
            headline: format!("{project} syncs slowed down: {reason}"),
            schedule: format!(
                "{} (rung {} of {})",
                health.cron,
                health.backoff_rung,
                policy.ladder.len()
            ),
            consecutive_failures: health.consecutive_failures,
        };
        (Some(log), Some(alert))
    }
}

/// The median duration of the successful runs among `runs`, when there are enough of them.
fn median_ms(runs: &[RunRecord], min_history: usize) -> Option<i64> {
    let mut durations: Vec<i64> =
        runs.iter().filter(|run| run.succeeded).map(RunRecord::duration_ms).collect();
    if durations.len() < min_history.max(1) {
        return None;
    }
    durations.sort_unstable();
    Some(durations[durations.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: &str = "0 * * * *";
    const SIX_HOURS: &str = "0 */6 * * *";

    fn policy() -> Policy {
        Policy {
            threshold: 3,
            ladder: [HOUR, SIX_HOURS].map(|c| Schedule::parse(c).unwrap()).to_vec(),
            slow_factor: 3.0,
            slow_alert_after: 2,
            min_history: 3,
        }
    }

    fn job() -> SyncJob {
        SyncJob {
            project_key: "KAN".into(),
            cron: "*/15 * * * *".into(),
            original_cron: "*/15 * * * *".into(),
            status: JobStatus::Active,
            last_run_ms: None,
            next_run_ms: Some(0),
            backoff_rung: 0,
            backoff_reason: None,
            consecutive_failures: 0,
            last_error_code: None,
            slow_runs: 0,
            request: None,
        }
    }

    fn run(code: Option<&str>, retryable: bool, duration_ms: i64) -> RunRecord {
        RunRecord {
            project_key: "KAN".into(),
            started_ms: 0,
            finished_ms: duration_ms,
            succeeded: code.is_none(),
            error_code: code.map(Into::into),
            retryable,
            issues: 0,
        }
    }

    /// Feeds runs (oldest first) through the policy as the telemetry would, one at a time;
    /// the job after each, and every alert sent.
    fn replay(runs: &[RunRecord]) -> (SyncJob, Vec<Alert>) {
        let mut job = job();
        let mut history: Vec<RunRecord> = Vec::new();
        let mut alerts = Vec::new();
        for run in runs {
            history.insert(0, run.clone());
            let assessment = assess(&policy(), &job, &history, 1_000);
            let health = assessment.health;
            job = SyncJob {
                cron: health.cron,
                status: health.status,
                backoff_rung: health.backoff_rung,
                backoff_reason: health.backoff_reason,
                consecutive_failures: health.consecutive_failures,
                last_error_code: health.last_error_code,
                slow_runs: health.slow_runs,
                next_run_ms: health.next_run_ms.or(job.next_run_ms),
                ..job
            };
            alerts.extend(assessment.alert);
        }
        (job, alerts)
    }

    #[test]
    fn the_third_same_code_failure_moves_one_rung_and_alerts_once() {
        let limited = run(Some("RATE_LIMIT"), true, 10);
        let (job, alerts) = replay(&[limited.clone(), limited.clone()]);
        assert_eq!((job.backoff_rung, alerts.len(), job.consecutive_failures), (0, 0, 2));
        let (job, alerts) = replay(&vec![limited.clone(); 3]);
        assert_eq!((job.backoff_rung, job.cron.as_str()), (1, HOUR));
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            (alerts[0].kind, alerts[0].code.as_deref()),
            (AlertKind::RateLimit, Some("RATE_LIMIT"))
        );
        assert_eq!(job.next_run_ms, Some(3_600_000), "the next run follows the slower cron");
        let (job, alerts) = replay(&vec![limited; 7]);
        assert_eq!((job.backoff_rung, job.cron.as_str(), alerts.len()), (2, SIX_HOURS, 2));
    }

    #[test]
    fn another_code_starts_the_count_again() {
        let limited = run(Some("RATE_LIMIT"), true, 10);
        let glitch = run(Some("NETWORK_GLITCH"), true, 10);
        let (job, alerts) = replay(&[limited.clone(), limited, glitch.clone(), glitch]);
        assert_eq!((job.backoff_rung, alerts.len(), job.consecutive_failures), (0, 0, 4));
        assert_eq!(job.last_error_code.as_deref(), Some("NETWORK_GLITCH"));
    }

    #[test]
    fn the_slowest_rung_is_as_far_as_it_goes() {
        let (job, alerts) = replay(&vec![run(Some("RATE_LIMIT"), true, 10); 12]);
        assert_eq!((job.backoff_rung, alerts.len()), (2, 2));
    }

    #[test]
    fn permanent_failures_stop_the_schedule_once_with_the_code() {
        let rejected = run(Some("AUTH_EXPIRED"), false, 10);
        let (job, alerts) = replay(&vec![rejected; 6]);
        assert_eq!(
            (job.status, job.backoff_rung, job.cron.as_str()),
            (JobStatus::Error, 0, "*/15 * * * *")
        );
        assert_eq!(alerts.len(), 1, "one alert for the move, none for the failures after it");
        assert_eq!(alerts[0].kind, AlertKind::Auth);
    }

    #[test]
    fn one_success_restores_the_original_cron_and_says_so() {
        let mut runs = vec![run(Some("RATE_LIMIT"), true, 10); 3];
        runs.push(run(None, false, 10));
        let (job, alerts) = replay(&runs);
        assert_eq!(
            (job.backoff_rung, job.cron.as_str(), job.consecutive_failures),
            (0, "*/15 * * * *", 0)
        );
        assert_eq!(
            alerts.iter().map(|a| a.kind).collect::<Vec<_>>(),
            [AlertKind::RateLimit, AlertKind::Recovered]
        );
        let (job, alerts) = replay(&[run(Some("AUTH_EXPIRED"), false, 1), run(None, false, 1)]);
        assert_eq!(
            (job.status, alerts.len()),
            (JobStatus::Active, 0),
            "no move, nothing to recover from"
        );
    }

    #[test]
    fn slow_successful_runs_are_logged_and_then_alerted_once() {
        let mut runs = vec![run(None, false, 1_000); 3];
        runs.push(run(None, false, 4_000));
        let mut history: Vec<RunRecord> = runs.iter().rev().cloned().collect();
        let assessment = assess(&policy(), &job(), &history, 0);
        let log = assessment.log.expect("a slow run is logged");
        assert_eq!(log.level, LogLevel::Warn);
        assert!(log.message.contains("4.0 s") && log.message.contains("1.0 s"), "{}", log.message);
        assert_eq!((assessment.health.slow_runs, assessment.alert), (1, None));
        history.insert(0, run(None, false, 5_000));
        let slow_job = SyncJob { slow_runs: 1, ..job() };
        let assessment = assess(&policy(), &slow_job, &history, 0);
        let alert = assessment.alert.expect("the second slow run in a row alerts");
        assert_eq!(alert.kind, AlertKind::Latency);
        history.insert(0, run(None, false, 1_000));
        let assessment = assess(&policy(), &SyncJob { slow_runs: 2, ..job() }, &history, 0);
        assert_eq!((assessment.health.slow_runs, assessment.alert), (0, None));
    }
}
