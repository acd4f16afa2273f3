//! What a person reads, the port every channel implements, and how a send fails.

use async_trait::async_trait;
use serde::Serialize;

/// One notification. `facts` are labelled lines every channel shows, e.g. `("Project", "KAN")`,
/// `("Error code", "AUTH_FAILED")`, `("What to do", "Create a new API token …")`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub facts: Vec<Fact>,
    pub severity: Severity,
    /// Per-message email settings; the other channels ignore them.
    pub email: EmailOverrides,
}

impl Message {
    /// A message without facts or email overrides.
    pub fn new(severity: Severity, subject: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            text: text.into(),
            facts: Vec::new(),
            severity,
            email: EmailOverrides::default(),
        }
    }

    /// Adds one labelled fact (builder style).
    #[must_use]
    pub fn fact(mut self, label: impl Into<String>, value: impl Into<String>) -> Self {
        self.facts.push(Fact { label: label.into(), value: value.into() });
        self
    }

    /// The text followed by one `Label: value` line per fact: the plain-text rendering.
    pub fn plain_text(&self) -> String {
        let mut out = self.text.trim_end().to_owned();
        if !self.facts.is_empty() {
            out.push_str("\n\n");
            for fact in &self.facts {
                out.push_str(&format!("{}: {}\n", fact.label, fact.value));
            }
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// Email settings of one message; empty lists and `None` mean the channel's configured ones.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EmailOverrides {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub from: Option<String>,
    /// The HTML part; `None` renders it from the text and the facts.
    pub html: Option<String>,
}

/// One way of reaching people.
#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// The name the notifier knows the channel by (`"email"`, `"slack"`, `"webhook"`).
    fn name(&self) -> &'static str;

    /// Delivers one message, once: retrying is the notifier's job.
    async fn send(&self, message: &Message) -> Result<(), NotifyError>;
}

/// Why a channel did not deliver; `reason` is safe to log and show (no URL, no credential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{channel}: {reason}")]
pub struct NotifyError {
    pub channel: &'static str,
    pub reason: String,
    /// True when the same send may succeed later (connection failures, 429, 5xx, SMTP 4xx).
    pub retryable: bool,
}

impl NotifyError {
    pub fn retryable(channel: &'static str, reason: impl Into<String>) -> Self {
        Self { channel, reason: reason.into(), retryable: true }
    }

    pub fn permanent(channel: &'static str, reason: impl Into<String>) -> Self {
        Self { channel, reason: reason.into(), retryable: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_lists_every_fact_after_the_text() {
        let message = Message::new(Severity::Critical, "Sync failed", "The KAN sync stopped.\n")
            .fact("Project", "KAN")
            .fact("Error code", "AUTH_FAILED");
        assert_eq!(
            message.plain_text(),
            "The KAN sync stopped.\n\nProject: KAN\nError code: AUTH_FAILED\n"
        );
    }

    #[test]
    fn severity_serializes_lowercase() {
        let json = serde_json::to_string(&[Severity::Info, Severity::Warning, Severity::Critical]);
        assert_eq!(json.unwrap(), r#"["info","warning","critical"]"#);
    }
}
