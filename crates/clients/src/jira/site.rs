//! A Jira Cloud site reached with an account's email and API token (Basic auth), as the
//! clients of its REST APIs (issues and users, the data integrator's reads, admin webhooks)
//! all reach it.

use std::fmt;

use clockwork_core::config::JiraConfig;
use reqwest::{RequestBuilder, header};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// The site's base URL and the account's credentials; `Debug` shows only the URL.
#[derive(Clone)]
pub struct BasicSite {
    base_url: Url,
    email: String,
    api_token: SecretString,
}

impl fmt::Debug for BasicSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicSite")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

impl BasicSite {
    pub fn new(config: &JiraConfig) -> Self {
        Self {
            base_url: config.base_url.clone(),
            email: config.email.clone(),
            api_token: config.api_token.clone(),
        }
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The absolute URL of `path` (starting with `/`) on the site.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.as_str().trim_end_matches('/'))
    }

    /// `request` with the account's Basic credentials, asking for JSON.
    pub fn authed(&self, request: RequestBuilder) -> RequestBuilder {
        request
            .basic_auth(&self.email, Some(self.api_token.expose_secret()))
            .header(header::ACCEPT, "application/json")
    }
}
