//! Latency summaries from a sorted list of samples (nearest-rank percentiles).

use std::time::Duration;

/// Count, percentiles and extremes of a set of latencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub min: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    /// `None` when there are no samples.
    pub fn of(mut samples: Vec<Duration>) -> Option<Self> {
        samples.sort_unstable();
        let (first, last) = (*samples.first()?, *samples.last()?);
        Some(Self {
            count: samples.len(),
            min: first,
            p50: percentile(&samples, 50),
            p99: percentile(&samples, 99),
            max: last,
        })
    }
}

/// The nearest-rank `percent`th percentile of `sorted` (which must not be empty).
fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let n = sorted.len();
    let rank = (percent * n).div_ceil(100).clamp(1, n);
    sorted[rank - 1]
}

/// Milliseconds with three decimals.
pub fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1e3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let samples: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let summary = Summary::of(samples).expect("samples");
        assert_eq!(summary.count, 100);
        assert_eq!(summary.min, Duration::from_millis(1));
        assert_eq!(summary.p50, Duration::from_millis(50));
        assert_eq!(summary.p99, Duration::from_millis(99));
        assert_eq!(summary.max, Duration::from_millis(100));
    }

    #[test]
    fn a_single_sample_is_every_percentile() {
        let summary = Summary::of(vec![Duration::from_micros(7)]).expect("sample");
        assert_eq!(
            (summary.p50, summary.p99),
            (Duration::from_micros(7), Duration::from_micros(7))
        );
        assert_eq!(Summary::of(Vec::new()), None);
    }
}
