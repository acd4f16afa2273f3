//! Typed configuration, one struct per subsystem, each read with `from_env()`.
//!
//! Every reader also has a `from_lookup` form that takes the variables from a closure, so
//! tests exercise the parsing without touching the process environment. Empty values
//! count as unset. Secrets are [`SecretString`]: their `Debug` output is redacted.

use std::fmt;

use secrecy::SecretString;
use url::Url;

/// Reads one variable; `None` when unset or empty.
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment as a [`Lookup`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("missing configuration: set {}", .0.join(", "))]
    Missing(Vec<&'static str>),
    #[error("invalid {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn require(env: Lookup<'_>, names: &[&'static str]) -> Result<Vec<String>, ConfigError> {
    let values: Vec<Option<String>> = names.iter().map(|name| env(name)).collect();
    let missing: Vec<&'static str> =
        names.iter().zip(&values).filter(|(_, v)| v.is_none()).map(|(n, _)| *n).collect();
    if !missing.is_empty() {
        return Err(ConfigError::Missing(missing));
    }
    Ok(values.into_iter().flatten().collect())
}

fn parse_url(name: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim_end_matches('/'))
        .map_err(|e| ConfigError::Invalid { name, reason: format!("{e} (got {raw:?})") })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid { name, reason: "must be an http(s) URL".into() });
    }
    Ok(url)
}

/// Merges the `Missing` lists of several failed readers into one message.
pub fn merge_missing(errors: impl IntoIterator<Item = ConfigError>) -> Option<ConfigError> {
    let mut missing = Vec::new();
    for error in errors {
        match error {
            ConfigError::Missing(names) => missing.extend(names),
            invalid => return Some(invalid),
        }
    }
    (!missing.is_empty()).then_some(ConfigError::Missing(missing))
}

/// `JIRA_BASE_URL`, else `https://{JIRA_DOMAIN}`: the one Jira site every reader talks to.
fn jira_base_url(env: Lookup<'_>) -> Result<Url, ConfigError> {
    match (env("JIRA_BASE_URL"), env("JIRA_DOMAIN")) {
        (Some(url), _) => parse_url("JIRA_BASE_URL", &url),
        (None, Some(domain)) => {
            let domain = domain.trim().trim_start_matches("https://").trim_end_matches('/');
            parse_url("JIRA_DOMAIN", &format!("https://{domain}"))
        }
        (None, None) => Err(ConfigError::Missing(vec!["JIRA_DOMAIN"])),
    }
}

/// Jira Cloud as an OAuth 2.0 app: what the dynamic webhook API (apps only) is called with.
#[derive(Debug, Clone)]
pub struct JiraAppConfig {
    /// `JIRA_BASE_URL`, else `https://{JIRA_DOMAIN}`; for an OAuth 2.0 app,
    /// `https://api.atlassian.com/ex/jira/{cloudId}`.
    pub base_url: Url,
    /// `JIRA_OAUTH_ACCESS_TOKEN`: the app's access token (`manage:jira-webhook` scope).
    pub access_token: SecretString,
}

impl JiraAppConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let base = jira_base_url(env);
        let token = require(env, &["JIRA_OAUTH_ACCESS_TOKEN"]);
        match (base, token) {
            (Ok(base_url), Ok(mut values)) => Ok(Self {
                base_url,
                access_token: SecretString::from(values.pop().unwrap_or_default()),
            }),
            (base, token) => Err(merge_missing(base.err().into_iter().chain(token.err()))
                .unwrap_or(ConfigError::Missing(vec!["JIRA_OAUTH_ACCESS_TOKEN"]))),
        }
    }
}

/// Jira Cloud REST access.
#[derive(Debug, Clone)]
pub struct JiraConfig {
    /// `JIRA_BASE_URL`, else `https://{JIRA_DOMAIN}`.
    pub base_url: Url,
    /// `ATLASSIAN_EMAIL`: the account the API token belongs to.
    pub email: String,
    /// `ATLASSIAN_API_TOKEN`.
    pub api_token: SecretString,
}

