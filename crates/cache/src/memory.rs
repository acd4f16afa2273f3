//! An in-process cache for the local runner, with Redis's TTL semantics.
//!
//! Expired entries are invisible at once and removed lazily: the entry touched by a call is
//! dropped when stale, and a sweep runs whenever the map has doubled since the last one, so
//! keys nobody reads again cannot pile up while a write stays amortized O(1).

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{Cache, CacheError, Write};

/// Where "now" comes from; tests pass a clock they can move forward instead of sleeping.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

pub struct MemoryCache {
    store: Mutex<Store>,
    clock: Clock,
    calls: AtomicU64,
}

impl fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCache").field("calls", &self.calls).finish_non_exhaustive()
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::with_clock(Arc::new(Instant::now))
    }

    pub fn with_clock(clock: Clock) -> Self {
        Self { store: Mutex::new(Store::default()), clock, calls: AtomicU64::new(0) }
    }

    /// Counts the call as a round trip and locks the store. Calls a remote backend would
    /// answer without a round trip (empty `mget`, `del`, `atomic`) return before this, so
    /// call-count tests agree across backends.
    ///
    /// Nothing under the lock panics, so a poisoned lock still guards a consistent store.
    fn store(&self) -> (MutexGuard<'_, Store>, Instant) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        (store, (self.clock)())
    }
}

#[derive(Default)]
struct Store {
    entries: HashMap<String, Entry>,
    len_after_sweep: usize,
}

struct Entry {
    value: Value,
    expires_at: Option<Instant>,
}

enum Value {
    Text(String),
    Members(BTreeSet<String>),
}

fn wrong_type() -> CacheError {
    CacheError::Protocol("WRONGTYPE Operation against a key holding the wrong kind of value".into())
}

impl Store {
    /// Drops the entry under `key` if it has expired.
    fn purge(&mut self, key: &str, now: Instant) {
        if self.entries.get(key).is_some_and(|entry| entry.expires_at.is_some_and(|at| at <= now)) {
            self.entries.remove(key);
        }
    }

    fn live(&mut self, key: &str, now: Instant) -> Option<&Entry> {
        self.purge(key, now);
        self.entries.get(key)
    }

    fn text(&mut self, key: &str, now: Instant) -> Result<Option<String>, CacheError> {
        match self.live(key, now) {
            None => Ok(None),
            Some(Entry { value: Value::Text(text), .. }) => Ok(Some(text.clone())),
            Some(_) => Err(wrong_type()),
        }
    }

    fn insert(&mut self, key: &str, value: Value, ttl: Option<Duration>, now: Instant) {
        // A TTL too long to represent is as good as none.
        let expires_at = ttl.and_then(|ttl| now.checked_add(ttl));
        self.entries.insert(key.to_owned(), Entry { value, expires_at });
        if self.entries.len() >= 2 * self.len_after_sweep.max(64) {
            self.entries.retain(|_, entry| entry.expires_at.is_none_or(|at| at > now));
            self.len_after_sweep = self.entries.len();
        }
    }

    fn delete(&mut self, keys: &[String], now: Instant) -> u64 {
        let mut existed = 0;
        for key in keys {
            if self.live(key, now).is_some() {
                self.entries.remove(key);
                existed += 1;
            }
        }
        existed
    }

    /// Like a command inside Redis's MULTI/EXEC, a write that fails (wrong type) leaves the
    /// others applied.
    fn apply(&mut self, write: &Write, now: Instant) -> Result<(), CacheError> {
        match write {
            Write::Set { key, value, ttl } => {
                self.insert(key, Value::Text(value.clone()), *ttl, now)
            }
            Write::Del { keys } => {
                self.delete(keys, now);
            }
            Write::RemoveMembers { key, members } => {
                self.purge(key, now);
                let Some(entry) = self.entries.get_mut(key) else { return Ok(()) };
                let Value::Members(set) = &mut entry.value else { return Err(wrong_type()) };
                for member in members {
                    set.remove(member);
                }
                // Redis deletes a set once its last member goes.
                if set.is_empty() {
                    self.entries.remove(key);
                }
            }
            Write::ReplaceSet { key, members, ttl } => {
                self.entries.remove(key);
                if !members.is_empty() {
                    let members = members.iter().cloned().collect();
                    self.insert(key, Value::Members(members), *ttl, now);
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        let (mut store, now) = self.store();
        store.text(key, now)
    }

    async fn mget(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let (mut store, now) = self.store();
        // Like Redis's MGET, a key holding a set reads as missing rather than failing the batch.
        Ok(keys.iter().map(|key| store.text(key, now).ok().flatten()).collect())
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError> {
        let (mut store, now) = self.store();
        store.insert(key, Value::Text(value.to_owned()), ttl, now);
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, CacheError> {
        let (mut store, now) = self.store();
        if store.live(key, now).is_some() {
            return Ok(false);
        }
        store.insert(key, Value::Text(value.to_owned()), Some(ttl), now);
        Ok(true)
    }

    async fn incr(&self, key: &str, window: Duration) -> Result<u64, CacheError> {
        let (mut store, now) = self.store();
        let Some(current) = store.text(key, now)? else {
            store.insert(key, Value::Text("1".to_owned()), Some(window), now);
            return Ok(1);
        };
        let count = current.parse::<u64>().map_err(|_| {
            CacheError::Protocol("ERR value is not an integer or out of range".into())
        })? + 1;
        if let Some(entry) = store.entries.get_mut(key) {
            entry.value = Value::Text(count.to_string());
        }
        Ok(count)
    }

    async fn del(&self, keys: &[String]) -> Result<u64, CacheError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let (mut store, now) = self.store();
        Ok(store.delete(keys, now))
    }

    async fn smembers(&self, key: &str) -> Result<Vec<String>, CacheError> {
        let (mut store, now) = self.store();
        match store.live(key, now) {
            None => Ok(Vec::new()),
            Some(Entry { value: Value::Members(members), .. }) => {
                Ok(members.iter().cloned().collect())
            }
            Some(_) => Err(wrong_type()),
        }
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError> {
        let (mut store, now) = self.store();
        Ok(store.live(key, now).and_then(|entry| entry.expires_at).map(|at| at - now))
    }

    async fn atomic(&self, writes: &[Write]) -> Result<(), CacheError> {
        if writes.is_empty() {
            return Ok(());
        }
        let (mut store, now) = self.store();
        let mut first_failure = None;
        for write in writes {
            if let Err(error) = store.apply(write, now) {
                first_failure.get_or_insert(error);
            }
        }
        first_failure.map_or(Ok(()), Err)
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    fn round_trips(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}
