//! Clients of the outside services, each a small trait with one real implementation
//! whose base URL is configurable (tests point it at the test kit's fakes).
//!
//! - [`http`]: [`HttpClient`], the process's one HTTP client, built on first use and shared
//!   by the clients handed a clone; and the request runner: timeouts, and bounded retries of
//!   idempotent requests on 429/5xx/network failures honouring `Retry-After`.
//! - `traffic`: the governor of one site's requests ([`Governance`]): bounded concurrency
//!   and rate, back-off on throttle signals, slow recovery.
//! - [`error`]: [`ClientError`], classified by what the caller can do about it.
//! - [`jira`]: Jira Cloud REST v3 ([`JiraApi`]): issues, users (bulk and search), JQL search.
//! - [`jira_data`]: what the Jira data integrator reads ([`JiraData`]): issues by JQL with
//!   named fields, comments and worklogs (per issue and changed since a time), projects,
//!   boards, sprints and users, paced by Atlassian's rate-limit rules, every failure
//!   classified ([`JiraDataError`]).
//! - [`clockwork`]: the Clockwork Pro public API ([`ClockworkApi`]): worklogs, start and
//!   stop timers.
//! - [`report`]: the Clockwork report app ([`TimerReport`]): a short-lived credential from a
//!   browser session (Connect servlet or Forge), then every timer from `timers.json`.
//! - [`webhooks`]: Jira's webhook registration, the admin API ([`AdminWebhooks`], a site
//!   admin's token) and the dynamic one for OAuth 2.0 apps ([`DynamicWebhooks`], 30-day expiry).
//!
//! Clients know nothing of the cache: callers own caching policy.

pub mod clockwork;
pub mod error;
pub mod http;
pub mod jira;
pub mod jira_data;
pub mod report;
mod traffic;
pub mod webhooks;

pub use clockwork::{ClockworkApi, ClockworkClient};
pub use error::ClientError;
pub use http::{HttpClient, HttpOptions};
pub use jira::{JiraApi, JiraClient};
pub use jira_data::{DataOptions, ErrorCode, JiraData, JiraDataClient, JiraDataError};
pub use report::{
    ConnectReport, Credential, ForgeReport, RawTimer, ReportError, TimerReport, TimersPage,
};
pub use traffic::Governance;
pub use webhooks::{AdminWebhooks, DynamicWebhooks, WebhookUrl};
