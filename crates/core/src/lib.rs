//! The bottom layer every other crate stands on.
//!
//! - [`config`]: typed configuration per subsystem, read once from the environment;
//!   secrets are [`secrecy::SecretString`] so they never reach `Debug` or logs.
//! - [`domain`]: newtypes that parse untrusted input once, at the edge
//!   ([`IssueKey`], [`AccountId`], [`Email`], [`DateRange`]).
//! - [`contract`]: the JSON shapes of the HTTP contract and of the cache values.
//! - [`error`]: [`ApiError`], the one error a route answers with
//!   (`{ error, message, statusCode }`).
//! - [`event`]: the queue's event envelope.
//! - [`telemetry`]: tracing set-up shared by every binary.
//! - [`tls`]: the one TLS crypto provider (*ring*) every HTTPS client uses.
//! - [`webhook`]: what the webhook route hands the worker of a Jira delivery.

pub mod config;
pub mod contract;
pub mod domain;
pub mod error;
pub mod event;
pub mod telemetry;
pub mod tls;
pub mod webhook;

pub use domain::{AccountId, DateRange, Email, IssueId, IssueKey, ProjectKey, UserRef};
pub use error::ApiError;
