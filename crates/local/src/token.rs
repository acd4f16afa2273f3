//! `clockwork-local token issue --account-id ID [--email E] [--admin] [--ttl 30d]`.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use clockwork_api::auth::{Auth, Role};
use clockwork_core::config::AuthConfig;
use clockwork_core::{AccountId, Email};

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a signed token (uses API_JWT_SECRET).
    Issue(IssueArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The Atlassian account id the token acts as.
    #[arg(long)]
    account_id: String,
    /// The user's email, so they may also ask by `userEmail`.
    #[arg(long)]
    email: Option<String>,
    /// May read anyone's data and `all`.
    #[arg(long)]
    admin: bool,
    /// Lifetime such as 30d, 12h, 90m or 3600s.
    #[arg(long, default_value = "30d", value_parser = parse_ttl)]
    ttl: Duration,
}

pub fn run(command: TokenCommand) -> Result<()> {
    let TokenCommand::Issue(args) = command;
    let config = AuthConfig::from_env()?;
    if matches!(config, AuthConfig::Disabled) {
        bail!(
            "AUTH_DISABLED=true: tokens are not checked, so none can be issued; set API_JWT_SECRET"
        );
    }
    let account_id = AccountId::parse(&args.account_id).context("--account-id")?;
    let email = args.email.as_deref().map(Email::parse).transpose().context("--email")?;
    let role = if args.admin { Role::Admin } else { Role::User };
    let token = Auth::new(&config).issue(&account_id, email.as_ref(), role, args.ttl)?;
    writeln!(std::io::stdout(), "{token}")?;
    Ok(())
}

fn parse_ttl(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: u64 =
        number.parse().map_err(|_| format!("{raw:?} must look like 30d, 12h, 90m or 3600s"))?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" | "" => 1,
        _ => return Err(format!("{raw:?}: the unit must be d, h, m or s")),
    };
    if number == 0 || number > 3_650 * 86_400 / seconds {
        return Err(format!("{raw:?} must be between 1 second and 10 years"));
    }
    Ok(Duration::from_secs(number * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_units_are_days_hours_minutes_seconds() {
        assert_eq!(parse_ttl("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_ttl("12h"), Ok(Duration::from_secs(12 * 3_600)));
        assert_eq!(parse_ttl("90m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_ttl("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "d", "0d", "3w", "-1d", "99999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad:?}");
        }
    }
}
