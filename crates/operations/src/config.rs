//! The operations' settings, from the environment (all documented in `.env.example`).

use clockwork_core::config::{ConfigError, Lookup, process_env};

use crate::alerts::Routes;
use crate::cron::Schedule;
use crate::policy::Policy;

pub const DEFAULT_CRON: &str = "*/15 * * * *";
/// Hourly, every 6 hours, daily.
pub const DEFAULT_LADDER: &str = "0 * * * *; 0 */6 * * *; 0 0 * * *";

#[derive(Debug, Clone)]
pub struct OperationsConfig {
    /// `SYNC_DEFAULT_CRON`: the schedule of a newly tracked project.
    pub default_cron: Schedule,
    /// `SYNC_BACKOFF_LADDER` (crons separated by `;`), `SYNC_BACKOFF_AFTER`,
    /// `SYNC_SLOW_FACTOR`, `SYNC_SLOW_ALERT_AFTER`.
    pub policy: Policy,
    /// `ALERT_ROUTES`: which channels hear of which alert kind.
    pub routes: Routes,
}

impl OperationsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&process_env)
    }

    pub fn from_lookup(env: Lookup<'_>) -> Result<Self, ConfigError> {
        let cron = |name: &'static str, text: &str| {
            Schedule::parse(text)
                .map_err(|error| ConfigError::Invalid { name, reason: error.to_string() })
        };
        let default_cron =
            cron("SYNC_DEFAULT_CRON", &env("SYNC_DEFAULT_CRON").unwrap_or(DEFAULT_CRON.into()))?;
        let ladder_text = env("SYNC_BACKOFF_LADDER").unwrap_or(DEFAULT_LADDER.into());
        let ladder = ladder_text
            .split(';')
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(|text| cron("SYNC_BACKOFF_LADDER", text))
            .collect::<Result<Vec<_>, _>>()?;
        let policy = Policy {
            threshold: number(env, "SYNC_BACKOFF_AFTER", 3)?,
            ladder,
            slow_factor: number(env, "SYNC_SLOW_FACTOR", 3.0)?,
            slow_alert_after: number(env, "SYNC_SLOW_ALERT_AFTER", 3)?,
            min_history: 5,
        };
        let routes = match env("ALERT_ROUTES") {
            Some(text) => Routes::parse(&text)
                .map_err(|reason| ConfigError::Invalid { name: "ALERT_ROUTES", reason })?,
            None => Routes::default(),
        };
        Ok(Self { default_cron, policy, routes })
    }
}

/// A positive number, or `default` when unset.
fn number<T>(env: Lookup<'_>, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + Default,
{
    let Some(text) = env(name) else { return Ok(default) };
    match text.trim().parse::<T>() {
        Ok(value) if value > T::default() => Ok(value),
        _ => {
            Err(ConfigError::Invalid { name, reason: format!("{text:?} is not a positive number") })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<OperationsConfig, ConfigError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        OperationsConfig::from_lookup(&move |name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_are_every_quarter_hour_with_an_hourly_six_hourly_daily_ladder() {
        let config = config(&[]).unwrap();
        assert_eq!(config.default_cron.as_str(), "*/15 * * * *");
        let ladder: Vec<&str> = config.policy.ladder.iter().map(Schedule::as_str).collect();
        assert_eq!(ladder, ["0 * * * *", "0 */6 * * *", "0 0 * * *"]);
        assert_eq!((config.policy.threshold, config.policy.slow_alert_after), (3, 3));
    }

    #[test]
    fn a_bad_setting_names_its_variable() {
        let error = config(&[("SYNC_BACKOFF_LADDER", "0 * * * *; 61 * * * *")]).unwrap_err();
        assert!(
            error.to_string().contains("SYNC_BACKOFF_LADDER")
                && error.to_string().contains("minute"),
            "{error}"
        );
        let error = config(&[("SYNC_BACKOFF_AFTER", "0")]).unwrap_err();
        assert!(error.to_string().contains("SYNC_BACKOFF_AFTER"), "{error}");
        let error = config(&[("ALERT_ROUTES", "auth=pigeon")]).unwrap_err();
        assert!(error.to_string().contains("pigeon"), "{error}");
    }
}
