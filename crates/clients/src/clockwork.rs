//! The Clockwork Pro public API (`Authorization: Token <token>`; a token acts as its user).

use std::fmt;

use async_trait::async_trait;
use clockwork_core::config::ClockworkConfig;
use clockwork_core::contract::{Author, Worklog};
use clockwork_core::{DateRange, IssueKey, UserRef};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::ClientError;
use crate::http::{HttpClient, Idempotency, send_json};

#[async_trait]
pub trait ClockworkApi: Send + Sync + fmt::Debug {
    /// Worklogs of one user whose `started` day falls in `range` (inclusive).
    async fn worklogs(
        &self,
        token: &SecretString,
        user: &UserRef,
        range: DateRange,
    ) -> Result<Vec<Worklog>, ClientError>;

    /// Starts a timer on `issue` for the token's user. Sent once, never retried.
    async fn start_timer(
        &self,
        token: &SecretString,
        issue: &IssueKey,
        comment: Option<&str>,
    ) -> Result<Vec<String>, ClientError>;

    /// Stops the token's user's running timer on `issue`. Sent once, never retried.
    async fn stop_timer(
        &self,
        token: &SecretString,
        issue: &IssueKey,
    ) -> Result<Vec<String>, ClientError>;
}

pub struct ClockworkClient {
    http: HttpClient,
    base_url: Url,
}

impl fmt::Debug for ClockworkClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClockworkClient")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl ClockworkClient {
    /// Sends with `http`, which other clients of the process may share.
    pub fn new(config: &ClockworkConfig, http: HttpClient) -> Self {
        Self { http, base_url: config.api_base_url.clone() }
    }

    fn request(
        &self,
        http: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        token: &SecretString,
    ) -> reqwest::RequestBuilder {
        let url = format!("{}{path}", self.base_url.as_str().trim_end_matches('/'));
        http.request(method, url)
            .header(reqwest::header::AUTHORIZATION, format!("Token {}", token.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
    }

    async fn timer_action(
        &self,
        path: &str,
        token: &SecretString,
        body: serde_json::Value,
    ) -> Result<Vec<String>, ClientError> {
        let answer: Messages =
            send_json("clockwork", &self.http, Idempotency::SideEffects, |http| {
                self.request(http, reqwest::Method::POST, path, token).json(&body)
            })
            .await?;
        Ok(answer.messages.into_iter().filter_map(|m| m.body.or(m.title)).collect())
    }
}

/// A worklog as Clockwork sends it; ids arrive as strings or numbers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireWorklog {
    id: StringOrNumber,
    issue_id: StringOrNumber,
    #[serde(default)]
    time_spent_seconds: i64,
    #[serde(default)]
    started: String,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    author: Option<Author>,
    #[serde(default)]
    issue: Option<WireIssue>,
}

#[derive(Deserialize)]
struct WireIssue {
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    fields: Option<WireIssueFields>,
}

#[derive(Deserialize)]
struct WireIssueFields {
    #[serde(default)]
    summary: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrNumber {
    String(String),
    Number(serde_json::Number),
}

impl From<StringOrNumber> for String {
    fn from(value: StringOrNumber) -> Self {
        match value {
            StringOrNumber::String(s) => s,
            StringOrNumber::Number(n) => n.to_string(),
        }
    }
}

#[derive(Deserialize, Default)]
struct Messages {
    #[serde(default)]
    messages: Vec<Message>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

impl From<WireWorklog> for Worklog {
    fn from(wire: WireWorklog) -> Self {
        let (issue_key, issue_name) = match wire.issue {
            Some(issue) => (issue.key, issue.fields.and_then(|f| f.summary)),
            None => (None, None),
        };
        Worklog {
            id: wire.id.into(),
            issue_id: wire.issue_id.into(),
            issue_key,
            issue_name,
            project_name: None,
            time_spent_seconds: wire.time_spent_seconds,
            started: wire.started,
            comment: wire.comment,
            author: wire.author.unwrap_or_default(),
        }
    }
}

#[async_trait]
impl ClockworkApi for ClockworkClient {
    #[tracing::instrument(skip_all, fields(from = %range.from, to = %range.to))]
    async fn worklogs(
        &self,
        token: &SecretString,
        user: &UserRef,
        range: DateRange,
    ) -> Result<Vec<Worklog>, ClientError> {
        let mut query = vec![
            ("starting_at", range.from.to_string()),
            ("ending_at", range.to.to_string()),
            ("expand", "authors".to_owned()),
        ];
        match user {
            UserRef::Account(id) => query.push(("account_id", id.to_string())),
            UserRef::Email(email) => query.push(("user_query[]", email.to_string())),
        }
        let worklogs: Vec<WireWorklog> =
            send_json("clockwork", &self.http, Idempotency::Idempotent, |http| {
                self.request(http, reqwest::Method::GET, "/worklogs", token).query(&query)
            })
            .await?;
        Ok(worklogs.into_iter().map(Worklog::from).collect())
    }

    #[tracing::instrument(skip_all, fields(issue = %issue))]
    async fn start_timer(
        &self,
        token: &SecretString,
        issue: &IssueKey,
        comment: Option<&str>,
    ) -> Result<Vec<String>, ClientError> {
        let mut body = serde_json::json!({ "issue_key": issue });
        if let Some(comment) = comment {
            body["comment"] = comment.into();
        }
        self.timer_action("/start_timer", token, body).await
    }

    #[tracing::instrument(skip_all, fields(issue = %issue))]
    async fn stop_timer(
        &self,
        token: &SecretString,
        issue: &IssueKey,
    ) -> Result<Vec<String>, ClientError> {
        self.timer_action("/stop_timer", token, serde_json::json!({ "issue_key": issue })).await
    }
}
