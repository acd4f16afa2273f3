//! [`Traffic`]: how the requests of one client share one Jira site's limits. The Jira data
//! client holds one, so every request it sends (a sync's partitions, their retries, the
//! per-issue pages) is admitted by the same governor:
//!
//! - at most `limit` requests in flight, `limit` starting at the configured concurrency;
//! - at most the configured rate: starts spaced by at least `1 / rate`, never in bursts;
//! - a throttle signal (a 429 or 503 asking to wait, an answer carrying
//!   `X-RateLimit-NearLimit: true`) pauses every admission for the wait asked (or the
//!   near-limit pause) and halves `limit`, once per episode: signals arriving while the
//!   pause it set is still in force are the same episode;
//! - `limit` recovers by one for every [`Governance::recovery`] without a signal.
//!
//! Time is tokio's clock, so tests run it paused and nothing sleeps for real.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use reqwest::header;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The limits one governor enforces.
#[derive(Debug, Clone, PartialEq)]
pub struct Governance {
    /// Requests in flight at most, when the site has not pushed back.
    pub max_concurrency: usize,
    /// Requests started per second at most; `None`: as fast as the concurrency allows.
    pub max_per_second: Option<f64>,
    /// The pause after an answer carrying `X-RateLimit-NearLimit: true`.
    pub near_limit_pause: Duration,
    /// How long without a throttle signal before the concurrency limit grows by one again.
    pub recovery: Duration,
}

impl Default for Governance {
    fn default() -> Self {
        Self {
            max_concurrency: 4,
            max_per_second: None,
            near_limit_pause: Duration::from_millis(500),
            recovery: Duration::from_secs(5),
        }
    }
}

/// Shared by every request of one client; see the module's documentation.
#[derive(Debug)]
pub(crate) struct Traffic {
    max_concurrency: usize,
    spacing: Option<Duration>,
    near_limit_pause: Duration,
    recovery: Duration,
    gate: Mutex<Gate>,
    released: Notify,
    requests: AtomicU64,
}

#[derive(Debug)]
struct Gate {
    limit: usize,
    in_flight: usize,
    /// No admission before this (a throttle signal's pause).
    resume_at: Option<Instant>,
    /// The earliest start of the next request under the rate limit.
    next_start: Option<Instant>,
    /// When `limit` last changed (or the governor was made).
    changed_at: Instant,
}

/// A request's place in flight; dropping it lets the next one in.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    traffic: &'a Traffic,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.traffic.gate().in_flight -= 1;
        self.traffic.released.notify_waiters();
    }
}

/// Why an admission waits.
enum Wait {
    Until(Instant),
    Release,
}

impl Traffic {
    pub(crate) fn new(governance: &Governance) -> Self {
        let max_concurrency = governance.max_concurrency.max(1);
        let spacing = governance
            .max_per_second
            .filter(|rate| rate.is_finite() && *rate > 0.0)
            .map(|rate| Duration::from_secs_f64(1.0 / rate));
        Self {
            max_concurrency,
            spacing,
            near_limit_pause: governance.near_limit_pause,
            recovery: governance.recovery,
            gate: Mutex::new(Gate {
                limit: max_concurrency,
                in_flight: 0,
                resume_at: None,
                next_start: None,
                changed_at: Instant::now(),
            }),
            released: Notify::new(),
            requests: AtomicU64::new(0),
        }
    }

    fn gate(&self) -> MutexGuard<'_, Gate> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Requests sent so far, retries included.
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The concurrency limit in force now.
    #[cfg(test)]
    fn limit(&self) -> usize {
        let mut gate = self.gate();
        self.recover(&mut gate, Instant::now());
        gate.limit
    }

