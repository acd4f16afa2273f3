//! The memoizing step runner handed to a function for one run.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use clockwork_cache::Cache;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StepError;
use crate::record::{MEMO_TTL, StepRecord, memo_key};

pub struct RunContext<'a> {
    cache: &'a dyn Cache,
    run_id: String,
    /// Outputs of steps finished by earlier attempts, read in one round trip at the start.
    memos: HashMap<String, String>,
    /// The step names whose memos that round trip read; others are read when reached.
    prefetched: &'static [&'static str],
    /// When the attempt should stop taking on steps; `None`: no budget.
    deadline: Option<Instant>,
    steps: Vec<StepRecord>,
}

impl std::fmt::Debug for RunContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunContext")
            .field("run_id", &self.run_id)
            .field("steps", &self.steps)
            .finish()
    }
}

impl<'a> RunContext<'a> {
    pub(crate) fn new(
        cache: &'a dyn Cache,
        run_id: &str,
        memos: HashMap<String, String>,
        prefetched: &'static [&'static str],
        deadline: Option<Instant>,
    ) -> Self {
        Self { cache, run_id: run_id.to_owned(), memos, prefetched, deadline, steps: Vec::new() }
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Whether the attempt has used its time budget: a function with more steps to go
    /// returns [`crate::RunEnd::Continue`] and carries on in a fresh delivery.
    pub fn out_of_time(&self) -> bool {
        self.deadline.is_some_and(|deadline| Instant::now() >= deadline)
    }

    pub(crate) fn into_steps(self) -> Vec<StepRecord> {
        self.steps
    }

    /// Runs the step `name` once per run: when an earlier attempt finished it, its memoized
    /// output is returned and `work` is not called; otherwise `work` runs and its output is
    /// memoized for 24 h, written only after it succeeded.
    pub async fn step<T, Fut>(
        &mut self,
        name: &str,
        work: impl FnOnce() -> Fut,
    ) -> Result<T, StepError>
    where
        T: Serialize + DeserializeOwned,
        Fut: Future<Output = Result<T, StepError>>,
    {
        self.step_with_ttl(name, |_| MEMO_TTL, work).await
    }

    /// [`RunContext::step`] for outputs that must not outlive something, such as a
    /// credential's expiry: `ttl_of` says how long the memo may live (capped at 24 h);
    /// zero leaves it unmemoized.
    pub async fn step_with_ttl<T, Fut>(
        &mut self,
        name: &str,
        ttl_of: impl FnOnce(&T) -> Duration,
        work: impl FnOnce() -> Fut,
    ) -> Result<T, StepError>
    where
        T: Serialize + DeserializeOwned,
        Fut: Future<Output = Result<T, StepError>>,
    {
        let started = Instant::now();
        if let Some(raw) = self.memo(name).await? {
            match serde_json::from_str::<T>(&raw) {
                Ok(output) => {
                    self.record(name, "memoized", started);
                    return Ok(output);
                }
                Err(error) => {
                    tracing::warn!(step = name, %error, "re-running a step whose memo no longer parses")
                }
            }
        }
        let output = match work().await {
            Ok(output) => output,
            Err(error) => {
                self.record(name, "failed", started);
                return Err(error);
            }
        };
        let ttl = ttl_of(&output).min(MEMO_TTL);
        if !ttl.is_zero() {
            let raw = serde_json::to_string(&output).map_err(|e| {
                StepError::permanent("STEP_OUTPUT_UNSERIALIZABLE", format!("{name}: {e}"))
            })?;
            self.cache
                .set(&memo_key(&self.run_id, name), &raw, Some(ttl))
                .await
                .map_err(|e| StepError::cache(&e))?;
        }
        self.record(name, "done", started);
        Ok(output)
    }

    /// The memo of an earlier attempt: from the start's round trip, or read now for a
    /// step name the function could not list ahead.
    async fn memo(&mut self, name: &str) -> Result<Option<String>, StepError> {
        if self.prefetched.contains(&name) {
            return Ok(self.memos.remove(name));
        }
        self.cache.get(&memo_key(&self.run_id, name)).await.map_err(|e| StepError::cache(&e))
    }

    /// Drops a finished step's memo, so the next attempt runs it again: for an output
    /// found to be unusable later, such as a credential the upstream has since revoked.
    pub async fn forget(&mut self, name: &str) -> Result<(), StepError> {
        self.memos.remove(name);
        self.cache.del(&[memo_key(&self.run_id, name)]).await.map_err(|e| StepError::cache(&e))?;
        Ok(())
    }

    fn record(&mut self, name: &str, status: &str, started: Instant) {
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(run_id = %self.run_id, step = name, status, duration_ms, "step");
        self.steps.push(StepRecord {
            name: name.to_owned(),
            status: status.to_owned(),
            duration_ms,
        });
    }
}