impl JiraConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let base = jira_base_url(env);
        let credentials = require(env, &["ATLASSIAN_EMAIL", "ATLASSIAN_API_TOKEN"]);
        match (base, credentials) {
            (Ok(base_url), Ok(mut values)) => {
                let api_token = SecretString::from(values.pop().unwrap_or_default());
                let email = values.pop().unwrap_or_default();
                Ok(Self { base_url, email, api_token })
            }
            (base, credentials) => {
                Err(merge_missing(base.err().into_iter().chain(credentials.err()))
                    .unwrap_or(ConfigError::Missing(vec!["JIRA_DOMAIN"])))
            }
        }
    }
}

/// The Clockwork Pro public API.
#[derive(Debug, Clone)]
pub struct ClockworkConfig {
    /// `CLOCKWORK_API_BASE_URL`, default `https://api.clockwork.report/v1`.
    pub api_base_url: Url,
    /// `CLOCKWORK_API_TOKEN`: used when the caller sends no `X-Clockwork-Token`.
    pub api_token: Option<SecretString>,
}

impl ClockworkConfig {
    pub const DEFAULT_BASE_URL: &str = "https://api.clockwork.report/v1";

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let base = env("CLOCKWORK_API_BASE_URL").unwrap_or_else(|| Self::DEFAULT_BASE_URL.into());
        Ok(Self {
            api_base_url: parse_url("CLOCKWORK_API_BASE_URL", &base)?,
            api_token: env("CLOCKWORK_API_TOKEN").map(SecretString::from),
        })
    }
}

/// Which cache backend to use.
#[derive(Debug, Clone)]
pub enum CacheConfig {
    /// `REDIS_URL` (`redis://` or `rediss://`); the URL may carry a password.
    Redis { url: SecretString },
    /// `UPSTASH_REDIS_REST_URL` with `UPSTASH_REDIS_REST_TOKEN`.
    Upstash { url: Url, token: SecretString },
    /// In-process store: only the local runner picks this.
    Memory,
}

impl CacheConfig {
    /// The shared cache named by the environment; `Missing` when none is.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        if let Some(url) = env("REDIS_URL") {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(ConfigError::Invalid {
                    name: "REDIS_URL",
                    reason: "must start with redis:// or rediss://".into(),
                });
            }
            return Ok(Self::Redis { url: SecretString::from(url) });
        }
        match (env("UPSTASH_REDIS_REST_URL"), env("UPSTASH_REDIS_REST_TOKEN")) {
            (Some(url), Some(token)) => Ok(Self::Upstash {
                url: parse_url("UPSTASH_REDIS_REST_URL", &url)?,
                token: SecretString::from(token),
            }),
            (Some(_), None) => Err(ConfigError::Missing(vec!["UPSTASH_REDIS_REST_TOKEN"])),
            (None, Some(_)) => Err(ConfigError::Missing(vec!["UPSTASH_REDIS_REST_URL"])),
            (None, None) => {
                Err(ConfigError::Missing(vec!["REDIS_URL (or UPSTASH_REDIS_REST_URL)"]))
            }
        }
    }
}

/// Which job queue to use.
#[derive(Debug, Clone)]
pub enum QueueConfig {
    Sqs {
        /// `SQS_QUEUE_URL`.
        queue_url: String,
        /// `AWS_REGION`; when unset, the SDK's chain (worker) or `AWS_DEFAULT_REGION` (the
        /// routes' sender), then `us-east-1`.
        region: Option<String>,
        /// `AWS_ENDPOINT_URL`: a local SQS-compatible server.
        endpoint_url: Option<String>,
    },
    /// In-process queue: only the local runner picks this.
    InProcess,
}

