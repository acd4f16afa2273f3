//! A Slack incoming webhook: a Block Kit message with a header (the subject), a section (the
//! text) and the facts as `*Label*\nvalue` fields, plus `text` as the notification fallback.

use std::fmt;

use async_trait::async_trait;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::http::post_json;
use crate::{Channel, Message, NotifyError, Severity};

const NAME: &str = "slack";
// Block Kit's limits: a longer header or text, or more fields, is refused as `invalid_blocks`.
const HEADER_LIMIT: usize = 150;
const TEXT_LIMIT: usize = 3000;
const FIELD_LIMIT: usize = 2000;
const FIELDS_PER_SECTION: usize = 10;

/// Posts to one incoming webhook; the URL is the credential and never shown.
#[derive(Clone)]
pub struct SlackChannel {
    webhook_url: SecretString,
    http: reqwest::Client,
}

impl fmt::Debug for SlackChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackChannel").field("webhook_url", &"[REDACTED]").finish()
    }
}

impl SlackChannel {
    pub fn new(webhook_url: SecretString, http: reqwest::Client) -> Self {
        Self { webhook_url, http }
    }
}

#[async_trait]
impl Channel for SlackChannel {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        post_json(NAME, &self.http, &self.webhook_url, &payload(message)).await
    }
}

/// The webhook body for `message`.
pub fn payload(message: &Message) -> Value {
    let icon = match message.severity {
        Severity::Info => ":information_source:",
        Severity::Warning => ":warning:",
        Severity::Critical => ":rotating_light:",
    };
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": truncate(&message.subject, HEADER_LIMIT), "emoji": true },
    })];
    if !message.text.trim().is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": truncate(&escape(&message.text), TEXT_LIMIT) },
        }));
    }
    for facts in message.facts.chunks(FIELDS_PER_SECTION) {
        let fields: Vec<Value> = facts
            .iter()
            .map(|fact| {
                let field = format!("*{}*\n{}", escape(&fact.label), escape(&fact.value));
                json!({ "type": "mrkdwn", "text": truncate(&field, FIELD_LIMIT) })
            })
            .collect();
        blocks.push(json!({ "type": "section", "fields": fields }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": format!("{icon} {}", message.severity.as_str()) }],
    }));
    let fallback = format!("{icon} {}: {}", message.subject, message.plain_text());
    json!({ "text": truncate(&escape(&fallback), TEXT_LIMIT), "blocks": blocks })
}

/// Slack's three control characters; everything else in mrkdwn stays as written.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(limit - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> Message {
        Message::new(Severity::Critical, "KAN sync failed", "Jira refused the <token>.")
            .fact("Project", "KAN")
            .fact("Error code", "AUTH_FAILED")
    }

    #[test]
    fn blocks_are_header_text_fields_and_severity() {
        let body = payload(&alert());
        let blocks = body["blocks"].as_array().unwrap();
        let kinds: Vec<&str> = blocks.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["header", "section", "section", "context"]);
        assert_eq!(blocks[0]["text"]["text"], "KAN sync failed");
        assert_eq!(blocks[1]["text"]["text"], "Jira refused the &lt;token&gt;.");
        assert_eq!(blocks[2]["fields"][0]["text"], "*Project*\nKAN");
        assert_eq!(blocks[2]["fields"][1]["text"], "*Error code*\nAUTH_FAILED");
        assert!(blocks[3]["elements"][0]["text"].as_str().unwrap().ends_with("critical"));
        let fallback = body["text"].as_str().unwrap();
        assert!(fallback.contains("KAN sync failed") && fallback.contains("AUTH_FAILED"));
    }

    #[test]
    fn more_than_ten_facts_are_split_over_sections_and_long_headers_are_cut() {
        let mut message = alert();
        message.subject = "x".repeat(400);
        for n in 0..12 {
            message = message.fact(format!("Fact {n}"), "v");
        }
        let body = payload(&message);
        let blocks = body["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["text"]["text"].as_str().unwrap().chars().count(), HEADER_LIMIT);
        assert_eq!(blocks[2]["fields"].as_array().unwrap().len(), 10);
        assert_eq!(blocks[3]["fields"].as_array().unwrap().len(), 4);
    }
}
