//! Jira Cloud REST v3 with Basic auth (`ATLASSIAN_EMAIL:ATLASSIAN_API_TOKEN`).

use std::fmt;

use async_trait::async_trait;
use clockwork_core::config::JiraConfig;
use clockwork_core::contract::{Author, CachedJiraUser, IssueDetails, ProjectRef};
use clockwork_core::{AccountId, IssueId, IssueKey};
use serde::Deserialize;

use crate::ClientError;
use crate::http::{HttpClient, Idempotency, send_json};

mod site;
mod wire;

pub use site::BasicSite;

use wire::{SearchPage, UserPage, WireIssue};

/// Ids per `/user/bulk` call; public clients use 50 and Jira documents no maximum.
pub const USER_BULK_CHUNK: usize = 50;
/// Ids per batched JQL lookup: keeps the JQL short and one page long.
pub const SEARCH_ID_CHUNK: usize = 100;
const ISSUE_FIELDS: &str = "summary,status,project,assignee,priority";

/// The Jira operations the routes and the worker use.
#[async_trait]
pub trait JiraApi: Send + Sync + fmt::Debug {
    /// One issue; `NotFound` when it does not exist or is not visible.
    async fn issue(&self, key: &IssueKey) -> Result<IssueDetails, ClientError>;

    /// Many issues by id through JQL search, `SEARCH_ID_CHUNK` ids a request; ids Jira does
    /// not know are absent from the answer.
    async fn issues_by_id(&self, ids: &[IssueId]) -> Result<Vec<IssueDetails>, ClientError>;

    /// The first page, at most `max_results` issues, that `jql` finds, in its order.
    async fn search_issues(
        &self,
        jql: &str,
        max_results: usize,
    ) -> Result<Vec<IssueDetails>, ClientError>;

    /// Active users whose display name or email starts with `query` (`/user/search`), at
    /// most `max_results`. Jira leaves out the email of users who hide it.
    async fn find_users(
        &self,
        query: &str,
        max_results: usize,
    ) -> Result<Vec<JiraUser>, ClientError>;

    /// One user; `NotFound` when unknown.
    async fn user(&self, account_id: &AccountId) -> Result<JiraUser, ClientError>;

    /// Many users through `/user/bulk`, `USER_BULK_CHUNK` ids a request; unknown ids are
    /// absent from the answer.
    async fn users(&self, account_ids: &[AccountId]) -> Result<Vec<JiraUser>, ClientError>;
}

/// A Jira user; `email_address` is `None` when the user's privacy settings hide it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JiraUser {
    pub account_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email_address: Option<String>,
    #[serde(default)]
    pub avatar_urls: AvatarUrls,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// A user's avatars by size (`avatarUrls`), read as fields rather than a map: a sync reads
/// a user for every author of every comment and worklog.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct AvatarUrls {
    #[serde(default, rename = "48x48")]
    pub large: Option<String>,
    #[serde(default, rename = "32x32")]
    pub medium: Option<String>,
    #[serde(default, rename = "24x24")]
    pub small: Option<String>,
    #[serde(default, rename = "16x16")]
    pub xsmall: Option<String>,
}

impl JiraUser {
    /// The largest avatar Jira offers.
    pub fn avatar_url(&self) -> Option<&str> {
        let urls = &self.avatar_urls;
        [&urls.large, &urls.medium, &urls.small, &urls.xsmall]
            .into_iter()
            .flatten()
            .next()
            .map(String::as_str)
    }

    /// The entry kept under `jira:user:<accountId>`.
    pub fn to_cached(&self) -> CachedJiraUser {
        CachedJiraUser {
            account_id: self.account_id.clone(),
            email_address: self.email_address.clone().unwrap_or_default(),
            display_name: self.display_name.clone().unwrap_or_default(),
            avatar_url: self.avatar_url().unwrap_or_default().to_owned(),
            time_zone: self.time_zone.clone().filter(|zone| !zone.is_empty()),
        }
    }

    fn into_author(self) -> Author {
        Author {
            avatar_url: self.avatar_url().map(str::to_owned),
            email_address: self.email_address.filter(|email| !email.is_empty()),
            display_name: self.display_name,
            account_id: self.account_id,
        }
    }
}

#[derive(Debug)]
pub struct JiraClient {
    http: HttpClient,
    site: BasicSite,
}

impl JiraClient {
    /// Sends with `http`, which other clients of the process may share.
    pub fn new(config: &JiraConfig, http: HttpClient) -> Self {
        Self { http, site: BasicSite::new(config) }
    }

    fn url(&self, path: &str) -> String {
        self.site.url(path)
    }

    fn get(&self, http: &reqwest::Client, path: &str) -> reqwest::RequestBuilder {
        self.site.authed(http.get(self.url(path)))
    }

