//! [`JiraDataClient`], the real [`JiraData`]: which endpoint each read uses and how it pages.

use std::fmt;
use std::pin::Pin;
use std::task::Poll;

use async_trait::async_trait;
use clockwork_core::config::JiraConfig;
use clockwork_core::{AccountId, IssueId};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::issue::{CustomFields, WireSearchPage};
use super::{
    Board, CHANGELOG_PAGE, ChangedWorklogs, ChangelogPage, CommentPage, DataOptions, DataStatus,
    DataUser, DataWorklog, JiraData, JiraDataError, Project, SYNC_FIELDS, SearchPage, Sprint,
    WORKLOG_LIST_CHUNK, WorklogPage,
};
use crate::http::{HttpClient, Traffic};
use crate::jira::{BasicSite, USER_BULK_CHUNK};

/// Projects a page of `/project/search` holds at most.
const PROJECT_PAGE: u32 = 100;
/// Boards or sprints a page of the Agile API holds at most.
const AGILE_PAGE: u32 = 50;
/// Users a window of assignable search covers.
const ASSIGNABLE_PAGE: u32 = 100;
/// Assignable search never looks past the thousandth user.
const ASSIGNABLE_WINDOW: u32 = 1000;

/// The Jira data client: Basic auth (`ATLASSIAN_EMAIL:ATLASSIAN_API_TOKEN`), paced requests.
pub struct JiraDataClient {
    pub(super) http: HttpClient,
    pub(super) options: DataOptions,
    pub(super) site: BasicSite,
    pub(super) traffic: Traffic,
}

impl fmt::Debug for JiraDataClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JiraDataClient")
            .field("base_url", &self.site.base_url().as_str())
            .field("governance", &self.options.governance)
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

/// Runs every future at once and gives their outputs in their order.
async fn join_all<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + '_>>>) -> Vec<T> {
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending { Poll::Pending } else { Poll::Ready(()) }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// A `PageBean…` or Agile API page.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paged<T> {
    #[serde(default = "Vec::new")]
    values: Vec<T>,
    #[serde(default)]
    is_last: Option<bool>,
    #[serde(default)]
    total: Option<u64>,
}

impl<T> Paged<T> {
    /// Whether this page, starting at `start_at`, is the last.
    fn ends(&self, start_at: u64) -> bool {
        let reached = || self.total.is_none_or(|t| start_at + self.values.len() as u64 >= t);
        self.values.is_empty() || self.is_last.unwrap_or_else(reached)
    }
}

#[derive(Deserialize)]
struct Count {
    count: u64,
}

impl JiraDataClient {
    pub fn new(config: &JiraConfig, options: DataOptions) -> Self {
        Self {
            http: HttpClient::new(options.http.clone()),
            traffic: Traffic::new(&options.governance),
            options,
            site: BasicSite::new(config),
        }
    }

    fn custom_fields(&self) -> CustomFields<'_> {
        CustomFields {
            sprint: &self.options.sprint_field,
            story_points: &self.options.story_points_field,
        }
    }

    async fn page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        start_at: usize,
        page_size: u32,
    ) -> Result<Paged<T>, JiraDataError> {
        let mut query = query.to_vec();
        query.extend([("startAt", start_at.to_string()), ("maxResults", page_size.to_string())]);
        self.get(path, &query).await
    }

    /// The values of `first` and of every page after it.
    async fn rest_of_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        page_size: u32,
        first: Paged<T>,
    ) -> Result<Vec<T>, JiraDataError> {
        let mut ends = first.ends(0);
        let mut values = first.values;
        while !ends {
            let page: Paged<T> = self.page(path, query, values.len(), page_size).await?;
            ends = page.ends(values.len() as u64);
            values.extend(page.values);
        }
        Ok(values)
    }

    async fn all_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        page_size: u32,
    ) -> Result<Vec<T>, JiraDataError> {
        let first = self.page(path, query, 0, page_size).await?;
        self.rest_of_pages(path, query, page_size, first).await
    }

    async fn changed_worklogs(
        &self,
        path: &str,
        since_ms: i64,
    ) -> Result<ChangedWorklogs, JiraDataError> {
        self.get(path, &[("since", since_ms.to_string())]).await
    }
}

