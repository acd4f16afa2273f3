//! The configured channels by name, each send retried within a bound.
//!
//! A retryable failure (connection, 429, 5xx, SMTP 4xx) is tried again after a doubling pause,
//! up to [`RetryPolicy::attempts`] in all; a permanent one is reported at once. Each failed
//! attempt is logged (the reason only: never a URL or a credential).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::{Channel, Message, NotifyError};

/// How often and how patiently a send is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least one is made).
    pub attempts: u32,
    /// The pause after the first failed attempt; doubled after each further one.
    pub base_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 3, base_delay: Duration::from_millis(500) }
    }
}

impl RetryPolicy {
    /// The pause after failed attempt `attempt` (1-based).
    fn delay_after(&self, attempt: u32) -> Duration {
        self.base_delay.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
    }
}

#[derive(Debug)]
struct Slot {
    channel: Arc<dyn Channel>,
    failures: AtomicU64,
}

/// Sends messages to channels by name. Empty when nothing is configured: callers then only log.
#[derive(Debug)]
pub struct Notifier {
    slots: Vec<Slot>,
    retry: RetryPolicy,
}

impl Notifier {
    /// A later channel with the same name as an earlier one is unreachable: names are unique
    /// when built from [`crate::NotifyConfig`].
    pub fn new(channels: Vec<Arc<dyn Channel>>) -> Self {
        let slots = channels
            .into_iter()
            .map(|channel| Slot { channel, failures: AtomicU64::new(0) })
            .collect();
        Self { slots, retry: RetryPolicy::default() }
    }

    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn channel_names(&self) -> Vec<&'static str> {
        self.slots.iter().map(|slot| slot.channel.name()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    fn slot(&self, channel: &str) -> Option<&Slot> {
        self.slots.iter().find(|slot| slot.channel.name() == channel)
    }

    /// Sends `message` on `channel`: `Ok(attempts used)`, or the last failure once retries are
    /// spent (a permanent failure is not retried). An unknown channel is a permanent failure
    /// of channel `"notify"`.
    pub async fn send_message(&self, channel: &str, message: &Message) -> Result<u32, NotifyError> {
        let Some(slot) = self.slot(channel) else {
            let known = self.channel_names().join(", ");
            return Err(NotifyError::permanent(
                "notify",
                format!("no channel named {channel:?} is configured (configured: [{known}])"),
            ));
        };
        let attempts = self.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            let error = match slot.channel.send(message).await {
                Ok(()) => return Ok(attempt),
                Err(error) => error,
            };
            let retrying = error.retryable && attempt < attempts;
            tracing::warn!(
                channel = error.channel,
                attempt,
                attempts,
                retryable = error.retryable,
                retrying,
                reason = %error.reason,
                "notification attempt failed"
            );
            if !retrying {
                slot.failures.fetch_add(1, Ordering::Relaxed);
                return Err(error);
            }
            tokio::time::sleep(self.retry.delay_after(attempt)).await;
            attempt += 1;
        }
    }

    /// Messages `channel` failed to deliver (after retries) since start; 0 for unknown names.
    pub fn failures(&self, channel: &str) -> u64 {
        self.slot(channel).map_or(0, |slot| slot.failures.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_base() {
        let policy = RetryPolicy::default();
        let delays: Vec<u128> = (1..=3).map(|n| policy.delay_after(n).as_millis()).collect();
        assert_eq!(delays, [500, 1000, 2000]);
    }
}
