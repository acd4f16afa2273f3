//! Alerts to people: which channels hear of which kind ([`Routes`], `ALERT_ROUTES`), and an
//! [`Alert`] written as a message a person can act on (project, site, code, what to do).
//! With no channel configured, alerts go to the log only.

use std::collections::HashMap;
use std::sync::Arc;

use clockwork_clients::jira_data::ErrorCode;
use clockwork_notify::{Message, Notifier, Severity};
use clockwork_store::{LogLevel, Store};
use serde_json::json;

use crate::policy::{Alert, AlertKind};

/// The channels the notifications crate knows.
const CHANNELS: [&str; 3] = ["email", "slack", "webhook"];

/// Alert kinds to channel names, e.g. `auth=email,slack;latency=slack;recovered=none`;
/// kinds left out keep their default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes(HashMap<AlertKind, Vec<&'static str>>);

impl Default for Routes {
    /// What needs a person (credentials, billing, other failures, and the all-clear) goes
    /// everywhere; what passes by itself (rate limits, outages, slow runs) skips email.
    fn default() -> Self {
        let routes = AlertKind::ALL.into_iter().map(|kind| {
            let channels = match kind {
                AlertKind::RateLimit | AlertKind::Outage | AlertKind::Latency => {
                    vec!["slack", "webhook"]
                }
                _ => CHANNELS.to_vec(),
            };
            (kind, channels)
        });
        Self(routes.collect())
    }
}

impl Routes {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut routes = Self::default();
        for rule in text.split(';').map(str::trim).filter(|rule| !rule.is_empty()) {
            let Some((kind, channels)) = rule.split_once('=') else {
                return Err(format!("{rule:?} is not kind=channel,channel"));
            };
            let kind = AlertKind::ALL
                .into_iter()
                .find(|known| known.as_str() == kind.trim())
                .ok_or_else(|| {
                    let kinds: Vec<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
                    format!("unknown alert kind {kind:?}; the kinds are {}", kinds.join(", "))
                })?;
            let mut names = Vec::new();
            for channel in channels.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                if channel == "none" {
                    continue;
                }
                let name = CHANNELS.into_iter().find(|known| *known == channel).ok_or_else(|| {
                    format!("unknown channel {channel:?}; the channels are email, slack, webhook, none")
                })?;
                names.push(name);
            }
            routes.0.insert(kind, names);
        }
        Ok(routes)
    }

    pub fn channels(&self, kind: AlertKind) -> &[&'static str] {
        self.0.get(&kind).map_or(&[], Vec::as_slice)
    }
}

/// Sends alerts; failed deliveries are logged in the project's `sync_logs` with the
/// channel's failure count, so repeated notification failures show.
#[derive(Debug, Clone)]
pub struct Alerts {
    notifier: Arc<Notifier>,
    routes: Routes,
    /// The Jira site, as people name it (`acme.atlassian.net`).
    site: String,
    store: Store,
}

impl Alerts {
    pub fn new(notifier: Arc<Notifier>, routes: Routes, site: String, store: Store) -> Self {
        Self { notifier, routes, site, store }
    }

    /// For the start-up banner: where alerts go.
    pub fn describe(&self) -> String {
        let names = self.notifier.channel_names();
        if names.is_empty() {
            "to the log only (no SMTP_URL, SLACK_WEBHOOK_URL or ALERT_WEBHOOK_URL set)".to_owned()
        } else {
            format!("by {}", names.join(", "))
        }
    }

    pub async fn send(&self, alert: &Alert) {
        let message = render(alert, &self.site);
        tracing::warn!(kind = alert.kind.as_str(), project = %alert.project, subject = %message.subject, "alert");
        let configured = self.notifier.channel_names();
        for channel in self.routes.channels(alert.kind).iter().filter(|c| configured.contains(c)) {
            if let Err(error) = self.notifier.send_message(channel, &message).await {
                let failures = self.notifier.failures(channel);
                tracing::warn!(channel, %error, failures, "alert not delivered");
                let details = json!({
                    "code": "ALERT_UNDELIVERED",
                    "channel": channel,
                    "retryable": error.retryable,
                    "failures": failures,
                    "alert": alert.kind.as_str(),
                });
                let text = format!("alert not delivered by {channel}: {}", error.reason);
                if let Err(store_error) = self
                    .store
                    .append_log(&alert.project, LogLevel::Warn, &text, Some(&details))
                    .await
                {
                    tracing::error!(%store_error, "could not log the undelivered alert");
                }
            }
        }
    }
}

/// The alert as a person reads it.
pub fn render(alert: &Alert, site: &str) -> Message {
    let severity = match alert.kind {
        AlertKind::Recovered => Severity::Info,
        AlertKind::Latency | AlertKind::RateLimit | AlertKind::Outage => Severity::Warning,
        AlertKind::Auth | AlertKind::Billing | AlertKind::Error => Severity::Critical,
    };
    let code = alert.code.as_deref().unwrap_or("-");
    let subject = match alert.kind {
        AlertKind::Recovered => {
            format!("[Clockwork] {} recovered: Jira syncs are back", alert.project)
        }
        _ => format!("[Clockwork] {}: {} ({code})", alert.project, title(alert.kind)),
    };
    let mut message = Message::new(severity, subject, alert.headline.clone())
        .fact("Project", &alert.project)
        .fact("Site", site)
        .fact("Schedule", &alert.schedule);
    if alert.kind != AlertKind::Recovered {
        message = message
            .fact("Error code", code)
            .fact("Failures in a row", alert.consecutive_failures.to_string());
    }
    message.fact("What to do", advice(alert))
}

fn title(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Auth => "Jira rejects the sync's credentials",
        AlertKind::Billing => "the Jira site is suspended",
        AlertKind::RateLimit => "Jira is rate limiting the sync",
        AlertKind::Outage => "Jira cannot be reached",
        AlertKind::Error => "syncs keep failing",
        AlertKind::Latency => "syncs are slow",
        AlertKind::Recovered => "recovered",
    }
}

fn advice(alert: &Alert) -> String {
    let code = alert.code.as_deref().unwrap_or_default();
    match alert.kind {
        AlertKind::Recovered => "Nothing: the original schedule is back in force.".to_owned(),
        AlertKind::Latency => "Check Jira's status page and the sync's host; if the project \
             grew, consider a slower schedule (clockwork-local projects reschedule)."
            .to_owned(),
        _ => match ErrorCode::from_code(code) {
            Some(classified) => classified.advice().to_owned(),
            None if code == "STORE_UNAVAILABLE" => "The sync's database is unreachable or \
                 busy: check DATABASE_URL and the database server."
                .to_owned(),
            None => "See the project's sync log for the failure's message.".to_owned(),
        },
    }
}
