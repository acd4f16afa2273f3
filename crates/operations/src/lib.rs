//! Sync operations: the Jira data integrator runs by itself. Every tracked project has a
//! schedule; a tick starts due runs; after each run a telemetry step reads the project's
//! recent runs and slows it down, stops it or restores it, telling an admin what to do.
//!
//! - [`cron`]: 5-field UTC crons ([`Schedule`]), errors naming the field at fault.
//! - [`policy`]: the ladder as a pure function of (schedule record, recent runs, now).
//! - [`tick`]: [`Scheduler`], which claims due runs atomically and enqueues them.
//! - [`controls`]: [`Controls`], what an admin does: track, pause, resume, reschedule,
//!   trigger, start.
//! - [`telemetry`]: [`Telemetry`], the sync engine's run observer that applies the policy.
//! - [`alerts`]: alert kinds routed to channels ([`Routes`], `ALERT_ROUTES`) and written
//!   as messages a person can act on.
//! - [`function`]: the worker's `jira/schedules.tick` as a durable step.
//! - [`config`]: [`OperationsConfig`] from the environment.

pub mod alerts;
pub mod config;
pub mod controls;
pub mod cron;
pub mod function;
pub mod policy;
pub mod telemetry;
pub mod tick;

pub use alerts::{Alerts, Routes};
pub use config::OperationsConfig;
pub use controls::{ControlError, Controls, Triggered};
pub use cron::{CronError, Schedule};
pub use function::ScheduleTick;
pub use policy::{Alert, AlertKind, Assessment, Policy};
pub use telemetry::Telemetry;
pub use tick::{Scheduler, TickReport};

use std::sync::Arc;

use clockwork_notify::Notifier;
use clockwork_queue::Queue;
use clockwork_store::Store;

/// The parts a host wires together, over one store and, where runs can be enqueued, a queue.
#[derive(Debug, Clone)]
pub struct Operations {
    pub controls: Controls,
    /// `None` without a queue: triggers wait for a tick elsewhere.
    pub scheduler: Option<Scheduler>,
    /// The sync engine's run observer.
    pub telemetry: Arc<Telemetry>,
    pub alerts: Alerts,
}

impl Operations {
    /// `site` names the Jira site in alerts (`acme.atlassian.net`).
    pub fn new(
        config: &OperationsConfig,
        store: Store,
        queue: Option<Arc<dyn Queue>>,
        notifier: Arc<Notifier>,
        site: String,
    ) -> Self {
        let scheduler =
            queue.map(|queue| Scheduler::new(store.clone(), queue, config.default_cron.clone()));
        let mut controls = Controls::new(store.clone(), config.default_cron.clone());
        if let Some(scheduler) = &scheduler {
            controls = controls.with_scheduler(scheduler.clone());
        }
        let alerts = Alerts::new(notifier, config.routes.clone(), site, store.clone());
        let telemetry = Arc::new(Telemetry::new(store, config.policy.clone(), alerts.clone()));
        Self { controls, scheduler, telemetry, alerts }
    }
}
