//! Finds the function an event names and runs it at most once to completion.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::Utc;
use clockwork_cache::json::to_json;
use clockwork_cache::{Cache, Write};
use clockwork_core::event::Event;
use clockwork_queue::Queue;

use crate::record::{RECORD_TTL, RunError, RunRecord, RunStatus, lease_key, memo_key, record_key};
use crate::{RunContext, StepError};

/// A durable function: named steps run through [`RunContext::step`].
#[async_trait]
pub trait Function: Send + Sync {
    /// e.g. `sync-active-timers`.
    fn name(&self) -> &'static str;
    /// The event name that triggers it.
    fn event(&self) -> &'static str;
    /// Its step names, so an attempt reads every memo in one round trip.
    fn steps(&self) -> &'static [&'static str];
    /// Runs the steps. Step names beyond [`Function::steps`] (such as one per batch) are
    /// allowed: their memos are read when the step is reached.
    async fn run(
        &self,
        ctx: &mut RunContext<'_>,
        data: &serde_json::Value,
    ) -> Result<RunEnd, StepError>;
}

/// How an attempt ended when no step failed.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    /// The run is done; the value becomes the run record's `output`.
    Completed(serde_json::Value),
    /// The attempt used up its time with work left ([`RunContext::out_of_time`]): the
    /// engine enqueues the event again, same run id, with this value as its `data`, and
    /// the next delivery carries on from it.
    Continue(serde_json::Value),
    /// The run waits: as [`RunEnd::Continue`], with the next delivery held back this long
    /// (at most [`clockwork_queue::MAX_DELAY`]).
    ContinueAfter(Duration, serde_json::Value),
}

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Completed {
        run_id: String,
        output: serde_json::Value,
    },
    /// The attempt ran out of time and enqueued its continuation: acknowledged.
    Continued {
        run_id: String,
    },
    /// The run had already finished: acknowledged with no effects.
    AlreadyFinished {
        run_id: String,
    },
    /// Another delivery of the same run is in progress; try later.
    Busy {
        run_id: String,
    },
    /// A retryable failure: deliver again later.
    Retry {
        run_id: String,
        error: StepError,
    },
    /// A permanent failure: the run is over; do not deliver again.
    Failed {
        run_id: Option<String>,
        error: StepError,
    },
}

impl Outcome {
    /// Whether the message should stay on the queue for another delivery.
    pub fn should_retry(&self) -> bool {
        matches!(self, Self::Retry { .. } | Self::Busy { .. })
    }
}

/// How long one attempt holds its run. Longer than a worker invocation may last (the
/// queue's visibility timeout), shorter than the sum of redelivery delays before the
/// dead-letter queue, so a crashed attempt never sends its run there by holding it.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5 * 60);

/// How long before its lease (or the host's deadline) an attempt stops taking on new
/// steps, so the step in flight finishes while the attempt still holds the run.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(60);

pub struct Engine {
    cache: Arc<dyn Cache>,
    functions: HashMap<&'static str, Arc<dyn Function>>,
    /// How long one attempt may hold a run before another delivery may take it over.
    lease: Duration,
    /// Where a run that runs out of time enqueues its continuation; without it, an
    /// attempt has no time budget.
    continuations: Option<Arc<dyn Queue>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("functions", &self.functions.keys()).finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(cache: Arc<dyn Cache>) -> Self {
        Self { cache, functions: HashMap::new(), lease: DEFAULT_LEASE, continuations: None }
    }

    /// Gives every attempt a time budget (its lease less [`DEADLINE_MARGIN`], or the
    /// host's deadline if sooner): a long run continues in a fresh delivery sent here.
    pub fn with_continuations(mut self, queue: Arc<dyn Queue>) -> Self {
        self.continuations = Some(queue);
        self
    }

