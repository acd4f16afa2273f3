//! The Jira data integrator's client: everything a project sync reads from Jira Cloud, behind
//! [`JiraData`] so the sync engine can be tested against fakes at the trait level too.
//!
//! - [`JiraDataClient`]: the real client. Every request goes through the shared runner in
//!   [`crate::http`] under the site's governor ([`Governance`] in [`DataOptions`]): bounded
//!   concurrency and rate, a pause and halved concurrency after `X-RateLimit-NearLimit` or
//!   a 429, `Retry-After`/`X-RateLimit-Reset` honoured, three attempts with jittered
//!   back-off; it counts the requests it makes.
//! - `classify`: [`JiraDataError`], every failure as an [`ErrorCode`] with advice.
//! - `issue` and `types`: what the calls return ([`DataIssue`], [`DataComment`], …), read
//!   tolerantly; `adf` reads Atlassian Document Format bodies as their text needs them ([`Adf`]); `time` reads
//!   Jira's timestamps; `changelog` reads issues' change histories ([`ChangelogPage`]);
//!   `jql` writes the sync's JQL ([`project_issues_jql`],
//!   [`issues_by_id_jql`]); `drift` compares a sample of each search page with what the
//!   client reads ([`SchemaDrift`]).

mod adf;
mod changelog;
mod classify;
mod client;
mod drift;
mod issue;
mod jql;
mod time;
mod transport;
mod types;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use clockwork_core::{AccountId, IssueId};

use crate::http::HttpOptions;
pub use crate::traffic::Governance;
pub use adf::Adf;
pub use changelog::{
    ChangeHistory, ChangeItem, ChangelogPage, DataStatus, DataStatusCategory, IssueChangelog,
};
pub use classify::{ErrorCode, JiraDataError};
pub use client::JiraDataClient;
use clockwork_core::config::{ConfigError, Lookup, process_env};
pub use drift::{DriftEntity, DriftKind, SchemaDrift};
pub use issue::{DataIssue, IssueProject, SYNC_FIELDS, SearchPage};
pub use jql::{
    IdRange, issues_by_id_jql, partition_issues_jql, project_ids_jql, project_issues_jql,
};
pub use types::{
    Board, ChangeFeed, ChangedWorklog, ChangedWorklogs, CommentPage, DataComment, DataUser,
    DataWorklog, Project, Sprint, WorklogChanges, WorklogPage,
};

/// The sprint custom field on most Cloud sites.
pub const DEFAULT_SPRINT_FIELD: &str = "customfield_10020";
/// The story-point estimate custom field on most Cloud sites.
pub const DEFAULT_STORY_POINTS_FIELD: &str = "customfield_10016";
/// Comments a page of an issue's comments holds at most.
pub const COMMENT_PAGE: u32 = 100;
/// Worklogs a page of an issue's worklogs holds at most.
pub const WORKLOG_PAGE: u32 = 5000;
/// Ids per `POST /worklog/list`.
pub const WORKLOG_LIST_CHUNK: usize = 1000;
/// Issues per `POST /changelog/bulkfetch`, Jira's limit.
pub const CHANGELOG_ISSUES: usize = 1000;
/// Histories a page of `POST /changelog/bulkfetch` is asked for: Jira's largest page
/// (its default is 1,000), so the histories of a thousand issues mostly fit in one.
pub const CHANGELOG_PAGE: u32 = 10_000;
/// Fields a bulk changelog request may filter on at most.
pub const CHANGELOG_FIELDS: usize = 10;

/// How the data client talks to Jira.
#[derive(Debug, Clone)]
pub struct DataOptions {
    /// Timeouts, attempts (three) and back-off.
    pub http: HttpOptions,
    /// The site's limits, across every call of the client: concurrency, rate, back-off.
    pub governance: Governance,
    /// The custom field holding an issue's sprints.
    pub sprint_field: String,
    /// The custom field holding an issue's story points.
    pub story_points_field: String,
}

impl Default for DataOptions {
    fn default() -> Self {
        Self {
            // Searches with comments and worklogs embedded can take a while; throttled
            // answers may ask for longer waits than interactive routes accept.
            http: HttpOptions {
                timeout: Duration::from_secs(30),
                max_retry_wait: Duration::from_secs(30),
                ..HttpOptions::default()
            },
            governance: Governance::default(),
            sprint_field: DEFAULT_SPRINT_FIELD.to_owned(),
            story_points_field: DEFAULT_STORY_POINTS_FIELD.to_owned(),
        }
    }
}