#[async_trait]
impl JiraData for JiraDataClient {
    fn requests(&self) -> u64 {
        self.traffic.requests()
    }

    #[tracing::instrument(skip_all)]
    async fn myself(&self) -> Result<DataUser, JiraDataError> {
        self.get("/rest/api/3/myself", &[]).await
    }

    #[tracing::instrument(skip_all)]
    async fn projects(&self) -> Result<Vec<Project>, JiraDataError> {
        let query = [("orderBy", "key".to_owned())];
        self.all_pages("/rest/api/3/project/search", &query, PROJECT_PAGE).await
    }

    #[tracing::instrument(skip_all, fields(max_results = max_results, next = next_page_token.is_some()))]
    async fn search(
        &self,
        jql: &str,
        fields: &[&str],
        max_results: u32,
        next_page_token: Option<&str>,
    ) -> Result<SearchPage, JiraDataError> {
        let mut body = json!({ "jql": jql, "fields": fields, "maxResults": max_results });
        if let Some(token) = next_page_token {
            body["nextPageToken"] = json!(token);
        }
        let path = "/rest/api/3/search/jql";
        let answer = self.post_answer(path, &body).await?;
        WireSearchPage::read(&format!("POST {path}"), &answer, fields, self.custom_fields())
    }

    #[tracing::instrument(skip_all)]
    async fn approximate_count(&self, jql: &str) -> Result<u64, JiraDataError> {
        let body = json!({ "jql": jql });
        let count: Count = self.post("/rest/api/3/search/approximate-count", &body).await?;
        Ok(count.count)
    }

    #[tracing::instrument(skip_all, fields(issue_id = %issue_id, start_at = start_at))]
    async fn issue_comments(
        &self,
        issue_id: &IssueId,
        start_at: u64,
        max_results: u32,
    ) -> Result<CommentPage, JiraDataError> {
        // `IssueId` admits only digits, so it is safe in a path segment as it is.
        let path = format!("/rest/api/3/issue/{issue_id}/comment");
        let query = [
            ("startAt", start_at.to_string()),
            ("maxResults", max_results.to_string()),
            ("orderBy", "created".to_owned()),
        ];
        self.get(&path, &query).await
    }

    #[tracing::instrument(skip_all, fields(issue_id = %issue_id, start_at = start_at))]
    async fn issue_worklogs(
        &self,
        issue_id: &IssueId,
        start_at: u64,
        max_results: u32,
    ) -> Result<WorklogPage, JiraDataError> {
        let path = format!("/rest/api/3/issue/{issue_id}/worklog");
        let query = [("startAt", start_at.to_string()), ("maxResults", max_results.to_string())];
        self.get(&path, &query).await
    }

    #[tracing::instrument(skip_all, fields(since_ms = since_ms))]
    async fn worklogs_updated(&self, since_ms: i64) -> Result<ChangedWorklogs, JiraDataError> {
        self.changed_worklogs("/rest/api/3/worklog/updated", since_ms).await
    }

    #[tracing::instrument(skip_all, fields(since_ms = since_ms))]
    async fn worklogs_deleted(&self, since_ms: i64) -> Result<ChangedWorklogs, JiraDataError> {
        self.changed_worklogs("/rest/api/3/worklog/deleted", since_ms).await
    }

