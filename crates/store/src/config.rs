//! Where the store lives: `DATABASE_URL`, with the password kept out of every `Debug` and
//! error message.

use std::fmt;
use std::ops::Range;

use clockwork_core::config::{ConfigError, Lookup, process_env};
use percent_encoding::percent_decode_str;
use secrecy::{ExposeSecret, SecretString};

/// Which database the URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store's connection settings.
#[derive(Clone)]
pub struct StoreConfig {
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`; default [`StoreConfig::DEFAULT_URL`].
    url: SecretString,
    backend: Backend,
}

impl StoreConfig {
    /// The local default: a file under `./data`, created with its folder when missing.
    pub const DEFAULT_URL: &str = "sqlite://./data/clockwork.db";

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let url = env("DATABASE_URL").unwrap_or_else(|| Self::DEFAULT_URL.into());
        Self::new(url.trim())
    }

    /// A config for an explicit URL; `Invalid` (without the URL's password) for an unknown scheme.
    pub fn new(url: &str) -> Result<Self, ConfigError> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                reason: format!(
                    "must start with sqlite: or postgres://, got {}",
                    Redactor::new(url).url(url)
                ),
            });
        };
        Ok(Self { url: SecretString::from(url), backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with its password replaced by `***`: safe to log.
    pub fn redacted_url(&self) -> String {
        self.redactor().url(self.url.expose_secret())
    }

    pub(crate) fn expose_url(&self) -> &str {
        self.url.expose_secret()
    }

    pub(crate) fn redactor(&self) -> Redactor {
        Redactor::new(self.url.expose_secret())
    }
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &self.redacted_url())
            .field("backend", &self.backend)
            .finish()
    }
}

/// Where the user information (`user:password`) of `scheme://user:password@host/…` sits.
/// Found by hand, not by a URL parser, so that a URL too broken to parse (a bad port, say)
/// still has its password hidden.
pub(crate) fn userinfo(url: &str) -> Option<Range<usize>> {
    let start = url.find("://")? + 3;
    let authority = url[start..].find(['/', '?', '#']).map_or(url.len(), |end| start + end);
    let at = url[start..authority].rfind('@')? + start;
    Some(start..at)
}

/// Where the password sits inside the user information, when there is one.
fn password_span(url: &str) -> Option<Range<usize>> {
    let info = userinfo(url)?;
    let colon = url[info.clone()].find(':')? + info.start;
    Some(colon + 1..info.end)
}

/// Scrubs a URL's password from text that might quote it (driver errors at connect time
/// can echo parts of the URL back).
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// The password as written in the URL and percent-decoded; empty when there is none.
    forms: Vec<SecretString>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").finish_non_exhaustive()
    }
}

impl Redactor {
    const MASK: &str = "***";

    pub(crate) fn new(url: &str) -> Self {
        let Some(password) = password_span(url).map(|span| &url[span]).filter(|p| !p.is_empty())
        else {
            return Self::default();
        };
        let mut forms = vec![password.to_owned()];
        if let Ok(decoded) = percent_decode_str(password).decode_utf8()
            && decoded != password
        {
            forms.push(decoded.into_owned());
        }
        // Longest first, so a decoded form that contains the raw one is masked whole.
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        Self { forms: forms.into_iter().map(SecretString::from).collect() }
    }

    /// `text` with every occurrence of the password masked.
    pub(crate) fn scrub(&self, text: &str) -> String {
        self.forms
            .iter()
            .fold(text.to_owned(), |text, form| text.replace(form.expose_secret(), Self::MASK))
    }

    /// `url` with its password field masked, and then any stray copy of it too.
    fn url(&self, url: &str) -> String {
        let masked = match password_span(url) {
            Some(span) => format!("{}{}{}", &url[..span.start], Self::MASK, &url[span.end..]),
            None => url.to_owned(),
        };
        self.scrub(&masked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_a_local_sqlite_file() {
        let config = StoreConfig::from_lookup(&|_| None).unwrap();
        assert_eq!(config.backend(), Backend::Sqlite);
        assert_eq!(config.redacted_url(), StoreConfig::DEFAULT_URL);
    }

    #[test]
    fn postgres_urls_are_recognized_and_redacted() {
        let config = StoreConfig::new("postgres://app:p%40ss-w0rd@db:5432/clockwork").unwrap();
        assert_eq!(config.backend(), Backend::Postgres);
        let shown = format!("{config:?} {}", config.redacted_url());
        assert!(shown.contains("postgres://app:***@db:5432/clockwork"), "{shown}");
        assert!(!shown.contains("p%40ss-w0rd") && !shown.contains("p@ss-w0rd"), "{shown}");
        assert_eq!(config.redactor().scrub("auth p@ss-w0rd failed"), "auth *** failed");
    }

    #[test]
    fn a_url_too_broken_to_parse_still_hides_its_password() {
        let config =
            StoreConfig::new("postgres://app:s3cr3t@db:notaport/x?sslmode=require").unwrap();
        assert_eq!(config.redacted_url(), "postgres://app:***@db:notaport/x?sslmode=require");
        assert_eq!(userinfo("sqlite://./data/clockwork.db"), None);
        assert_eq!(userinfo("postgres://app@db/x?user=a@b"), Some(11..14));
    }

    #[test]
    fn an_unknown_scheme_is_invalid_without_showing_the_password() {
        let err = StoreConfig::new("mysql://root:hunter2@db/x").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "DATABASE_URL", .. }), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