impl DataOptions {
    /// The defaults, with `JIRA_SYNC_CONCURRENCY` (requests in flight at most, default 4)
    /// and `JIRA_MAX_REQUESTS_PER_SECOND` (a cap on the request rate; none by default) when
    /// set.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let mut options = Self::default();
        if let Some(text) = env(CONCURRENCY_VAR) {
            options.governance.max_concurrency = concurrency(&text)?;
        }
        if let Some(text) = env("JIRA_MAX_REQUESTS_PER_SECOND") {
            let rate = text.trim().parse::<f64>().ok().filter(|r| r.is_finite() && *r > 0.0);
            let rate = rate.ok_or_else(|| ConfigError::Invalid {
                name: "JIRA_MAX_REQUESTS_PER_SECOND",
                reason: format!("{text:?} is not a positive number of requests, e.g. 10"),
            })?;
            options.governance.max_per_second = Some(rate);
        }
        Ok(options)
    }
}

/// The variable naming how many requests a sync keeps in flight against its site.
pub const CONCURRENCY_VAR: &str = "JIRA_SYNC_CONCURRENCY";

/// `JIRA_SYNC_CONCURRENCY`'s value: a whole number from 1 to 64.
pub fn concurrency(text: &str) -> Result<usize, ConfigError> {
    text.trim().parse::<usize>().ok().filter(|n| (1..=64).contains(n)).ok_or_else(|| {
        ConfigError::Invalid {
            name: CONCURRENCY_VAR,
            reason: format!("{text:?} is not a whole number from 1 to 64, e.g. 4"),
        }
    })
}

/// The Jira reads of a project sync.
#[async_trait]
pub trait JiraData: Send + Sync + fmt::Debug {
    /// Requests sent so far by this client (retries included): what a sync reports.
    fn requests(&self) -> u64;

    /// The account the credentials act as (its `time_zone` is the zone JQL dates are read in).
    async fn myself(&self) -> Result<DataUser, JiraDataError>;

    /// Every project the account can see (all pages of `/project/search`).
    async fn projects(&self) -> Result<Vec<Project>, JiraDataError>;

    /// One page of `POST /search/jql` with the named `fields`.
    async fn search(
        &self,
        jql: &str,
        fields: &[&str],
        max_results: u32,
        next_page_token: Option<&str>,
    ) -> Result<SearchPage, JiraDataError>;

    /// Jira's estimate of how many issues `jql` matches.
    async fn approximate_count(&self, jql: &str) -> Result<u64, JiraDataError>;

    /// One page of an issue's comments, oldest first.
    async fn issue_comments(
        &self,
        issue_id: &IssueId,
        start_at: u64,
        max_results: u32,
    ) -> Result<CommentPage, JiraDataError>;

    /// One page of an issue's worklogs, oldest first.
    async fn issue_worklogs(
        &self,
        issue_id: &IssueId,
        start_at: u64,
        max_results: u32,
    ) -> Result<WorklogPage, JiraDataError>;

    /// One page of worklogs changed at or after `since_ms`.
    async fn worklogs_updated(&self, since_ms: i64) -> Result<ChangedWorklogs, JiraDataError>;

    /// One page of worklogs deleted at or after `since_ms`.
    async fn worklogs_deleted(&self, since_ms: i64) -> Result<ChangedWorklogs, JiraDataError>;

    /// Worklogs by id, [`WORKLOG_LIST_CHUNK`] a request; unknown ids are absent.
    async fn worklogs_by_id(&self, ids: &[u64]) -> Result<Vec<DataWorklog>, JiraDataError>;

    /// Every board of a project.
    async fn boards(&self, project_key: &str) -> Result<Vec<Board>, JiraDataError>;

    /// Every sprint of a board (future, active and closed); empty for a board without sprints.
    async fn sprints(&self, board_id: u64) -> Result<Vec<Sprint>, JiraDataError>;

    /// Everyone who may be assigned issues of a project.
    async fn assignable_users(&self, project_key: &str) -> Result<Vec<DataUser>, JiraDataError>;

    /// Users by account id, in chunks; unknown ids are absent.
    async fn users(&self, account_ids: &[AccountId]) -> Result<Vec<DataUser>, JiraDataError>;

    /// One page of `POST /changelog/bulkfetch`: the histories of up to [`CHANGELOG_ISSUES`]
    /// issues, oldest first, with only the items of `field_ids` (every field when empty; at
    /// most [`CHANGELOG_FIELDS`]).
    async fn changelogs(
        &self,
        issue_ids: &[IssueId],
        field_ids: &[&str],
        next_page_token: Option<&str>,
    ) -> Result<ChangelogPage, JiraDataError>;

    /// Every status of the site's workflows, with its category.
    async fn statuses(&self) -> Result<Vec<DataStatus>, JiraDataError>;

