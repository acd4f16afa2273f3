//! Typed JSON values over any [`Cache`].

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Cache, CacheError};

/// Reads and parses a JSON value. A value that no longer parses (an older shape) counts as a
/// miss and is logged, so a format change never turns into an error for the user.
pub async fn get_json<T: DeserializeOwned>(
    cache: &dyn Cache,
    key: &str,
) -> Result<Option<T>, CacheError> {
    let Some(raw) = cache.get(key).await? else { return Ok(None) };
    Ok(parse_or_log(key, &raw))
}

/// [`get_json`] for many keys in one round trip.
pub async fn mget_json<T: DeserializeOwned>(
    cache: &dyn Cache,
    keys: &[String],
) -> Result<Vec<Option<T>>, CacheError> {
    let values = cache.mget(keys).await?;
    Ok(keys
        .iter()
        .zip(values)
        .map(|(key, raw)| raw.and_then(|raw| parse_or_log(key, &raw)))
        .collect())
}

pub async fn set_json<T: Serialize>(
    cache: &dyn Cache,
    key: &str,
    value: &T,
    ttl: Option<Duration>,
) -> Result<(), CacheError> {
    let raw = to_json(value)?;
    cache.set(key, &raw, ttl).await
}

pub fn to_json<T: Serialize>(value: &T) -> Result<String, CacheError> {
    serde_json::to_string(value).map_err(|e| CacheError::Protocol(format!("serialize: {e}")))
}

fn parse_or_log<T: DeserializeOwned>(key: &str, raw: &str) -> Option<T> {
    serde_json::from_str(raw)
        .inspect_err(|error| tracing::warn!(key, %error, "ignoring unreadable cached value"))
        .ok()
}
