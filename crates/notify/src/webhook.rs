//! A generic JSON webhook (chat gateways such as WhatsApp bridges, Teams, incident receivers):
//! one flat document any receiver can map, the facts both as an object and as an ordered list.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::http::post_json;
use crate::{Channel, Message, NotifyError};

const NAME: &str = "webhook";

/// Posts to one URL; the URL may carry a token and is never shown.
#[derive(Clone)]
pub struct WebhookChannel {
    url: SecretString,
    http: reqwest::Client,
}

impl fmt::Debug for WebhookChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookChannel").field("url", &"[REDACTED]").finish()
    }
}

impl WebhookChannel {
    pub fn new(url: SecretString, http: reqwest::Client) -> Self {
        Self { url, http }
    }
}

#[async_trait]
impl Channel for WebhookChannel {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        post_json(NAME, &self.http, &self.url, &payload(message, Utc::now())).await
    }
}

/// `{ subject, text, severity, facts: { label: value }, factList: [{ label, value }], sentAt }`;
/// in `facts` a repeated label keeps its last value, `factList` keeps every one in order.
pub fn payload(message: &Message, sent_at: DateTime<Utc>) -> Value {
    let facts: Map<String, Value> = message
        .facts
        .iter()
        .map(|fact| (fact.label.clone(), Value::String(fact.value.clone())))
        .collect();
    json!({
        "subject": message.subject,
        "text": message.text,
        "severity": message.severity,
        "facts": facts,
        "factList": message.facts,
        "sentAt": sent_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::Severity;

    #[test]
    fn payload_is_flat_with_facts_as_object_and_list() {
        let message = Message::new(Severity::Warning, "Sync slowed down", "Backing off.")
            .fact("Project", "KAN")
            .fact("Next run", "in 1 hour");
        let sent_at = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap();
        assert_eq!(
            payload(&message, sent_at),
            json!({
                "subject": "Sync slowed down",
                "text": "Backing off.",
                "severity": "warning",
                "facts": { "Project": "KAN", "Next run": "in 1 hour" },
                "factList": [
                    { "label": "Project", "value": "KAN" },
                    { "label": "Next run", "value": "in 1 hour" },
                ],
                "sentAt": "2025-03-04T05:06:07Z",
            })
        );
    }
}