    #[tracing::instrument(skip_all, fields(ids = ids.len()))]
    async fn worklogs_by_id(&self, ids: &[u64]) -> Result<Vec<DataWorklog>, JiraDataError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(WORKLOG_LIST_CHUNK) {
            let body = json!({ "ids": chunk });
            let worklogs: Vec<DataWorklog> = self.post("/rest/api/3/worklog/list", &body).await?;
            found.extend(worklogs);
        }
        Ok(found)
    }

    #[tracing::instrument(skip_all, fields(project_key = project_key))]
    async fn boards(&self, project_key: &str) -> Result<Vec<Board>, JiraDataError> {
        let query = [("projectKeyOrId", project_key.to_owned())];
        self.all_pages("/rest/agile/1.0/board", &query, AGILE_PAGE).await
    }

    #[tracing::instrument(skip_all, fields(board_id = board_id))]
    async fn sprints(&self, board_id: u64) -> Result<Vec<Sprint>, JiraDataError> {
        let path = format!("/rest/agile/1.0/board/{board_id}/sprint");
        let query = [("state", "future,active,closed".to_owned())];
        match self.page(&path, &query, 0, AGILE_PAGE).await {
            // Jira's way of saying that a (kanban) board does not use sprints.
            Err(error) if error.status == Some(400) => {
                tracing::info!(board_id, message = %error.message, "board without sprints");
                Ok(Vec::new())
            }
            first => self.rest_of_pages(&path, &query, AGILE_PAGE, first?).await,
        }
    }

    #[tracing::instrument(skip_all, fields(project_key = project_key))]
    async fn assignable_users(&self, project_key: &str) -> Result<Vec<DataUser>, JiraDataError> {
        // Jira takes each window of all users and keeps those who may be assigned, so short
        // and even empty pages say nothing about the next: read every window it will serve,
        // all at once (the governor bounds how many are in flight).
        let windows = (0..ASSIGNABLE_WINDOW).step_by(ASSIGNABLE_PAGE as usize).map(|start_at| {
            let query = [
                ("project", project_key.to_owned()),
                ("startAt", start_at.to_string()),
                ("maxResults", ASSIGNABLE_PAGE.to_string()),
            ];
            Box::pin(async move {
                self.get::<Vec<DataUser>>("/rest/api/3/user/assignable/search", &query).await
            })
                as Pin<Box<dyn Future<Output = Result<Vec<DataUser>, JiraDataError>> + Send + '_>>
        });
        let mut users = Vec::new();
        for page in join_all(windows.collect()).await {
            users.extend(page?);
        }
        Ok(users)
    }

    #[tracing::instrument(skip_all, fields(ids = account_ids.len()))]
    async fn users(&self, account_ids: &[AccountId]) -> Result<Vec<DataUser>, JiraDataError> {
        let mut found = Vec::with_capacity(account_ids.len());
        for chunk in account_ids.chunks(USER_BULK_CHUNK) {
            let query: Vec<(&str, String)> =
                chunk.iter().map(|id| ("accountId", id.to_string())).collect();
            // `page` sets maxResults: without it Jira answers only 10 users.
            let users = self.all_pages("/rest/api/3/user/bulk", &query, chunk.len() as u32).await?;
            found.extend(users);
        }
        Ok(found)
    }

    #[tracing::instrument(skip_all, fields(issues = issue_ids.len(), next = next_page_token.is_some()))]
    async fn changelogs(
        &self,
        issue_ids: &[IssueId],
        field_ids: &[&str],
        next_page_token: Option<&str>,
    ) -> Result<ChangelogPage, JiraDataError> {
        let ids: Vec<&str> = issue_ids.iter().map(IssueId::as_str).collect();
        let mut body = json!({ "issueIdsOrKeys": ids, "maxResults": CHANGELOG_PAGE });
        if !field_ids.is_empty() {
            body["fieldIds"] = json!(field_ids);
        }
        if let Some(token) = next_page_token {
            body["nextPageToken"] = json!(token);
        }
        self.post("/rest/api/3/changelog/bulkfetch", &body).await
    }

    #[tracing::instrument(skip_all)]
    async fn statuses(&self) -> Result<Vec<DataStatus>, JiraDataError> {
        self.get("/rest/api/3/status", &[]).await
    }

    fn sync_fields(&self) -> Vec<&str> {
        let mut fields = SYNC_FIELDS.to_vec();
        fields.extend([self.options.sprint_field.as_str(), &self.options.story_points_field]);
        fields
    }
}
