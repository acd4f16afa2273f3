//! Webhook deliveries, sent as Jira Cloud sends them.
//!
//! [`FakeJira::webhook_event`] renders what a change announces, at the moment it is made
//! (so a deletion is announced with the issue, comment or worklog as it was), and picks the
//! webhooks listening: admin webhooks and unexpired dynamic ones whose events include it and
//! whose JQL the issue matches (an admin webhook without JQL hears every issue).
//! [`FakeJira::deliver`] then POSTs it to each, and again when called again, as Jira retries:
//!
//! - the body `{ timestamp, webhookEvent, … }`: issue events carry `issue_event_type_name`,
//!   `user` (who acted), the `issue` and, for an update, the `changelog` of its latest edit;
//!   comment events the `comment` and the `issue` with fewer fields; worklog events only the
//!   `worklog` (its `issueId` names the issue). Everything is rendered the REST v2 way (see
//!   `render::webhook`); an admin webhook registered with `excludeBody` gets an empty body;
//! - `X-Atlassian-Webhook-Identifier`, one per event and webhook, the same on every retry,
//!   which also carries `X-Atlassian-Webhook-Retry: <n>`;
//! - `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>` when the admin webhook has a
//!   secret (dynamic webhooks cannot sign).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::Utc;
use http::header;
use ring::hmac;
use serde_json::{Value, json};

use super::jql;
use super::render::Renderer;
use super::search::Candidate;
use super::store::IssueEntry;
use super::{API_USER_ACCOUNT_ID, FakeJira, JiraData};

/// Jira's limits: 5 s to connect, 20 s to answer.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);
const ANSWER_LIMIT: Duration = Duration::from_secs(20);

/// One change, rendered when it was made, and the webhooks it goes to.
#[derive(Debug)]
pub struct WebhookEvent {
    name: String,
    payload: Value,
    body: bytes::Bytes,
    targets: Vec<Target>,
    /// Deliveries made so far: the next one's `X-Atlassian-Webhook-Retry`.
    attempts: AtomicU32,
}

impl WebhookEvent {
    /// `jira:issue_updated`, `comment_created`, …
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The body delivered.
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// The `X-Atlassian-Webhook-Identifier` of each webhook it goes to, in their order.
    pub fn identifiers(&self) -> Vec<&str> {
        self.targets.iter().map(|target| target.identifier.as_str()).collect()
    }
}

/// A webhook an event goes to; `signing` is the key of an admin webhook's secret (its
/// `Debug` shows only the algorithm).
#[derive(Debug)]
struct Target {
    url: String,
    signing: Option<hmac::Key>,
    exclude_body: bool,
    identifier: String,
}

/// What an event names: an issue (by id or key), a comment or a worklog (by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum About {
    Issue,
    Comment,
    Worklog,
}

impl About {
    fn of(event: &str) -> Option<Self> {
        let (kind, change) = event.rsplit_once('_')?;
        if !matches!(change, "created" | "updated" | "deleted") {
            return None;
        }
        match kind {
            "jira:issue" => Some(Self::Issue),
            "comment" => Some(Self::Comment),
            "worklog" => Some(Self::Worklog),
            _ => None,
        }
    }
}

impl FakeJira {
    /// The `event` (`jira:issue_created|updated|deleted`, `comment_…`, `worklog_…`) about
    /// `subject` (an issue's id or key; a comment's or worklog's id) as of now, addressed to
    /// the webhooks listening; `None` for another event or an unknown subject. Make the
    /// change first, or, for a deletion, render the event before deleting.
    pub fn webhook_event(&self, event: &str, subject: &str) -> Option<WebhookEvent> {
        let data = self.shared.data();
        let renderer = Renderer::new(&self.shared.base_url, &data);
        let mut payload = json!({
            "timestamp": Utc::now().timestamp_millis(),
            "webhookEvent": event,
        });
        let entry = match About::of(event)? {
            About::Issue => {
                let entry = data.issues.find(subject)?;
                let (kind, user) = match event {
                    "jira:issue_created" => ("issue_created", API_USER_ACCOUNT_ID),
                    "jira:issue_deleted" => ("issue_deleted", API_USER_ACCOUNT_ID),
                    _ => match entry.changelog.last() {
                        Some(history) => {
                            payload["changelog"] = renderer.webhook_changelog(history);
                            ("issue_generic", &*history.author)
                        }
                        None => ("issue_generic", API_USER_ACCOUNT_ID),
                    },
                };
                payload["issue_event_type_name"] = json!(kind);
                payload["user"] = renderer.webhook_user(user);
                payload["issue"] = renderer.webhook_issue(entry, false);
                entry
            }
            About::Comment => {
                let id = subject.parse().ok()?;
                let comment = data.comments.get(id)?;
                let entry = data.issues.get(comment.issue)?;
                payload["comment"] = renderer.webhook_comment(&entry.issue.id, id, comment);
                payload["issue"] = renderer.webhook_issue(entry, true);
                entry
            }
            About::Worklog => {
                let id = subject.parse().ok()?;
                let worklog = data.worklogs.get(id)?;
                let entry = data.issues.get(worklog.issue)?;
                payload["worklog"] = renderer.webhook_worklog(&entry.issue.id, id, worklog);
                entry
            }
        };
        let targets = listening(&data, entry, event);
        let body = serde_json::to_vec(&payload).unwrap_or_default().into();
        Some(WebhookEvent {
            name: event.to_owned(),
            payload,
            body,
            targets,
            attempts: AtomicU32::new(0),
        })
    }

