//! [`TimedJira`]: the data client with a stopwatch, so a run's wall time splits into waiting
//! on Jira and everything else (normalizing, the store's writes).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use clockwork_clients::jira_data::{
    Board, ChangedWorklogs, ChangelogPage, CommentPage, DataStatus, DataUser, DataWorklog,
    JiraData, JiraDataClient, JiraDataError, Project, SearchPage, Sprint, WorklogPage,
};
use clockwork_core::{AccountId, IssueId};

/// Passes every call to the client and adds up the time until each answer.
#[derive(Debug)]
pub struct TimedJira {
    client: Arc<JiraDataClient>,
    waited_ns: AtomicU64,
}

impl TimedJira {
    pub fn new(client: Arc<JiraDataClient>) -> Self {
        Self { client, waited_ns: AtomicU64::new(0) }
    }

    /// Time spent in calls so far. The trait's paging methods (`all_issue_comments`, …)
    /// are left to their defaults, which call the timed ones, so nothing counts twice.
    pub fn waited(&self) -> Duration {
        Duration::from_nanos(self.waited_ns.load(Ordering::Relaxed))
    }

    async fn timed<T>(&self, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let answer = call.await;
        let ns = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.waited_ns.fetch_add(ns, Ordering::Relaxed);
        answer
    }
}

#[async_trait]
impl JiraData for TimedJira {
    fn requests(&self) -> u64 {
        self.client.requests()
    }

    async fn myself(&self) -> Result<DataUser, JiraDataError> {
        self.timed(self.client.myself()).await
    }

    async fn projects(&self) -> Result<Vec<Project>, JiraDataError> {
        self.timed(self.client.projects()).await
    }

    async fn search(
        &self,
        jql: &str,
        fields: &[&str],
        max_results: u32,
        next_page_token: Option<&str>,
    ) -> Result<SearchPage, JiraDataError> {
        self.timed(self.client.search(jql, fields, max_results, next_page_token)).await
    }

    async fn approximate_count(&self, jql: &str) -> Result<u64, JiraDataError> {
        self.timed(self.client.approximate_count(jql)).await
    }

    async fn issue_comments(
        &self,
        issue_id: &IssueId,
        start_at: u64,
        max_results: u32,
    ) -> Result<CommentPage, JiraDataError> {
        self.timed(self.client.issue_comments(issue_id, start_at, max_results)).await
    }

    async fn issue_worklogs(
        &self,
        issue_id: &IssueId,
        start_at: u64,
        max_results: u32,
    ) -> Result<WorklogPage, JiraDataError> {
        self.timed(self.client.issue_worklogs(issue_id, start_at, max_results)).await
    }

    async fn worklogs_updated(&self, since_ms: i64) -> Result<ChangedWorklogs, JiraDataError> {
        self.timed(self.client.worklogs_updated(since_ms)).await
    }

    async fn worklogs_deleted(&self, since_ms: i64) -> Result<ChangedWorklogs, JiraDataError> {
        self.timed(self.client.worklogs_deleted(since_ms)).await
    }

    async fn worklogs_by_id(&self, ids: &[u64]) -> Result<Vec<DataWorklog>, JiraDataError> {
        self.timed(self.client.worklogs_by_id(ids)).await
    }

    async fn boards(&self, project_key: &str) -> Result<Vec<Board>, JiraDataError> {
        self.timed(self.client.boards(project_key)).await
    }

    async fn sprints(&self, board_id: u64) -> Result<Vec<Sprint>, JiraDataError> {
        self.timed(self.client.sprints(board_id)).await
    }

    async fn assignable_users(&self, project_key: &str) -> Result<Vec<DataUser>, JiraDataError> {
        self.timed(self.client.assignable_users(project_key)).await
    }

    async fn changelogs(
        &self,
        issue_ids: &[IssueId],
        field_ids: &[&str],
        next_page_token: Option<&str>,
    ) -> Result<ChangelogPage, JiraDataError> {
        self.timed(self.client.changelogs(issue_ids, field_ids, next_page_token)).await
    }

    async fn statuses(&self) -> Result<Vec<DataStatus>, JiraDataError> {
        self.timed(self.client.statuses()).await
    }

    async fn users(&self, account_ids: &[AccountId]) -> Result<Vec<DataUser>, JiraDataError> {
        self.timed(self.client.users(account_ids)).await
    }

    fn sync_fields(&self) -> Vec<&str> {
        self.client.sync_fields()
    }
}
