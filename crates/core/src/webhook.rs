//! A Jira webhook delivery as the route enqueues it for the worker: only what names the
//! change (ids, keys, the event, who was involved), never the payload's rendering of the
//! issue, which the worker reads again through the sync's own client.

use serde::{Deserialize, Serialize};

/// The event that says the issue itself is gone (not one of its comments or worklogs).
pub const ISSUE_DELETED: &str = "jira:issue_deleted";

/// The `data` of [`WEBHOOK_RECEIVED`](crate::event::WEBHOOK_RECEIVED).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveries {
    pub deliveries: Vec<WebhookDelivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDelivery {
    /// `X-Atlassian-Webhook-Identifier` (the same across Jira's retries of one delivery),
    /// else a digest of the body.
    pub id: String,
    /// e.g. `jira:issue_updated`, `comment_created`, `worklog_deleted`.
    pub webhook_event: String,
    /// The issue's numeric id.
    pub issue_id: String,
    /// Absent from worklog events, which name only the issue id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_key: Option<String>,
    /// Absent from worklog events: the worker finds it from the stored issue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_key: Option<String>,
    /// Jira's `timestamp` of the event (epoch ms), when it sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// When the route accepted the delivery (epoch ms).
    pub received_ms: i64,
    /// Accounts the change involves: its author, the issue's assignee and reporter (also
    /// before a change of them), the comment's or worklog's author. A project watching
    /// some users applies only deliveries that name one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub account_ids: Vec<String>,
}
