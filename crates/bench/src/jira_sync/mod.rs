//! Pieces of `bench-jira-sync`: the data client pointed at a loopback fake Jira, timed
//! ([`timed`]), and the fake's request counts per endpoint; a fresh store for each run
//! ([`scratch`]); the per-issue baseline connector ([`baseline`]); the sequential best, the
//! search's pages fetched back to back ([`sequential`]); a run's figures ([`run`]) and the
//! printed summary ([`report`]).

pub mod baseline;
pub mod report;
pub mod run;
pub mod scratch;
pub mod sequential;
pub mod timed;

use std::sync::Arc;

use anyhow::{Context, Result};
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_core::config::JiraConfig;
use clockwork_testkit::jira::FakeJira;
use secrecy::SecretString;

use crate::jira_sync::timed::TimedJira;

/// The credentials the fake accepts.
pub const EMAIL: &str = "bench@acme.example";
pub const API_TOKEN: &str = "bench-token";
/// The synced project.
pub const PROJECT: &str = "KAN";

/// The endpoints a sync calls, with the names the bench prints.
const ENDPOINTS: [(&str, &str); 12] = [
    ("search", "POST /rest/api/3/search/jql"),
    ("count", "POST /rest/api/3/search/approximate-count"),
    ("comments", "GET /rest/api/3/issue/{issueIdOrKey}/comment"),
    ("worklogs", "GET /rest/api/3/issue/{issueIdOrKey}/worklog"),
    ("worklog/updated", "GET /rest/api/3/worklog/updated"),
    ("worklog/deleted", "GET /rest/api/3/worklog/deleted"),
    ("worklog/list", "POST /rest/api/3/worklog/list"),
    ("changelogs", "POST /rest/api/3/changelog/bulkfetch"),
    ("statuses", "GET /rest/api/3/status"),
    ("boards", "GET /rest/agile/1.0/board"),
    ("sprints", "GET /rest/agile/1.0/board/{boardId}/sprint"),
    ("assignable users", "GET /rest/api/3/user/assignable/search"),
];

/// The data client with the production options, against the site at `base_url`, timed.
pub fn data_client(base_url: &str) -> Result<Arc<TimedJira>> {
    let config = JiraConfig {
        base_url: base_url.parse().with_context(|| format!("bad Jira URL {base_url}"))?,
        email: EMAIL.to_owned(),
        api_token: SecretString::from(API_TOKEN),
    };
    let client = JiraDataClient::new(&config, DataOptions::default());
    Ok(Arc::new(TimedJira::new(Arc::new(client))))
}

/// The requests `jira` received since its counts were reset, per endpoint, e.g.
/// `search 100, boards 1`; endpoints not listed above are summed as `other`.
pub fn requests_by_endpoint(jira: &FakeJira) -> String {
    let mut parts = Vec::new();
    let mut listed = 0;
    for (name, endpoint) in ENDPOINTS {
        let count = jira.requests(endpoint);
        listed += count;
        if count > 0 {
            parts.push(format!("{name} {count}"));
        }
    }
    let other = jira.total_requests().saturating_sub(listed);
    if other > 0 {
        parts.push(format!("other {other}"));
    }
    if parts.is_empty() { "none".to_owned() } else { parts.join(", ") }
}
