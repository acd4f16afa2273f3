//! Which channels the environment configures; each is optional, none means alerts are logged
//! only. The URLs are secrets (an SMTP password, a webhook URL is its own credential), so no
//! error quotes a value.

use clockwork_core::config::{ConfigError, Lookup, process_env};
use secrecy::{ExposeSecret, SecretString};

use crate::{EmailChannel, EmailConfig, Notifier, SlackChannel, WebhookChannel};

/// The notification channels, read from the environment.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// `SMTP_URL`, `ALERT_EMAIL_FROM`, `ALERT_EMAIL_TO` (comma list), optional
    /// `ALERT_EMAIL_CC` and `ALERT_EMAIL_BCC`: channel `"email"`.
    pub email: Option<EmailConfig>,
    /// `SLACK_WEBHOOK_URL`: channel `"slack"`.
    pub slack_webhook_url: Option<SecretString>,
    /// `ALERT_WEBHOOK_URL`: channel `"webhook"`, a generic JSON POST.
    pub webhook_url: Option<SecretString>,
}

const EMAIL_REQUIRED: [&str; 3] = ["SMTP_URL", "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO"];
const EMAIL_OPTIONAL: [&str; 2] = ["ALERT_EMAIL_CC", "ALERT_EMAIL_BCC"];

impl NotifyConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    /// A half-configured email (some of its variables set, not all that it needs) is `Missing`
    /// naming the rest; a URL of the wrong kind is `Invalid`.
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            email: email(env)?,
            slack_webhook_url: http_url(env, "SLACK_WEBHOOK_URL")?,
            webhook_url: http_url(env, "ALERT_WEBHOOK_URL")?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.slack_webhook_url.is_none() && self.webhook_url.is_none()
    }

    /// The notifier of these channels; `http` carries the webhook requests (see
    /// [`crate::http_client`]). Fails when an email address is invalid.
    pub fn into_notifier(self, http: reqwest::Client) -> Result<Notifier, crate::NotifyError> {
        let mut channels: Vec<std::sync::Arc<dyn crate::Channel>> = Vec::new();
        if let Some(email) = self.email {
            channels.push(std::sync::Arc::new(EmailChannel::new(email)?));
        }
        if let Some(url) = self.slack_webhook_url {
            channels.push(std::sync::Arc::new(SlackChannel::new(url, http.clone())));
        }
        if let Some(url) = self.webhook_url {
            channels.push(std::sync::Arc::new(WebhookChannel::new(url, http)));
        }
        Ok(Notifier::new(channels))
    }
}

fn email(env: Lookup<'_>) -> Result<Option<EmailConfig>, ConfigError> {
    let values = EMAIL_REQUIRED.map(env);
    let any_set =
        values.iter().any(Option::is_some) || EMAIL_OPTIONAL.iter().any(|n| env(n).is_some());
    if !any_set {
        return Ok(None);
    }
    let missing: Vec<&'static str> =
        EMAIL_REQUIRED.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Err(ConfigError::Missing(missing));
    }
    let [Some(smtp_url), Some(from), Some(to)] = values else {
        return Err(ConfigError::Missing(EMAIL_REQUIRED.to_vec()));
    };
    let smtp_url = SecretString::from(smtp_url.trim());
    check_url("SMTP_URL", &smtp_url, &["smtp", "smtps"])?;
    let to = list(Some(to));
    if to.is_empty() {
        return Err(ConfigError::Missing(vec!["ALERT_EMAIL_TO"]));
    }
    Ok(Some(EmailConfig {
        smtp_url,
        from: from.trim().to_owned(),
        to,
        cc: list(env("ALERT_EMAIL_CC")),
        bcc: list(env("ALERT_EMAIL_BCC")),
    }))
}

/// A comma-separated list, blanks dropped.
fn list(raw: Option<String>) -> Vec<String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn http_url(env: Lookup<'_>, name: &'static str) -> Result<Option<SecretString>, ConfigError> {
    let Some(raw) = env(name) else { return Ok(None) };
    let url = SecretString::from(raw.trim());
    check_url(name, &url, &["https", "http"])?;
    Ok(Some(url))
}

/// `Invalid` unless the value parses as a URL of one of `schemes` with a host; the value
/// itself is never quoted.
fn check_url(name: &'static str, url: &SecretString, schemes: &[&str]) -> Result<(), ConfigError> {
    let expected = schemes.iter().map(|s| format!("{s}://")).collect::<Vec<_>>().join(" or ");
    let invalid = |reason: String| ConfigError::Invalid { name, reason };
    let parsed = url::Url::parse(url.expose_secret())
        .map_err(|error| invalid(format!("not a URL ({error}); expected {expected}…")))?;
    if !schemes.contains(&parsed.scheme()) || parsed.host_str().is_none() {
        return Err(invalid(format!("expected {expected}host…")));
    }
    Ok(())
}
