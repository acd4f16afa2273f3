//! `jira-schedules-tick` (event `jira/schedules.tick`, data `{}`): one tick as a durable
//! step, so a redelivered tick event replays its report instead of ticking twice.

use async_trait::async_trait;
use clockwork_core::event::SCHEDULES_TICK;
use clockwork_durable::{Function, RunContext, RunEnd, StepError};

use crate::tick::Scheduler;

pub const FUNCTION: &str = "jira-schedules-tick";
const TICK: &str = "tick";

#[derive(Debug)]
pub struct ScheduleTick {
    scheduler: Scheduler,
}

impl ScheduleTick {
    pub fn new(scheduler: Scheduler) -> Self {
        Self { scheduler }
    }
}

#[async_trait]
impl Function for ScheduleTick {
    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn event(&self) -> &'static str {
        SCHEDULES_TICK
    }

    fn steps(&self) -> &'static [&'static str] {
        &[TICK]
    }

    async fn run(
        &self,
        ctx: &mut RunContext<'_>,
        _data: &serde_json::Value,
    ) -> Result<RunEnd, StepError> {
        let report = ctx
            .step(TICK, || async {
                self.scheduler.tick_now().await.map_err(|error| {
                    let message = format!("the schedule tick could not read the store: {error}");
                    if error.is_retryable() {
                        StepError::retryable("STORE_UNAVAILABLE", message)
                    } else {
                        StepError::permanent("STORE_FAILED", message)
                    }
                })
            })
            .await?;
        serde_json::to_value(report)
            .map(RunEnd::Completed)
            .map_err(|error| StepError::permanent("STEP_OUTPUT_UNSERIALIZABLE", error.to_string()))
    }
}