impl QueueConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let queue_url = env("SQS_QUEUE_URL").ok_or(ConfigError::Missing(vec!["SQS_QUEUE_URL"]))?;
        Ok(Self::Sqs {
            queue_url,
            region: env("AWS_REGION"),
            endpoint_url: env("AWS_ENDPOINT_URL"),
        })
    }
}

/// How callers prove who they are.
#[derive(Clone)]
pub enum AuthConfig {
    /// `API_JWT_SECRET`: HS256 key for client and admin tokens.
    Jwt { secret: SecretString },
    /// `AUTH_DISABLED=true`: a private single-user deployment; logged at start.
    Disabled,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Jwt { .. } => f.write_str("AuthConfig::Jwt { secret: [REDACTED] }"),
            Self::Disabled => f.write_str("AuthConfig::Disabled"),
        }
    }
}

impl AuthConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        match env("AUTH_DISABLED").as_deref().map(str::trim) {
            Some("true" | "1") => return Ok(Self::Disabled),
            Some("false" | "0") | None => {}
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "AUTH_DISABLED",
                    reason: format!("must be true or false, got {other:?}"),
                });
            }
        }
        let secret = env("API_JWT_SECRET")
            .ok_or(ConfigError::Missing(vec!["API_JWT_SECRET (or AUTH_DISABLED=true)"]))?;
        if secret.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "API_JWT_SECRET",
                reason: "must be at least 32 characters".into(),
            });
        }
        Ok(Self::Jwt { secret: SecretString::from(secret) })
    }
}

/// Where the running timers come from: the Clockwork report app, reached with a short-lived
/// credential that one of two kinds of browser session hands out.
#[derive(Debug, Clone)]
pub enum TimerSourceConfig {
    /// `TIMER_SOURCE=connect`: the Atlassian Connect servlet (older Clockwork versions).
    Connect {
        /// `JIRA_BASE_URL`, else `https://{JIRA_DOMAIN}`.
        jira_base_url: Url,
        /// `JIRA_FULL_COOKIE`: the whole `Cookie` header of a signed-in browser.
        cookie: SecretString,
        /// `CLOCKWORK_REPORT_BASE_URL`, default `https://app.clockwork.report`.
        report_base_url: Url,
    },
    /// `TIMER_SOURCE=forge`: a Forge context token and the GraphQL gateway (Clockwork 3.7+).
    Forge {
        /// `JIRA_BASE_URL`, else `https://{JIRA_DOMAIN}`.
        jira_base_url: Url,
        /// `JIRA_TENANT_SESSION_TOKEN`: the browser's `tenant.session.token` cookie.
        tenant_session_token: SecretString,
        /// `JIRA_CLOUD_ID`.
        cloud_id: String,
        /// `JIRA_WORKSPACE_ID`.
        workspace_id: String,
        /// `FORGE_EXTENSION_ID`: Clockwork's Forge extension.
        extension_id: String,
    },
}