    /// Waits until a request may start: a place under the limit, no pause in force, and the
    /// rate's spacing since the last start. The permit is held while the request is in flight.
    pub(crate) async fn admit(&self) -> Permit<'_> {
        loop {
            // Registered before the gate is read, so a release in between is not missed.
            let released = self.released.notified();
            tokio::pin!(released);
            released.as_mut().enable();
            let wait = {
                let mut gate = self.gate();
                let now = Instant::now();
                self.recover(&mut gate, now);
                match (gate.resume_at, gate.next_start) {
                    (Some(at), _) if at > now => Wait::Until(at),
                    _ if gate.in_flight >= gate.limit => Wait::Release,
                    (_, Some(at)) if at > now => Wait::Until(at),
                    _ => {
                        gate.in_flight += 1;
                        gate.next_start = self.spacing.map(|spacing| now + spacing);
                        self.requests.fetch_add(1, Ordering::Relaxed);
                        return Permit { traffic: self };
                    }
                }
            };
            match wait {
                Wait::Until(at) => tokio::time::sleep_until(at).await,
                Wait::Release => released.await,
            }
        }
    }

    /// The site asked to slow down: every admission waits `wait` from now (or longer, if a
    /// pause already runs past it), and a new episode halves the concurrency limit.
    pub(crate) fn throttled(&self, wait: Duration) {
        let now = Instant::now();
        let until = now + wait;
        let mut gate = self.gate();
        let episode_running = gate.resume_at.is_some_and(|at| at > now);
        gate.resume_at = Some(gate.resume_at.map_or(until, |at| at.max(until)));
        if !episode_running {
            let limit = (gate.limit / 2).max(1);
            if limit < gate.limit {
                tracing::info!(limit, wait_ms = wait.as_millis() as u64, "Jira pushed back");
            }
            gate.limit = limit;
            gate.changed_at = now;
        }
    }

    /// Reads an answer's rate-limit headers: a near-limit warning is a throttle signal.
    pub(crate) fn observe(&self, headers: &header::HeaderMap) {
        let near = headers.get("x-ratelimit-nearlimit").and_then(|v| v.to_str().ok());
        if near.is_some_and(|value| value.trim().eq_ignore_ascii_case("true")) {
            tracing::debug!(
                pause_ms = self.near_limit_pause.as_millis() as u64,
                "near the rate limit"
            );
            self.throttled(self.near_limit_pause);
        }
    }

    /// Grows the limit by one for each whole recovery period since it last changed.
    fn recover(&self, gate: &mut Gate, now: Instant) {
        if gate.limit >= self.max_concurrency || self.recovery.is_zero() {
            return;
        }
        let quiet = now.saturating_duration_since(gate.changed_at);
        let steps = quiet.as_nanos() / self.recovery.as_nanos();
        if steps > 0 {
            let steps = usize::try_from(steps).unwrap_or(usize::MAX);
            gate.limit = gate.limit.saturating_add(steps).min(self.max_concurrency);
            gate.changed_at = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn governance(max_concurrency: usize, max_per_second: Option<f64>) -> Governance {
        Governance {
            max_concurrency,
            max_per_second,
            near_limit_pause: Duration::from_millis(500),
            recovery: Duration::from_secs(5),
        }
    }

    /// Admits `count` requests at once, each held for `hold`; the most in flight at once.
    async fn peak_in_flight(traffic: Arc<Traffic>, count: usize, hold: Duration) -> usize {
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..count)
            .map(|_| {
                let (traffic, now, peak) = (traffic.clone(), now.clone(), peak.clone());
                tokio::spawn(async move {
                    let _permit = traffic.admit().await;
                    peak.fetch_max(now.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                    tokio::time::sleep(hold).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        peak.load(Ordering::SeqCst)
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_than_the_configured_concurrency_is_in_flight() {
        let traffic = Arc::new(Traffic::new(&governance(3, None)));
        let started = Instant::now();
        assert_eq!(peak_in_flight(traffic.clone(), 10, Duration::from_millis(100)).await, 3);
        // Ten requests three at a time: four rounds.
        assert_eq!(started.elapsed(), Duration::from_millis(400));
        assert_eq!(traffic.requests(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_to_the_configured_rate() {
        let traffic = Traffic::new(&governance(8, Some(10.0)));
        let started = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..21 {
            drop(traffic.admit().await);
            starts.push(started.elapsed());
        }
        assert!(starts.windows(2).all(|w| w[1] - w[0] >= Duration::from_millis(100)), "{starts:?}");
        assert_eq!(starts.last(), Some(&Duration::from_secs(2)), "21 starts in two seconds");
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_answer_pauses_every_admission_and_halves_the_concurrency() {
        let traffic = Traffic::new(&governance(4, None));
        let started = Instant::now();
        traffic.throttled(Duration::from_secs(2));
        // A second 429 of the same episode (another request that was in flight).
        traffic.throttled(Duration::from_secs(1));
        assert_eq!(traffic.limit(), 2, "halved once per episode");
        drop(traffic.admit().await);
        assert_eq!(started.elapsed(), Duration::from_secs(2), "Retry-After honoured");
        traffic.throttled(Duration::ZERO);
        assert_eq!(traffic.limit(), 1, "a new episode halves again");
    }

    #[tokio::test(start_paused = true)]
    async fn a_near_limit_answer_pauses_the_next_admission_and_halves_the_concurrency() {
        let traffic = Traffic::new(&governance(4, None));
        let mut headers = header::HeaderMap::new();
        headers.insert("x-ratelimit-nearlimit", "true".parse().unwrap());
        let started = Instant::now();
        traffic.observe(&headers);
        drop(traffic.admit().await);
        assert_eq!(started.elapsed(), Duration::from_millis(500));
        assert_eq!(traffic.limit(), 2);
        headers.insert("x-ratelimit-nearlimit", "false".parse().unwrap());
        traffic.observe(&headers);
        assert_eq!(traffic.limit(), 2, "only `true` is a warning");
    }

    #[tokio::test(start_paused = true)]
    async fn the_concurrency_recovers_by_one_per_quiet_period() {
        let traffic = Arc::new(Traffic::new(&governance(4, None)));
        traffic.throttled(Duration::ZERO);
        traffic.throttled(Duration::ZERO);
        assert_eq!(traffic.limit(), 1);
        let hold = Duration::from_millis(10);
        assert_eq!(peak_in_flight(traffic.clone(), 4, hold).await, 1, "cut to one");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(traffic.limit(), 2, "one step after a quiet period");
        tokio::time::advance(Duration::from_secs(12)).await;
        assert_eq!(traffic.limit(), 4, "never above the configured concurrency");
        assert_eq!(peak_in_flight(traffic, 8, hold).await, 4);
    }
}