    /// Every history of these issues, [`CHANGELOG_ISSUES`] issues a request, page after page;
    /// one entry per issue with histories, oldest first.
    async fn all_changelogs(
        &self,
        issue_ids: &[IssueId],
        field_ids: &[&str],
    ) -> Result<Vec<IssueChangelog>, JiraDataError> {
        let mut issues: Vec<IssueChangelog> = Vec::new();
        let mut slots: HashMap<String, usize> = HashMap::new();
        for chunk in issue_ids.chunks(CHANGELOG_ISSUES) {
            let mut token: Option<String> = None;
            loop {
                let page = self.changelogs(chunk, field_ids, token.as_deref()).await?;
                for log in page.issue_change_logs {
                    match slots.get(&log.issue_id) {
                        Some(&slot) => issues[slot].change_histories.extend(log.change_histories),
                        None => {
                            slots.insert(log.issue_id.clone(), issues.len());
                            issues.push(log);
                        }
                    }
                }
                match page.next_page_token {
                    Some(next) if token.as_ref() != Some(&next) => token = Some(next),
                    _ => break,
                }
            }
        }
        Ok(issues)
    }

    /// The fields a sync names: [`SYNC_FIELDS`] and the sprint and story-point fields.
    fn sync_fields(&self) -> Vec<&str> {
        let mut fields = SYNC_FIELDS.to_vec();
        fields.extend([DEFAULT_SPRINT_FIELD, DEFAULT_STORY_POINTS_FIELD]);
        fields
    }

    /// Every comment of an issue, page after page.
    async fn all_issue_comments(
        &self,
        issue_id: &IssueId,
    ) -> Result<Vec<DataComment>, JiraDataError> {
        let mut comments = Vec::new();
        loop {
            let page = self.issue_comments(issue_id, comments.len() as u64, COMMENT_PAGE).await?;
            let last = page.is_last();
            comments.extend(page.comments);
            if last {
                return Ok(comments);
            }
        }
    }

    /// Every worklog of an issue, page after page.
    async fn all_issue_worklogs(
        &self,
        issue_id: &IssueId,
    ) -> Result<Vec<DataWorklog>, JiraDataError> {
        let mut worklogs = Vec::new();
        loop {
            let page = self.issue_worklogs(issue_id, worklogs.len() as u64, WORKLOG_PAGE).await?;
            let last = page.is_last();
            worklogs.extend(page.worklogs);
            if last {
                return Ok(worklogs);
            }
        }
    }

    /// Every change of a feed after `since_ms`, each worklog once, following `until` from
    /// page to page; `next_since` is the last page's `until`, never the clock.
    ///
    /// A feed lists changes at or after `since`, so a run starting from the previous run's
    /// `until` is answered that millisecond's changes again. They are left out: the last
    /// page of the previous run held them all (it was not cut short, and the feed holds
    /// back only the last minute), so reading them again would cost a `worklog/list` on
    /// every run, with nothing new in it.
    async fn worklog_changes(
        &self,
        feed: ChangeFeed,
        since_ms: i64,
    ) -> Result<WorklogChanges, JiraDataError> {
        let mut since = since_ms;
        let mut seen = HashSet::new();
        let mut values = Vec::new();
        loop {
            let page = match feed {
                ChangeFeed::Updated => self.worklogs_updated(since).await?,
                ChangeFeed::Deleted => self.worklogs_deleted(since).await?,
            };
            let fresh = page.values.iter().filter(|v| v.updated_time > since_ms);
            values.extend(fresh.filter(|v| seen.insert(v.worklog_id)).copied());
            match page.next_since(since) {
                Some(next) => {
                    if page.values.iter().all(|v| v.updated_time <= since) {
                        tracing::warn!(
                            since,
                            ?feed,
                            "a full page of worklog changes shares one millisecond; moving past it"
                        );
                    }
                    since = next;
                }
                None => return Ok(WorklogChanges { values, next_since: page.cursor(since) }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(vars: &[(&str, &str)]) -> Result<DataOptions, ConfigError> {
        let lookup = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
        DataOptions::from_lookup(&lookup)
    }

    #[test]
    fn the_sync_concurrency_and_request_rate_come_from_the_environment() {
        let defaults = options(&[]).unwrap().governance;
        assert_eq!((defaults.max_concurrency, defaults.max_per_second), (4, None));
        let set = options(&[(CONCURRENCY_VAR, " 8 "), ("JIRA_MAX_REQUESTS_PER_SECOND", "2.5")]);
        let set = set.unwrap().governance;
        assert_eq!((set.max_concurrency, set.max_per_second), (8, Some(2.5)));
        for (name, value) in [
            (CONCURRENCY_VAR, "0"),
            (CONCURRENCY_VAR, "65"),
            (CONCURRENCY_VAR, "four"),
            ("JIRA_MAX_REQUESTS_PER_SECOND", "0"),
            ("JIRA_MAX_REQUESTS_PER_SECOND", "-1"),
            ("JIRA_MAX_REQUESTS_PER_SECOND", "inf"),
        ] {
            let error = options(&[(name, value)]).expect_err(value);
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