    /// One page of a JQL search with the issue fields the routes show.
    async fn search_page(
        &self,
        jql: &str,
        max_results: usize,
        next_page_token: Option<String>,
    ) -> Result<SearchPage, ClientError> {
        let body = serde_json::json!({
            "jql": jql,
            "fields": ISSUE_FIELDS.split(',').collect::<Vec<_>>(),
            "maxResults": max_results,
            "nextPageToken": next_page_token,
        });
        // A search only reads, so it is as safe to repeat as a GET.
        send_json("jira", &self.http, Idempotency::Idempotent, |http| {
            self.site.authed(http.post(self.url("/rest/api/3/search/jql"))).json(&body)
        })
        .await
    }

    fn browse_url(&self, key: &str) -> String {
        self.url(&format!("/browse/{key}"))
    }

    fn details(&self, issue: WireIssue) -> IssueDetails {
        let fields = issue.fields;
        IssueDetails {
            url: self.browse_url(&issue.key),
            key: issue.key,
            id: issue.id,
            summary: fields.summary.unwrap_or_default(),
            status: fields.status.map(|s| s.name).unwrap_or_default(),
            project: fields.project.map_or_else(
                || ProjectRef {
                    id: String::new(),
                    key: String::new(),
                    name: String::new(),
                    avatar_url: None,
                },
                |p| ProjectRef {
                    avatar_url: ["48x48", "32x32"]
                        .iter()
                        .find_map(|s| p.avatar_urls.get(*s))
                        .cloned(),
                    id: p.id,
                    key: p.key,
                    name: p.name,
                },
            ),
            assignee: fields.assignee.map(JiraUser::into_author),
            priority: fields.priority.map(|p| p.name),
        }
    }
}

#[async_trait]
impl JiraApi for JiraClient {
    #[tracing::instrument(skip_all, fields(key = %key))]
    async fn issue(&self, key: &IssueKey) -> Result<IssueDetails, ClientError> {
        // `IssueKey` admits only [A-Z0-9_-], so it is safe in a path segment as it is.
        let path = format!("/rest/api/3/issue/{key}");
        let issue: WireIssue = send_json("jira", &self.http, Idempotency::Idempotent, |http| {
            self.get(http, &path).query(&[("fields", ISSUE_FIELDS)])
        })
        .await?;
        Ok(self.details(issue))
    }

    #[tracing::instrument(skip_all, fields(ids = ids.len()))]
    async fn issues_by_id(&self, ids: &[IssueId]) -> Result<Vec<IssueDetails>, ClientError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(SEARCH_ID_CHUNK) {
            let list: Vec<&str> = chunk.iter().map(IssueId::as_str).collect();
            let jql = format!("id in ({})", list.join(","));
            let mut next_page_token: Option<String> = None;
            loop {
                let page = self.search_page(&jql, SEARCH_ID_CHUNK, next_page_token).await?;
                found.extend(page.issues.into_iter().map(|issue| self.details(issue)));
                match page.next_page_token {
                    Some(token) if page.is_last != Some(true) => next_page_token = Some(token),
                    _ => break,
                }
            }
        }
        Ok(found)
    }

    #[tracing::instrument(skip_all, fields(max_results = max_results))]
    async fn search_issues(
        &self,
        jql: &str,
        max_results: usize,
    ) -> Result<Vec<IssueDetails>, ClientError> {
        let page = self.search_page(jql, max_results, None).await?;
        Ok(page.issues.into_iter().take(max_results).map(|issue| self.details(issue)).collect())
    }

    #[tracing::instrument(skip_all, fields(max_results = max_results))]
    async fn find_users(
        &self,
        query: &str,
        max_results: usize,
    ) -> Result<Vec<JiraUser>, ClientError> {
        let max_results = max_results.to_string();
        send_json("jira", &self.http, Idempotency::Idempotent, |http| {
            self.get(http, "/rest/api/3/user/search")
                .query(&[("query", query), ("maxResults", max_results.as_str())])
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    async fn user(&self, account_id: &AccountId) -> Result<JiraUser, ClientError> {
        send_json("jira", &self.http, Idempotency::Idempotent, |http| {
            self.get(http, "/rest/api/3/user").query(&[("accountId", account_id.as_str())])
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(ids = account_ids.len()))]
    async fn users(&self, account_ids: &[AccountId]) -> Result<Vec<JiraUser>, ClientError> {
        let mut found = Vec::with_capacity(account_ids.len());
        for chunk in account_ids.chunks(USER_BULK_CHUNK) {
            let mut start_at = 0;
            loop {
                // Without maxResults Jira answers only 10 users, whatever was asked for.
                let mut query: Vec<(&str, String)> = vec![
                    ("maxResults", chunk.len().to_string()),
                    ("startAt", start_at.to_string()),
                ];
                query.extend(chunk.iter().map(|id| ("accountId", id.to_string())));
                let page: UserPage =
                    send_json("jira", &self.http, Idempotency::Idempotent, |http| {
                        self.get(http, "/rest/api/3/user/bulk").query(&query)
                    })
                    .await?;
                let received = page.values.len();
                found.extend(page.values);
                start_at += received;
                if page.is_last != Some(false) || received == 0 {
                    break;
                }
            }
        }
        Ok(found)
    }
}
