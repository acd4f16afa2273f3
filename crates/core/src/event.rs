//! The queue's message body: `{ "name", "id", "data" }`.

use serde::{Deserialize, Serialize};

pub const TIMERS_SYNC_REQUESTED: &str = "clockwork/timers.sync.requested";
pub const PROJECT_SYNC_REQUESTED: &str = "jira/project.sync.requested";
/// Starts every tracked project's due sync run (`data: {}`).
pub const SCHEDULES_TICK: &str = "jira/schedules.tick";
/// Jira webhook deliveries to apply (`data: { deliveries: [WebhookDelivery] }`).
///
/// [`WebhookDelivery`]: crate::webhook::WebhookDelivery
pub const WEBHOOK_RECEIVED: &str = "jira/webhook.received";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub name: String,
    /// The idempotency key; a run's id.
    pub id: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Event {
    /// An event with a random id.
    pub fn new(name: &str, data: serde_json::Value) -> Self {
        Self::with_id(name, uuid::Uuid::new_v4().to_string(), data)
    }

    pub fn with_id(name: &str, id: impl Into<String>, data: serde_json::Value) -> Self {
        Self { name: name.to_owned(), id: id.into(), data }
    }
}
