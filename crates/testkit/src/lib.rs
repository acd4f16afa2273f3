//! Stateful fake servers for tests, benchmarks and `clockwork-local serve --demo`.
//!
//! They reuse none of the clients' types: their shapes come from Atlassian's OpenAPI documents
//! and the reference notes, so a misunderstanding of an API cannot hide by being made twice.
//!
//! - [`faults`]: what every fake shares: serving on port 0, per-endpoint request counts keyed
//!   `"METHOD /path/template"`, injected faults ([`Fault`]) and added latency.
//! - [`jira`]: [`FakeJira`], Jira Cloud REST v3 (users, issues, `search/jql` with a JQL subset),
//!   and the webhook deliveries Jira Cloud sends ([`jira::WebhookEvent`]).
//! - [`clockwork`]: [`FakeClockwork`], the Clockwork Pro public API (worklogs, start and stop).
//! - [`upstash`]: a fake Upstash REST server.
//! - [`redis_db`]: a Redis database leased to one test, for the architecture's fixed keys.
//! - [`moto`]: fresh queues on the local SQS-compatible server.
//! - [`proxy`]: a TCP fault proxy (stall, slow, cut, down) in front of a real server.
//! - [`databases`]: a throwaway SQLite or Postgres database a test, and
//!   [`on_both_databases!`] to run a rule on each.
//! - [`python`]: the interpreter of the tests that run a Python program.
//! - [`smtp`]: [`SmtpSink`], a real SMTP server (aiosmtpd) that keeps every mail it receives.
//! - [`receiver`]: [`WebhookReceiver`], records webhook POSTs and answers with queued failures.
//! - [`demo`]: both fakes seeded with sample people, projects, issues, timers and worklogs.

pub mod clockwork;
pub mod databases;
pub mod demo;
pub mod faults;
pub mod jira;
pub mod moto;
pub mod proxy;
pub mod python;
pub mod receiver;
pub mod redis_db;
pub mod smtp;
pub mod upstash;

pub use clockwork::{FakeAuthor, FakeClockwork, FakeTimer, FakeWorklog};
pub use demo::{Demo, start_demo};
pub use faults::Fault;
pub use jira::{
    FakeAdminWebhook, FakeDynamicWebhook, FakeIssue, FakeJira, FakeProject, FakeUser, WebhookEvent,
};
pub use receiver::{ReceivedRequest, WebhookReceiver};
pub use smtp::{ReceivedMail, SmtpSink};

/// A plain HTTP client for tests and benchmarks that talk to the fakes. reqwest brings no
/// TLS provider of its own here, so the process's is installed first.
pub fn http_client() -> reqwest::Client {
    clockwork_core::tls::install_crypto_provider();
    reqwest::Client::new()
}
