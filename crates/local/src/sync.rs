//! `clockwork-local sync timers [--demo]`: one timer-sync run; its JSON summary last.
//! `clockwork-local sync jira --project KEY [--full] [--demo]`: one project sync with a
//! progress bar on stderr; its JSON summary last. `sync jira --all`: every active tracked
//! project once, a summary line each. Every run is assessed by the operations' telemetry
//! (back-off, alerts) as a scheduled one would be.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_clients::{HttpClient, HttpOptions, JiraApi, JiraClient};
use clockwork_core::ProjectKey;
use clockwork_core::event::{Event, TIMERS_SYNC_REQUESTED};
use clockwork_durable::Outcome;
use clockwork_jira_sync::{NoProgress, Progress, SyncEngine, SyncError, SyncOptions};
use clockwork_store::{JobStatus, Store};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::wiring::{self, Upstreams, cache, jira_failure};

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Run `sync-active-timers` once.
    Timers(TimersArgs),
    /// Sync one tracked Jira project: incremental, or full on its first run or with --full.
    Jira(JiraArgs),
}

#[derive(Debug, Args)]
pub struct TimersArgs {
    /// Sync from the simulated demo site instead of the configured one.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Args)]
pub struct JiraArgs {
    /// The tracked project's key, e.g. KAN.
    #[arg(long, value_parser = ProjectKey::parse, required_unless_present = "all", conflicts_with = "all")]
    project: Option<ProjectKey>,
    /// Every tracked project whose schedule is active, one after another.
    #[arg(long)]
    all: bool,
    /// Read every issue again instead of those changed since the last sync.
    #[arg(long)]
    full: bool,
    /// Sync from the simulated demo Jira instead of the configured one.
    #[arg(long)]
    demo: bool,
}

pub async fn run(command: SyncCommand) -> Result<()> {
    match command {
        SyncCommand::Timers(args) => timers(args).await,
        SyncCommand::Jira(args) => jira(args).await,
    }
}

async fn timers(args: TimersArgs) -> Result<()> {
    let upstreams = Upstreams::load(args.demo).await?;
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

async fn jira(args: JiraArgs) -> Result<()> {
    let upstreams = Upstreams::load(args.demo).await?;
    let (store, _) = wiring::store().await?;
    let operations = wiring::operations(&store, Some(&upstreams.jira))?;
    let client = Arc::new(JiraDataClient::new(&upstreams.jira, DataOptions::from_env()?));
    let engine = SyncEngine::new(client, store.clone(), SyncOptions::from_env()?)
        .with_observer(operations.telemetry);
    let Some(project) = &args.project else {
        return all_projects(&engine, &store, args.full).await;
    };
    let key = project.as_str();
    if !store.tracked_projects().await?.iter().any(|project| project.key == key) {
        bail!(
            "{key} is not tracked: run `clockwork-local projects track {key}` first \
             (`clockwork-local projects list` shows Jira's projects)"
        );
    }
    let bar = IssueBar::new(key)?;
    let result = engine.sync_project(key, args.full, &bar).await;
    // The summary follows on stdout; in a terminal it would share the bar's line.
    bar.0.finish_and_clear();
    let summary = match result {
        Ok(summary) => summary,
        Err(SyncError::Jira(error)) => return Err(jira_failure(&format!("sync of {key}"), &error)),
        Err(other) => bail!("sync of {key} failed ({}): {other}", other.code()),
    };
    writeln!(std::io::stdout(), "{}", serde_json::to_string(&summary)?)?;
    Ok(())
}

/// Each active project once; a failure is reported and the others still run. Fails at the
/// end when any did.
async fn all_projects(engine: &SyncEngine, store: &Store, full: bool) -> Result<()> {
    let active: Vec<String> = store
        .sync_jobs()
        .await?
        .into_iter()
        .filter(|job| job.status == JobStatus::Active)
        .map(|job| job.project_key)
        .collect();
    let mut failed = Vec::new();
    let mut out = std::io::stdout().lock();
    for key in &active {
        match engine.sync_project(key, full, &NoProgress).await {
            Ok(summary) => writeln!(out, "{}", serde_json::to_string(&summary)?)?,
            Err(error) => {
                writeln!(
                    out,
                    "{}",
                    serde_json::json!({ "project": key, "error": error.code(), "message": error.to_string() })
                )?;
                failed.push(key.as_str());
            }
        }
    }
    if !failed.is_empty() {
        bail!(
            "the sync of {} failed; `clockwork-local projects list` shows why",
            failed.join(", ")
        );
    }
    if active.is_empty() {
        writeln!(out, "No active tracked project: `clockwork-local projects track KEY` adds one.")?;
    }
    Ok(())
}

/// The issue phase on stderr: issues read of Jira's estimate, the rate and an ETA. Hidden
/// when stderr is not a terminal; then no request is spent on the estimate either.
struct IssueBar(ProgressBar);

impl IssueBar {
    fn new(project: &str) -> Result<Self> {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {human_pos}/~{human_len} issues  {rate}  ETA {eta}",
        )?
        .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{:.0}/s", state.per_sec());
        })
        .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(None, target)
            .with_style(style)
            .with_prefix(project.to_owned());
        Ok(Self(bar))
    }
}

impl Progress for IssueBar {
    fn wants_total(&self) -> bool {
        !self.0.is_hidden()
    }

    fn total(&self, issues: u64) {
        self.0.set_length(issues);
    }

    fn advanced(&self, issues: u64) {
        self.0.inc(issues);
    }
}