impl TimerSourceConfig {
    pub const DEFAULT_REPORT_BASE_URL: &str = "https://app.clockwork.report";

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    /// `TIMER_SOURCE` picks the flow; unset, the secret that is set does (both set is ambiguous).
    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let cookie = header_secret(env, "JIRA_FULL_COOKIE");
        let tenant_token = header_secret(env, "JIRA_TENANT_SESSION_TOKEN");
        let source = env("TIMER_SOURCE").map(|source| source.trim().to_ascii_lowercase());
        let forge = match source.as_deref() {
            Some("connect") => false,
            Some("forge") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "TIMER_SOURCE",
                    reason: format!("must be connect or forge, got {other:?}"),
                });
            }
            None => match (&cookie, &tenant_token) {
                (Ok(Some(_)), Ok(Some(_))) => {
                    return Err(ConfigError::Invalid {
                        name: "TIMER_SOURCE",
                        reason: "both JIRA_FULL_COOKIE and JIRA_TENANT_SESSION_TOKEN are set: \
                                 set TIMER_SOURCE to connect or forge to pick one"
                            .into(),
                    });
                }
                (_, Ok(Some(_))) => true,
                _ => false,
            },
        };
        let jira_base_url = jira_base_url(env);
        if forge {
            let token = tenant_token.and_then(|token| {
                token.ok_or(ConfigError::Missing(vec!["JIRA_TENANT_SESSION_TOKEN"]))
            });
            let ids = require(env, &["JIRA_CLOUD_ID", "JIRA_WORKSPACE_ID", "FORGE_EXTENSION_ID"]);
            return match (jira_base_url, token, ids) {
                (Ok(jira_base_url), Ok(tenant_session_token), Ok(mut ids)) => {
                    let extension_id = ids.pop().unwrap_or_default();
                    let workspace_id = ids.pop().unwrap_or_default();
                    let cloud_id = ids.pop().unwrap_or_default();
                    Ok(Self::Forge {
                        jira_base_url,
                        tenant_session_token,
                        cloud_id,
                        workspace_id,
                        extension_id,
                    })
                }
                (base, token, ids) => {
                    Err(merge_missing(base.err().into_iter().chain(token.err()).chain(ids.err()))
                        .unwrap_or(ConfigError::Missing(vec!["JIRA_TENANT_SESSION_TOKEN"])))
                }
            };
        }
        // Without TIMER_SOURCE either secret would do: say so when neither is set.
        let cookie_name = match source {
            Some(_) => "JIRA_FULL_COOKIE",
            None => "JIRA_FULL_COOKIE (or JIRA_TENANT_SESSION_TOKEN)",
        };
        let cookie =
            cookie.and_then(|cookie| cookie.ok_or(ConfigError::Missing(vec![cookie_name])));
        let report = env("CLOCKWORK_REPORT_BASE_URL")
            .unwrap_or_else(|| Self::DEFAULT_REPORT_BASE_URL.into());
        let report_base_url = parse_url("CLOCKWORK_REPORT_BASE_URL", &report);
        match (jira_base_url, cookie, report_base_url) {
            (Ok(jira_base_url), Ok(cookie), Ok(report_base_url)) => {
                Ok(Self::Connect { jira_base_url, cookie, report_base_url })
            }
            (base, cookie, report) => {
                Err(merge_missing(base.err().into_iter().chain(cookie.err()).chain(report.err()))
                    .unwrap_or(ConfigError::Missing(vec![cookie_name])))
            }
        }
    }
}