    /// POSTs `event` to each of its webhooks in turn, waiting for each answer (nothing is
    /// retried by itself: call again for Jira's retry); the statuses, in the webhooks'
    /// order, 0 where none came (refused, or no answer within 20 s).
    pub async fn deliver(&self, event: &WebhookEvent) -> Vec<u16> {
        let retry = event.attempts.fetch_add(1, Ordering::Relaxed);
        let client = client();
        let mut statuses = Vec::with_capacity(event.targets.len());
        for target in &event.targets {
            let body = if target.exclude_body { bytes::Bytes::new() } else { event.body.clone() };
            let mut request = client
                .post(&target.url)
                .header(header::CONTENT_TYPE, "application/json; charset=UTF-8")
                .header(header::USER_AGENT, "Atlassian Webhook HTTP Client")
                .header("X-Atlassian-Webhook-Identifier", &target.identifier)
                .header("X-Atlassian-Webhook-Flow", "Primary");
            if retry > 0 {
                request = request.header("X-Atlassian-Webhook-Retry", retry.to_string());
            }
            if let Some(key) = &target.signing {
                request = request.header("X-Hub-Signature", signature(key, &body));
            }
            let status = match request.body(body).send().await {
                Ok(answer) => answer.status().as_u16(),
                Err(error) => {
                    tracing::warn!(%error, event = %event.name, "a webhook delivery got no answer");
                    0
                }
            };
            statuses.push(status);
        }
        statuses
    }
}

/// The client every fake delivers with, its connections kept for the next deliveries.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        clockwork_core::tls::install_crypto_provider();
        reqwest::Client::builder()
            .connect_timeout(CONNECT_LIMIT)
            .timeout(ANSWER_LIMIT)
            .build()
            .unwrap_or_default()
    })
}

/// The webhooks listening for `event` whose JQL `entry` matches, each with an identifier of
/// its own.
fn listening(data: &JiraData, entry: &IssueEntry, event: &str) -> Vec<Target> {
    let hears = |events: &[String], jql: &str| {
        events.iter().any(|e| e == event) && matches_jql(data, entry, jql)
    };
    let now_ms = Utc::now().timestamp_millis();
    let admin = data.webhooks.admin().iter().filter(|w| hears(&w.events, &w.jql)).map(|w| Target {
        url: w.url.clone(),
        signing: w.secret.as_ref().map(|s| hmac::Key::new(hmac::HMAC_SHA256, s.as_bytes())),
        exclude_body: w.exclude_body,
        identifier: uuid::Uuid::new_v4().to_string(),
    });
    let dynamic = data
        .webhooks
        .dynamic()
        .iter()
        .filter(|w| w.expires_ms > now_ms && hears(&w.events, &w.jql))
        .map(|w| Target {
            url: w.url.clone(),
            signing: None,
            exclude_body: false,
            identifier: uuid::Uuid::new_v4().to_string(),
        });
    admin.chain(dynamic).collect()
}

/// Whether the issue is one `jql` selects; none is when it does not parse.
fn matches_jql(data: &JiraData, entry: &IssueEntry, jql: &str) -> bool {
    if jql.trim().is_empty() {
        return true;
    }
    match jql::parse(jql, data.searcher_zone()) {
        Ok(query) => query.matches(&Candidate { entry, data }),
        Err(message) => {
            tracing::warn!(jql, message, "a webhook's JQL does not parse; it hears nothing");
            false
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of body>`.
fn signature(key: &hmac::Key, body: &[u8]) -> String {
    let tag = hmac::sign(key, body);
    let hex: String = tag.as_ref().iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256={hex}")
}