    /// How long one attempt may hold a run (tests shorten it).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    pub fn register(mut self, function: Arc<dyn Function>) -> Self {
        self.functions.insert(function.event(), function);
        self
    }

    /// Handles a raw message body; a body that is not an event fails permanently.
    /// `deadline` is when the host stops the attempt (a Lambda invocation's end).
    pub async fn handle_body(&self, body: &str, deadline: Option<Instant>) -> Outcome {
        match serde_json::from_str::<Event>(body) {
            Ok(event) => self.handle_within(&event, deadline).await,
            Err(error) => {
                let error = StepError::permanent(
                    "MALFORMED_EVENT",
                    format!(
                        "the message is not a {{name, id, data}} event ({error}); it was dropped"
                    ),
                );
                tracing::error!(%error, "dropping a malformed message");
                Outcome::Failed { run_id: None, error }
            }
        }
    }

    /// Handles one event with no deadline from the host.
    pub async fn handle(&self, event: &Event) -> Outcome {
        self.handle_within(event, None).await
    }

    #[tracing::instrument(skip_all, fields(event = %event.name, run_id = %event.id))]
    pub async fn handle_within(&self, event: &Event, deadline: Option<Instant>) -> Outcome {
        if !valid_run_id(&event.id) {
            let error = StepError::permanent(
                "MALFORMED_EVENT",
                "the event id must be 1 to 128 letters, digits or . _ : - characters",
            );
            return Outcome::Failed { run_id: None, error };
        }
        let run_id = event.id.clone();
        let Some(function) = self.functions.get(event.name.as_str()) else {
            let error = StepError::permanent(
                "UNKNOWN_EVENT",
                format!("no function handles the event {:?}; it was dropped", event.name),
            );
            tracing::error!(%error, "dropping an unknown event");
            return Outcome::Failed { run_id: Some(run_id), error };
        };
        match self.run(function.as_ref(), event, deadline).await {
            Ok(outcome) => outcome,
            Err(error) => Outcome::Retry { run_id, error },
        }
    }

    async fn run(
        &self,
        function: &dyn Function,
        event: &Event,
        host_deadline: Option<Instant>,
    ) -> Result<Outcome, StepError> {
        let run_id = event.id.as_str();
        let started = Instant::now();
        let cache = self.cache.as_ref();
        let lease = lease_key(run_id);
        if !cache.set_nx(&lease, "1", self.lease).await.map_err(|e| StepError::cache(&e))? {
            return Ok(Outcome::Busy { run_id: run_id.to_owned() });
        }

        let mut keys = vec![record_key(run_id)];
        keys.extend(function.steps().iter().map(|step| memo_key(run_id, step)));
        let mut values = cache.mget(&keys).await.map_err(|e| StepError::cache(&e))?.into_iter();
        let previous: Option<RunRecord> =
            values.next().flatten().and_then(|raw| serde_json::from_str(&raw).ok());
        if previous.as_ref().is_some_and(|record| record.status.is_finished()) {
            cache.del(&[lease]).await.map_err(|e| StepError::cache(&e))?;
            tracing::info!("run already finished; acknowledged without effects");
            return Ok(Outcome::AlreadyFinished { run_id: run_id.to_owned() });
        }
        let memos: HashMap<String, String> = function
            .steps()
            .iter()
            .zip(values)
            .filter_map(|(step, raw)| raw.map(|raw| ((*step).to_owned(), raw)))
            .collect();

        let now = Utc::now();
        let mut record = RunRecord {
            id: run_id.to_owned(),
            function: function.name().to_owned(),
            event: event.name.clone(),
            status: RunStatus::Running,
            attempts: previous.as_ref().map_or(0, |r| r.attempts) + 1,
            started_at: previous.as_ref().map_or(now, |r| r.started_at),
            updated_at: now,
            steps: Vec::new(),
            error: None,
            output: None,
        };
        self.save(&record, None).await?;

        let deadline = self.continuations.as_ref().map(|_| {
            let own = started + self.lease.saturating_sub(DEADLINE_MARGIN);
            let host = host_deadline.map(|host| host.checked_sub(DEADLINE_MARGIN).unwrap_or(host));
            host.map_or(own, |host| own.min(host))
        });
        let mut ctx = RunContext::new(cache, run_id, memos, function.steps(), deadline);
        let result = function.run(&mut ctx, &event.data).await;
        record.steps = ctx.into_steps();
        record.updated_at = Utc::now();
        // `None`: the continuation is enqueued.
        let result = match result {
            Ok(RunEnd::Completed(output)) => Ok(Some(output)),
            Ok(RunEnd::Continue(data)) => self.continuation(event, Duration::ZERO, data).await,
            Ok(RunEnd::ContinueAfter(delay, data)) => self.continuation(event, delay, data).await,
            Err(error) => Err(error),
        };
        let result = match result {
            Ok(Some(output)) => Ok(output),
            Ok(None) => {
                record.status = RunStatus::Continuing;
                self.save(&record, Some(lease)).await?;
                return Ok(Outcome::Continued { run_id: run_id.to_owned() });
            }
            Err(error) => Err(error),
        };
        let outcome = match result {
            Ok(output) => {
                record.status = RunStatus::Completed;
                record.output = Some(output.clone());
                tracing::info!(%output, "run completed");
                Outcome::Completed { run_id: run_id.to_owned(), output }
            }
            Err(error) => {
                record.status =
                    if error.retryable { RunStatus::Retrying } else { RunStatus::Failed };
                record.error = Some(RunError {
                    code: error.code.clone(),
                    message: error.message.clone(),
                    retryable: error.retryable,
                });
                if error.retryable {
                    tracing::warn!(%error, attempt = record.attempts, "run failed; it will be retried");
                    Outcome::Retry { run_id: run_id.to_owned(), error }
                } else {
                    tracing::error!(%error, "run failed permanently");
                    Outcome::Failed { run_id: Some(run_id.to_owned()), error }
                }
            }
        };
        self.save(&record, Some(lease)).await?;
        Ok(outcome)
    }

    /// Enqueues the run again, same id, with `data`, for delivery after `delay`.
    async fn continuation(
        &self,
        event: &Event,
        delay: Duration,
        data: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, StepError> {
        let Some(queue) = &self.continuations else {
            return Err(StepError::permanent(
                "NO_CONTINUATION_QUEUE",
                "the function asked to continue, but this engine has no queue to continue on",
            ));
        };
        let next = Event::with_id(&event.name, &event.id, data);
        queue.send_after(&next, delay).await.map_err(|error| {
            StepError::retryable(
                "QUEUE_UNAVAILABLE",
                format!(
                    "could not enqueue the run's continuation ({error}); it resumes on redelivery"
                ),
            )
        })?;
        tracing::info!(delay_ms = delay.as_millis(), "the run continues in a new delivery");
        Ok(None)
    }

    /// Writes the record, and releases the lease with it when the attempt is over.
    async fn save(&self, record: &RunRecord, release: Option<String>) -> Result<(), StepError> {
        let value = to_json(record).map_err(|e| StepError::cache(&e))?;
        let mut writes =
            vec![Write::Set { key: record_key(&record.id), value, ttl: Some(RECORD_TTL) }];
        writes.extend(release.map(|key| Write::Del { keys: vec![key] }));
        self.cache.atomic(&writes).await.map_err(|e| StepError::cache(&e))
    }
}

fn valid_run_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}