/// A secret that travels in an HTTP header, trimmed; `Invalid` when it holds control
/// characters (a header cannot carry them; usually a line break copied along).
fn header_secret(env: Lookup<'_>, name: &'static str) -> Result<Option<SecretString>, ConfigError> {
    let Some(value) = env(name) else { return Ok(None) };
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(ConfigError::Invalid {
            name,
            reason: "contains control characters (a line break?): copy it again as one line".into(),
        });
    }
    Ok(Some(SecretString::from(value)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn jira_base_url_comes_from_the_domain_unless_overridden() {
        let vars = env(&[
            ("JIRA_DOMAIN", "acme.atlassian.net"),
            ("ATLASSIAN_EMAIL", "bot@acme.com"),
            ("ATLASSIAN_API_TOKEN", "t0ken"),
        ]);
        let config = JiraConfig::from_lookup(&vars).unwrap();
        assert_eq!(config.base_url.as_str(), "https://acme.atlassian.net/");
        assert_eq!(config.api_token.expose_secret(), "t0ken");

        let vars = env(&[
            ("JIRA_DOMAIN", "acme.atlassian.net"),
            ("JIRA_BASE_URL", "http://127.0.0.1:9000"),
            ("ATLASSIAN_EMAIL", "bot@acme.com"),
            ("ATLASSIAN_API_TOKEN", "t0ken"),
        ]);
        assert_eq!(
            JiraConfig::from_lookup(&vars).unwrap().base_url.as_str(),
            "http://127.0.0.1:9000/"
        );
    }

    #[test]
    fn missing_jira_settings_are_all_named_at_once() {
        let err = JiraConfig::from_lookup(&env(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing configuration: set JIRA_DOMAIN, ATLASSIAN_EMAIL, ATLASSIAN_API_TOKEN"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let vars = env(&[
            ("JIRA_DOMAIN", "acme.atlassian.net"),
            ("ATLASSIAN_EMAIL", "bot@acme.com"),
            ("ATLASSIAN_API_TOKEN", "super-secret-token"),
            ("REDIS_URL", "redis://:hunter2@cache:6379"),
            ("API_JWT_SECRET", "0123456789abcdef0123456789abcdef-secret"),
        ]);
        let debug = format!(
            "{:?} {:?} {:?}",
            JiraConfig::from_lookup(&vars).unwrap(),
            CacheConfig::from_lookup(&vars).unwrap(),
            AuthConfig::from_lookup(&vars).unwrap()
        );
        for secret in ["super-secret-token", "hunter2", "0123456789abcdef"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    #[test]
    fn upstash_needs_both_url_and_token() {
        let err =
            CacheConfig::from_lookup(&env(&[("UPSTASH_REDIS_REST_URL", "https://x.upstash.io")]))
                .unwrap_err();
        assert_eq!(err, ConfigError::Missing(vec!["UPSTASH_REDIS_REST_TOKEN"]));
        assert!(matches!(CacheConfig::from_lookup(&env(&[])), Err(ConfigError::Missing(_))));
    }

    #[test]
    fn auth_is_on_unless_explicitly_disabled() {
        assert!(matches!(
            AuthConfig::from_lookup(&env(&[("AUTH_DISABLED", "true")])),
            Ok(AuthConfig::Disabled)
        ));
        assert!(matches!(AuthConfig::from_lookup(&env(&[])), Err(ConfigError::Missing(_))));
        assert!(AuthConfig::from_lookup(&env(&[("API_JWT_SECRET", "short")])).is_err());
        assert!(AuthConfig::from_lookup(&env(&[("AUTH_DISABLED", "yes please")])).is_err());
    }

    const COOKIE: &str = "cloud.session.token=browser-cookie-secret; atlassian.xsrf.token=x";
    const TENANT: &str = "tenant-session-secret";

    fn forge_ids() -> Vec<(&'static str, &'static str)> {
        vec![
            ("JIRA_DOMAIN", "acme.atlassian.net"),
            ("JIRA_CLOUD_ID", "cloud-1"),
            ("JIRA_WORKSPACE_ID", "workspace-1"),
            ("FORGE_EXTENSION_ID", "ari:cloud:ecosystem::extension/app/env/static/timers"),
        ]
    }

    #[test]
    fn timer_source_is_inferred_from_the_secret_that_is_set() {
        let vars = env(&[("JIRA_DOMAIN", "acme.atlassian.net"), ("JIRA_FULL_COOKIE", COOKIE)]);
        match TimerSourceConfig::from_lookup(&vars).unwrap() {
            TimerSourceConfig::Connect { jira_base_url, cookie, report_base_url } => {
                assert_eq!(jira_base_url.as_str(), "https://acme.atlassian.net/");
                assert_eq!(cookie.expose_secret(), COOKIE);
                assert_eq!(report_base_url.as_str(), "https://app.clockwork.report/");
            }
            other => panic!("expected connect, got {other:?}"),
        }

        let mut pairs = forge_ids();
        pairs.push(("JIRA_TENANT_SESSION_TOKEN", TENANT));
        match TimerSourceConfig::from_lookup(&env(&pairs)).unwrap() {
            TimerSourceConfig::Forge {
                tenant_session_token,
                cloud_id,
                workspace_id,
                extension_id,
                ..
            } => {
                assert_eq!(tenant_session_token.expose_secret(), TENANT);
                assert_eq!((cloud_id.as_str(), workspace_id.as_str()), ("cloud-1", "workspace-1"));
                assert!(extension_id.ends_with("/static/timers"));
            }
            other => panic!("expected forge, got {other:?}"),
        }
    }

    #[test]
    fn both_timer_secrets_without_timer_source_ask_to_pick_one() {
        let mut pairs = forge_ids();
        pairs.extend([("JIRA_TENANT_SESSION_TOKEN", TENANT), ("JIRA_FULL_COOKIE", COOKIE)]);
        let err = TimerSourceConfig::from_lookup(&env(&pairs)).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "TIMER_SOURCE", .. }), "{err}");

        pairs.push(("TIMER_SOURCE", "Forge"));
        let forge = TimerSourceConfig::from_lookup(&env(&pairs)).unwrap();
        assert!(matches!(forge, TimerSourceConfig::Forge { .. }));
        pairs.push(("TIMER_SOURCE", "carrier-pigeon"));
        let vars = env(&pairs);
        assert!(TimerSourceConfig::from_lookup(&vars).is_err());
    }

    #[test]
    fn timer_source_report_url_is_configurable() {
        let vars = env(&[
            ("JIRA_BASE_URL", "http://127.0.0.1:9000"),
            ("JIRA_FULL_COOKIE", COOKIE),
            ("CLOCKWORK_REPORT_BASE_URL", "http://127.0.0.1:9001/"),
        ]);
        let TimerSourceConfig::Connect { jira_base_url, report_base_url, .. } =
            TimerSourceConfig::from_lookup(&vars).unwrap()
        else {
            panic!("expected connect");
        };
        assert_eq!(jira_base_url.as_str(), "http://127.0.0.1:9000/");
        assert_eq!(report_base_url.as_str(), "http://127.0.0.1:9001/");
    }

    #[test]
    fn missing_timer_source_settings_are_all_named_at_once() {
        let err = TimerSourceConfig::from_lookup(&env(&[])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "missing configuration: set JIRA_DOMAIN, JIRA_FULL_COOKIE (or JIRA_TENANT_SESSION_TOKEN)"
        );
        let err = TimerSourceConfig::from_lookup(&env(&[("TIMER_SOURCE", "forge")])).unwrap_err();
        assert_eq!(
            err,
            ConfigError::Missing(vec![
                "JIRA_DOMAIN",
                "JIRA_TENANT_SESSION_TOKEN",
                "JIRA_CLOUD_ID",
                "JIRA_WORKSPACE_ID",
                "FORGE_EXTENSION_ID",
            ])
        );
        let err = TimerSourceConfig::from_lookup(&env(&[("TIMER_SOURCE", "connect")])).unwrap_err();
        assert_eq!(err, ConfigError::Missing(vec!["JIRA_DOMAIN", "JIRA_FULL_COOKIE"]));
    }

    #[test]
    fn a_cookie_with_a_line_break_is_invalid() {
        let vars = env(&[("JIRA_DOMAIN", "acme.atlassian.net"), ("JIRA_FULL_COOKIE", "a=1;\nb=2")]);
        let err = TimerSourceConfig::from_lookup(&vars).unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { name: "JIRA_FULL_COOKIE", .. }), "{err}");
        assert!(!err.to_string().contains("a=1"), "{err}");
    }

    #[test]
    fn timer_source_debug_never_shows_the_cookie_or_token() {
        let mut pairs = forge_ids();
        pairs.push(("JIRA_TENANT_SESSION_TOKEN", TENANT));
        let forge = TimerSourceConfig::from_lookup(&env(&pairs)).unwrap();
        pairs.retain(|(name, _)| *name != "JIRA_TENANT_SESSION_TOKEN");
        pairs.push(("JIRA_FULL_COOKIE", COOKIE));
        let connect = TimerSourceConfig::from_lookup(&env(&pairs)).unwrap();
        let debug = format!("{forge:?} {connect:?}");
        assert!(debug.contains("cloud-1"), "{debug}");
        for secret in [TENANT, "browser-cookie-secret"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
