//! acquire-jwt: a report-app credential, reused across runs until shortly before expiry.
//!
//! Two tiers: this process's memory (a warm Lambda or the local runner pays nothing) and the
//! shared cache (every other process), both dropped a minute before the credential expires.
//! The step's output is the credential's cache form, memoized no longer than it is usable.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use clockwork_cache::Cache;
use clockwork_clients::report::{Credential, TimerReport};
use clockwork_durable::StepError;
use secrecy::ExposeSecret;

use crate::report_failure;

pub const STEP: &str = "acquire-jwt";
/// Where the shared tier keeps the credential.
pub const CACHE_KEY: &str = "clockwork:report:credential";
/// A credential this close to expiry is not used any more.
pub const MARGIN: TimeDelta = TimeDelta::seconds(60);

/// How long a credential may still be used.
pub fn usable_for(credential: &Credential) -> Duration {
    credential.remaining_at(Utc::now() + MARGIN)
}

/// The memo of acquire-jwt (a credential's cache form) never outlives the credential.
pub fn memo_ttl(cached: &str) -> Duration {
    Credential::from_cache_json(cached).map_or(Duration::ZERO, |credential| usable_for(&credential))
}

/// Reads a credential back from its cache form.
pub fn parse(cached: &str) -> Result<Credential, StepError> {
    Credential::from_cache_json(cached).map_err(|e| {
        StepError::retryable(
            "CREDENTIAL_UNREADABLE",
            format!("a stored credential did not parse: {e}"),
        )
    })
}

#[derive(Debug, Default)]
pub struct CredentialCache {
    memory: Mutex<Option<Credential>>,
}

impl CredentialCache {
    /// A usable credential, in its cache form: from memory, else the shared cache, else new.
    pub async fn acquire(
        &self,
        cache: &dyn Cache,
        report: &dyn TimerReport,
    ) -> Result<String, StepError> {
        if let Some(held) = self.held() {
            return Ok(held.to_cache_json());
        }
        let shared = cache.get(CACHE_KEY).await.map_err(|e| StepError::cache(&e))?;
        if let Some(stored) =
            shared.as_deref().and_then(|raw| Credential::from_cache_json(raw).ok())
            && !usable_for(&stored).is_zero()
        {
            self.remember_locally(&stored);
            return Ok(stored.to_cache_json());
        }
        let fresh = report.acquire().await.map_err(|e| report_failure(&e))?;
        self.remember(cache, &fresh).await?;
        tracing::info!(expires_at = %fresh.expires_at, "acquired a report credential");
        Ok(fresh.to_cache_json())
    }

    /// Keeps a credential (a fresh one, or one the report app refreshed) in both tiers;
    /// the one already held is not written again, so a warm run spends no round trip here.
    pub async fn remember(
        &self,
        cache: &dyn Cache,
        credential: &Credential,
    ) -> Result<(), StepError> {
        if self.held().is_some_and(|held| same(&held, credential)) {
            return Ok(());
        }
        self.remember_locally(credential);
        let ttl = usable_for(credential);
        if ttl.is_zero() {
            return Ok(());
        }
        cache
            .set(CACHE_KEY, &credential.to_cache_json(), Some(ttl))
            .await
            .map_err(|e| StepError::cache(&e))
    }

    /// Drops a credential the report app refused, from both tiers.
    pub async fn invalidate(&self, cache: &dyn Cache) -> Result<(), StepError> {
        *self.memory.lock().unwrap_or_else(|e| e.into_inner()) = None;
        cache.del(&[CACHE_KEY.to_owned()]).await.map_err(|e| StepError::cache(&e))?;
        Ok(())
    }

    fn held(&self) -> Option<Credential> {
        let memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        memory.as_ref().filter(|held| !usable_for(held).is_zero()).cloned()
    }

    fn remember_locally(&self, credential: &Credential) {
        *self.memory.lock().unwrap_or_else(|e| e.into_inner()) = Some(credential.clone());
    }
}

fn same(a: &Credential, b: &Credential) -> bool {
    a.expires_at == b.expires_at && a.token.expose_secret() == b.token.expose_secret()
}
