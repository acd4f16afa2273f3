//! Redelivery delays: exponential in the receive count, with jitter, capped at 15 minutes.

use std::time::Duration;

use rand::Rng;

pub const BASE: Duration = Duration::from_secs(10);
pub const CAP: Duration = Duration::from_secs(15 * 60);

/// How long a message stays invisible after its `receive_count`-th failed attempt:
/// 10 s, 20 s, 40 s, … up to 15 min, each shortened by up to a fifth at random so that
/// many failing messages do not come back in lock-step.
pub fn redelivery_delay(receive_count: u32) -> Duration {
    let exponent = receive_count.saturating_sub(1).min(16);
    let full = BASE.saturating_mul(1 << exponent).min(CAP);
    let jitter = rand::rng().random_range(0.0..0.2);
    full.mul_f64(1.0 - jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_exponentially_with_jitter_and_stop_at_fifteen_minutes() {
        for _ in 0..100 {
            let first = redelivery_delay(1);
            assert!(first > Duration::from_secs(8) && first <= BASE, "{first:?}");
            let third = redelivery_delay(3);
            assert!(
                third > Duration::from_secs(32) && third <= Duration::from_secs(40),
                "{third:?}"
            );
            assert!(redelivery_delay(30) <= CAP);
            assert!(redelivery_delay(30) > CAP.mul_f64(0.79));
        }
    }
}
