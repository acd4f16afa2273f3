//! The GraphQL read and admin API (`POST /api/graphql`): a handler room beside the REST
//! routes, with resolvers straight over the store (no cache in between: what a sync batch
//! commits, the next query reads) and the operations' controls.
//!
//! - [`service`]: [`GraphqlService`], the request handler every host calls, and [`sdl`].
//! - `query` and `mutation`: the roots; admin fields are guarded (`errors::AdminOnly`).
//! - `data`: issues, comments, worklogs, sprints, users, team members; `history`: issues'
//!   changes and time in status.
//! - `admin`: schedules (`SyncJob`), states, logs, tracked projects with their health.
//! - `projects`: `projectId` arguments (key or id) and Jira's live options.
//! - `loaders`: the per-request dataloader: a page's changes, members and counts, each in one
//!   statement.
//! - `scalars`: `DateTime` (RFC 3339 UTC) and the opaque keyset cursor.
//! - `errors`: machine codes in `extensions.code`, as the REST API names them.
//! - `limits`: depth and complexity limits.
//! - `deploy`: the deployed function's configuration.
//! - [`console`]: the admin console's page at `/admin` (files under `console/`, embedded).

mod admin;
pub mod console;
mod data;
pub mod deploy;
mod errors;
mod history;
mod limits;
mod loaders;
mod mutation;
mod projects;
mod query;
mod scalars;
pub mod service;

pub use deploy::StartupError;
pub use limits::{MAX_COMPLEXITY, MAX_DEPTH};
pub use service::{Deps, GraphqlService, sdl};
