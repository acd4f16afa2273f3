//! The Jira project sync: a normalized, never silently wrong copy of a tracked project's
//! issues, comments, worklogs, sprints and users.
//!
//! Shaped like a sink: [`normalize`] is pure (Jira's shapes to the store's rows, tracked-user
//! filtering, cursor arithmetic); [`engine`] is the I/O part that pages Jira and commits each
//! batch of up to 100 issues, with its children and the cursor, in one transaction;
//! [`function`] runs it as the worker's durable steps; [`users`] matches Jira users to team
//! members; `partition` splits a big full sync by issue id into searches fetched at once;
//! [`observe`] is how the operations engine hears of each run's end; `sweep`
//! marks issues gone from Jira deleted, never a project's whole by mistake; `batch` turns
//! issues read from Jira into the store's batch, one way for every writer. [`webhooks`]
//! applies Jira's webhook deliveries as hints (the issues re-read, committed like a page),
//! and [`webhook_function`] runs that as the worker's durable steps. `history` reads the
//! changelogs of the issues both wrote and stores them with their time in status, cycle and
//! lead times. `drift` counts and reports how the samples of Jira's answers differ from what
//! the sync reads, each drift logged once per project. `options` holds the tunables
//! ([`SyncOptions`]) and the environment variables that set them; `finish` the end of a
//! run (owed changelogs, worklog feeds, sprints, assignable users, sweep); `run_state` where a run
//! stands between batches ([`RunState`]) and what it did ([`SyncSummary`]); `error` how it
//! fails ([`SyncError`]).

mod batch;
mod drift;
pub mod engine;
mod error;
mod finish;
pub mod function;
mod history;
pub mod normalize;
pub mod observe;
mod options;
mod partition;
mod run_state;
mod sweep;
pub mod users;
pub mod webhook_function;
pub mod webhooks;

pub use engine::{NoProgress, Prefetched, Progress, SyncEngine};
pub use error::SyncError;
pub use function::ProjectSync;
pub use observe::RunObserver;
pub use options::SyncOptions;
pub use run_state::{RunState, SyncSummary};
pub use webhook_function::{ApplyWebhooks, WebhookSummary};
