//! One module per route; each exposes `handle` (or its routes by name: `start`/`stop`,
//! `resolve`, `validate`).

pub mod health;
pub mod issue;
pub mod issue_search;
pub mod openapi;
pub mod runs;
pub mod settings;
pub mod sync;
pub mod timer_control;
pub mod timers_active;
pub mod users;
pub mod webhooks;
pub mod worklogs;
