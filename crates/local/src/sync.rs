//! `clockwork-local sync timers [--demo]`: one timer-sync run; its JSON summary last.

use std::io::Write;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use clockwork_clients::{HttpClient, HttpOptions, JiraApi, JiraClient};
use clockwork_core::event::{Event, TIMERS_SYNC_REQUESTED};
use clockwork_durable::Outcome;

use crate::wiring::{Upstreams, cache};

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Run `sync-active-timers` once.
    Timers(TimersArgs),
}

#[derive(Debug, Args)]
pub struct TimersArgs {
    /// Sync from the simulated demo site instead of the configured one.
    #[arg(long)]
    demo: bool,
}

pub async fn run(command: SyncCommand) -> Result<()> {
    let SyncCommand::Timers(args) = command;
    let upstreams = if args.demo { Upstreams::demo().await? } else { Upstreams::from_env(false)? };
    let (cache, _) = cache().await?;
    let http = HttpClient::new(HttpOptions::default());
    let jira: Arc<dyn JiraApi> = Arc::new(JiraClient::new(&upstreams.jira, http.clone()));
    let engine = upstreams.engine(cache, jira, http).context(
        "no timer source: set JIRA_FULL_COOKIE (Connect) or JIRA_TENANT_SESSION_TOKEN with \
         JIRA_CLOUD_ID, JIRA_WORKSPACE_ID and FORGE_EXTENSION_ID (Forge)",
    )?;
    match engine.handle(&Event::new(TIMERS_SYNC_REQUESTED, serde_json::json!({}))).await {
        Outcome::Completed { output, .. } => {
            writeln!(std::io::stdout(), "{output}")?;
            Ok(())
        }
        Outcome::Retry { error, .. } | Outcome::Failed { error, .. } => {
            bail!("timer sync failed: {error}")
        }
        other => bail!("timer sync did not run: {other:?}"),
    }
}
