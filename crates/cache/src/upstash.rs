//! Upstash's REST API: each Redis command is a JSON array posted over HTTPS.
//!
//! Serverless hosts favour this over `REDIS_URL` because a request needs no long-lived TCP
//! connection. A batch of writes is one `/multi-exec` request, so it stays one round trip and
//! one transaction.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::redis_backend::{millis, set_command, write_commands};
use crate::{Cache, CacheError, Write};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// A whole request, TLS and body included; a cache slower than this is treated as down.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

pub struct UpstashCache {
    client: reqwest::Client,
    command_url: Url,
    multi_exec_url: Url,
    token: SecretString,
    round_trips: AtomicU64,
}

impl fmt::Debug for UpstashCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstashCache")
            .field("url", &self.command_url.as_str())
            .finish_non_exhaustive()
    }
}

/// One command's answer: `{"result": …}` or `{"error": "…"}`.
#[derive(Debug, Deserialize)]
struct Reply {
    #[serde(default)]
    result: Value,
    error: Option<String>,
}

impl Reply {
    fn into_result(self) -> Result<Value, CacheError> {
        match self.error {
            Some(error) => Err(CacheError::Protocol(format!("Upstash: {error}"))),
            None => Ok(self.result),
        }
    }
}

/// `/multi-exec` answers one reply per command, or a single error when the whole
/// transaction was refused.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum BatchReply {
    Each(Vec<Reply>),
    Refused(Reply),
}

impl UpstashCache {
    pub fn new(url: Url, token: SecretString) -> Result<Self, CacheError> {
        clockwork_core::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|error| {
                CacheError::Unavailable(clockwork_core::tls::setup_failure("Upstash", &error))
            })?;
        let base = url.as_str().trim_end_matches('/');
        let multi_exec_url = Url::parse(&format!("{base}/multi-exec"))
            .map_err(|error| CacheError::Unavailable(format!("bad Upstash URL: {error}")))?;
        Ok(Self { client, command_url: url, multi_exec_url, token, round_trips: AtomicU64::new(0) })
    }

    async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: &Url,
        body: &B,
    ) -> Result<T, CacheError> {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let response = self
            .client
            .post(url.clone())
            .bearer_auth(self.token.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(|error| {
                CacheError::Unavailable(format!(
                    "Upstash: {}",
                    clockwork_core::error::cause_chain(&error)
                ))
            })?;
        let status = response.status();
        if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
            return Err(CacheError::Unavailable(
                "Upstash rejected the token: check UPSTASH_REDIS_REST_TOKEN".into(),
            ));
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(CacheError::Unavailable(format!("Upstash answered {status}")));
        }
        // Command errors come as 400 with `{"error": …}`, so the body is read whatever the status.
        let body = response.bytes().await.map_err(|error| {
            CacheError::Unavailable(format!(
                "Upstash: {}",
                clockwork_core::error::cause_chain(&error)
            ))
        })?;
        serde_json::from_slice(&body).map_err(|error| {
            CacheError::Protocol(format!(
                "Upstash answered {status} with an unexpected body: {error}"
            ))
        })
    }

    async fn command<B: Serialize + ?Sized>(&self, command: &B) -> Result<Value, CacheError> {
        self.post::<_, Reply>(&self.command_url, command).await?.into_result()
    }
}

fn with_keys<'a>(name: &'a str, keys: &'a [String]) -> Vec<&'a str> {
    std::iter::once(name).chain(keys.iter().map(String::as_str)).collect()
}

fn unexpected(what: &str, value: &Value) -> CacheError {
    CacheError::Protocol(format!("Upstash answered {value} where {what} was expected"))
}

fn optional_string(value: Value) -> Result<Option<String>, CacheError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text)),
        other => Err(unexpected("a string or null", &other)),
    }
}

fn integer(value: Value) -> Result<i64, CacheError> {
    value.as_i64().ok_or_else(|| unexpected("an integer", &value))
}

fn array(value: Value) -> Result<Vec<Value>, CacheError> {
    match value {
        Value::Array(items) => Ok(items),
        other => Err(unexpected("an array", &other)),
    }
}

#[async_trait]
impl Cache for UpstashCache {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        optional_string(self.command(&["GET", key]).await?)
    }

    async fn mget(&self, keys: &[String]) -> Result<Vec<Option<String>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values = array(self.command(&with_keys("MGET", keys)).await?)?;
        values.into_iter().map(optional_string).collect()
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError> {
        self.command(&set_command(key, value, ttl)).await.map(drop)
    }

    async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, CacheError> {
        let reply = self.command(&["SET", key, value, "NX", "PX", &millis(ttl)]).await?;
        // `"OK"` when set, null when the key already existed.
        Ok(optional_string(reply)?.is_some())
    }

    async fn incr(&self, key: &str, window: Duration) -> Result<u64, CacheError> {
        let reply =
            self.command(&["EVAL", crate::INCR_IN_WINDOW, "1", key, &millis(window)]).await?;
        u64::try_from(integer(reply)?)
            .map_err(|_| CacheError::Protocol("negative INCR count".into()))
    }

    async fn del(&self, keys: &[String]) -> Result<u64, CacheError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let deleted = self.command(&with_keys("DEL", keys)).await?;
        u64::try_from(integer(deleted)?)
            .map_err(|_| CacheError::Protocol("negative DEL count".into()))
    }

    async fn smembers(&self, key: &str) -> Result<Vec<String>, CacheError> {
        let members = array(self.command(&["SMEMBERS", key]).await?)?;
        members
            .into_iter()
            .map(|member| {
                optional_string(member)?.ok_or_else(|| unexpected("a member", &Value::Null))
            })
            .collect()
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError> {
        // -2: no such key; -1: no expiry.
        let millis = integer(self.command(&["PTTL", key]).await?)?;
        Ok(u64::try_from(millis).ok().map(Duration::from_millis))
    }

    async fn atomic(&self, writes: &[Write]) -> Result<(), CacheError> {
        let commands = write_commands(writes);
        if commands.is_empty() {
            return Ok(());
        }
        match self.post(&self.multi_exec_url, &commands).await? {
            BatchReply::Each(replies) => {
                replies.into_iter().try_for_each(|reply| reply.into_result().map(drop))
            }
            BatchReply::Refused(reply) => Err(match reply.into_result() {
                Err(error) => error,
                Ok(value) => unexpected("one reply per command", &value),
            }),
        }
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.command(&["PING"]).await.map(drop)
    }

    fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }
}
