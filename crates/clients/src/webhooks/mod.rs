//! Jira's two webhook registration APIs.
//!
//! - [`AdminWebhooks`]: `/rest/webhooks/1.0/webhook`, what a site admin's API token (Basic
//!   auth) may call; a webhook may carry a secret, and its deliveries are then signed
//!   (`X-Hub-Signature: sha256=…`). Its id is the last segment of its `self` URL.
//! - [`DynamicWebhooks`]: `/rest/api/3/webhook`, for OAuth 2.0 and Connect apps only
//!   (a bearer token); `jqlFilter` is a JQL subset, there are no worklog events, deliveries
//!   are not signed, and each webhook expires 30 days after its creation or last refresh.
//!
//! A registered URL may carry the receiver's secret as its `secret` query parameter, so a
//! [`WebhookUrl`] shows itself masked in `Debug` and `Display`.

use std::fmt;

use serde::Deserialize;
use url::Url;

mod admin;
mod dynamic;

pub use admin::{AdminWebhook, AdminWebhookSpec, AdminWebhooks};
pub use dynamic::{DynamicWebhook, DynamicWebhooks, Registration};

/// A webhook's target URL; its `secret` query parameter never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL as Jira must be told it, secret included.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with the value of any `secret` query parameter replaced by `***`.
    pub fn masked(&self) -> String {
        let Ok(mut url) = Url::parse(&self.0) else {
            return match self.0.split_once('?') {
                Some((base, _)) => format!("{base}?***"),
                None => self.0.clone(),
            };
        };
        if url.query_pairs().all(|(name, _)| name != "secret") {
            return self.0.clone();
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let value = if name == "secret" { "***".to_owned() } else { value.into_owned() };
                (name.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        url.into()
    }

    /// The URL without its query: what tells one receiver from another.
    pub fn endpoint(&self) -> &str {
        self.0.split(['?', '#']).next().unwrap_or_default()
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.masked())
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// The JQL of webhooks about `projects`' issues: `project in (KAN, OPS)`. Jira refuses
/// reserved words as project keys, so keys need no quotes.
pub fn projects_jql<S: AsRef<str>>(projects: &[S]) -> String {
    let keys: Vec<&str> = projects.iter().map(AsRef::as_ref).collect();
    format!("project in ({})", keys.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_shows_its_secret_token_masked() {
        let url = WebhookUrl::new("https://hooks.example.com/api/webhooks/jira?secret=s3cr3t&x=1");
        assert_eq!(url.masked(), "https://hooks.example.com/api/webhooks/jira?secret=***&x=1");
        assert!(!format!("{url:?} {url}").contains("s3cr3t"));
        assert_eq!(url.endpoint(), "https://hooks.example.com/api/webhooks/jira");
        let plain = WebhookUrl::new("https://hooks.example.com/api/webhooks/jira");
        assert_eq!(plain.masked(), plain.expose());
    }

    #[test]
    fn the_projects_jql_lists_the_keys() {
        assert_eq!(projects_jql(&["KAN", "OPS"]), "project in (KAN, OPS)");
    }
}
