//! `clockwork-local projects list|track|untrack`: which Jira projects the integrator syncs,
//! and whose work in them; `projects pause|resume|trigger|reschedule`: their schedules.

use std::collections::HashMap;
use std::io::Write;

use anyhow::{Result, bail};
use chrono::DateTime;
use clap::{Args, Subcommand};
use clockwork_clients::jira_data::{DataOptions, JiraData, JiraDataClient};
use clockwork_core::{AccountId, ProjectKey};
use clockwork_operations::{ControlError, Controls};
use clockwork_store::{Store, SyncJob};

use crate::table;
use crate::wiring::{self, Upstreams, jira_failure};

/// The webhooks' JQL names the tracked projects; it is Jira's copy, updated by re-registering.
const WEBHOOKS_HINT: &str = "If Jira webhooks deliver here, re-run `clockwork-local webhooks \
                             register --url …` so their JQL matches the tracked projects.";

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// List the Jira projects the account can see, and which are tracked.
    List(ListArgs),
    /// Track a project: its issues, comments, worklogs and sprints are synced.
    Track(TrackArgs),
    /// Stop tracking a project; its stored data and watched users stay for a re-track.
    Untrack(KeyArgs),
    /// No more scheduled syncs of the project (a trigger still runs one).
    Pause(KeyArgs),
    /// Scheduled syncs again, from the cron's next firing (no sync is started).
    Resume(KeyArgs),
    /// One sync now, or at the next tick of the schedule where `serve` or the worker runs.
    Trigger(TriggerArgs),
    /// A new schedule: a 5-field cron in UTC.
    Reschedule(RescheduleArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Ask the simulated demo Jira instead of the configured one.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Args)]
pub struct TrackArgs {
    /// The project's key, e.g. KAN.
    #[arg(value_parser = ProjectKey::parse)]
    key: ProjectKey,
    /// Watch this account (repeatable): a project with watched accounts ingests only their work.
    #[arg(long = "user", value_name = "ACCOUNT_ID", value_parser = AccountId::parse)]
    users: Vec<AccountId>,
    /// Ask the simulated demo Jira instead of the configured one.
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The project's key, e.g. KAN.
    #[arg(value_parser = ProjectKey::parse)]
    key: ProjectKey,
}

#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The project's key, e.g. KAN.
    #[arg(value_parser = ProjectKey::parse)]
    key: ProjectKey,
    /// Read every issue again instead of those changed since the last sync.
    #[arg(long)]
    full: bool,
    /// Backfill only this watched account's work (repeatable).
    #[arg(long = "user", value_name = "ACCOUNT_ID", value_parser = AccountId::parse)]
    users: Vec<AccountId>,
}

#[derive(Debug, Args)]
pub struct RescheduleArgs {
    /// The project's key, e.g. KAN.
    #[arg(value_parser = ProjectKey::parse)]
    key: ProjectKey,
    /// Minute hour day-of-month month day-of-week, in UTC, e.g. '0 * * * *' (hourly).
    #[arg(long)]
    cron: String,
}

pub async fn run(command: ProjectsCommand) -> Result<()> {
    match command {
        ProjectsCommand::List(args) => list(args).await,
        ProjectsCommand::Track(args) => track(args).await,
        ProjectsCommand::Untrack(args) => untrack(args).await,
        ProjectsCommand::Pause(args) => {
            let (controls, _) = controls().await?;
            report(controls.pause(args.key.as_str()).await, "Paused")
        }
        ProjectsCommand::Resume(args) => {
            let (controls, _) = controls().await?;
            report(controls.resume(args.key.as_str()).await, "Resumed")
        }
        ProjectsCommand::Reschedule(args) => {
            let (controls, _) = controls().await?;
            report(controls.reschedule(args.key.as_str(), &args.cron).await, "Rescheduled")
        }
        ProjectsCommand::Trigger(args) => trigger(args).await,
    }
}

/// The controls over the local store; triggers enqueue at once when a shared queue is
/// configured.
async fn controls() -> Result<(Controls, Store)> {
    let (store, _) = wiring::store().await?;
    let operations = wiring::operations(&store, None)?;
    Ok((operations.controls, store))
}

/// A control's outcome as a person reads it.
fn report(result: Result<SyncJob, ControlError>, done: &str) -> Result<()> {
    let job = result?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{done} {}: {}.", job.project_key, schedule_line(&job))?;
    Ok(())
}

fn schedule_line(job: &SyncJob) -> String {
    let mut line = format!("{} ({}), next run {}", job.status, job.cron, when(job.next_run_ms));
    if job.cron != job.original_cron {
        line.push_str(&format!("; backed off from {}", job.original_cron));
    }
    line
}

async fn trigger(args: TriggerArgs) -> Result<()> {
    let (controls, _) = controls().await?;
    let key = args.key.as_str();
    let accounts: Vec<String> = args.users.iter().map(|user| user.as_str().to_owned()).collect();
    let triggered = controls.trigger(key, args.full, &accounts).await?;
    writeln!(std::io::stdout(), "{}", triggered.describe(key))?;
    Ok(())
}

/// An instant for a table cell, to the minute in UTC.
fn when(ms: Option<i64>) -> String {
    ms.and_then(DateTime::from_timestamp_millis)
        .map_or_else(|| "-".to_owned(), |at| at.format("%Y-%m-%d %H:%M").to_string())
}

async fn list(args: ListArgs) -> Result<()> {
    let upstreams = Upstreams::load(args.demo).await?;
    let (store, _) = wiring::store().await?;
    let jira = JiraDataClient::new(&upstreams.jira, DataOptions::default());
    let visible =
        jira.projects().await.map_err(|error| jira_failure("listing Jira's projects", &error))?;
    let mut tracked: HashMap<String, String> =
        store.tracked_projects().await?.into_iter().map(|p| (p.key, p.name)).collect();
    let mut jobs: HashMap<String, SyncJob> =
        store.sync_jobs().await?.into_iter().map(|job| (job.project_key.clone(), job)).collect();
    let mut rows = Vec::with_capacity(visible.len());
    for project in visible {
        let state = match tracked.remove(&project.key) {
            Some(_) => watch_state(&store.tracked_users(&project.key).await?),
            None => "no".to_owned(),
        };
        let job = jobs.remove(&project.key);
        rows.push(row(project.key, project.name, state, job.as_ref()));
    }
    // Tracked, yet gone from Jira's list: deleted, archived or no longer visible to the account.
    let mut missing: Vec<(String, String)> = tracked.into_iter().collect();
    missing.sort();
    for (key, name) in missing {
        let job = jobs.remove(&key);
        rows.push(row(key, name, "yes, but not visible in Jira".to_owned(), job.as_ref()));
    }
    let mut out = std::io::stdout().lock();
    let headers = [
        "KEY",
        "NAME",
        "TRACKED",
        "SCHEDULE",
        "STATUS",
        "LAST RUN",
        "NEXT RUN",
        "RUNG",
        "LAST ERROR",
    ];
    table::write(&mut out, headers, &rows)?;
    Ok(())
}

/// A project's row; an untracked one has no schedule cells.
fn row(key: String, name: String, tracked: String, job: Option<&SyncJob>) -> [String; 9] {
    let Some(job) = job else {
        return [
            key,
            name,
            tracked,
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
    };
    let schedule = if job.cron == job.original_cron {
        job.cron.clone()
    } else {
        format!("{} (set: {})", job.cron, job.original_cron)
    };
    [
        key,
        name,
        tracked,
        schedule,
        job.status.to_string(),
        when(job.last_run_ms),
        when(job.next_run_ms),
        job.backoff_rung.to_string(),
        job.last_error_code.clone().unwrap_or_else(|| "-".to_owned()),
    ]
}

fn watch_state(users: &[String]) -> String {
    match users.len() {
        0 => "yes (everyone's work)".to_owned(),
        1 => "yes (1 watched user)".to_owned(),
        n => format!("yes ({n} watched users)"),
    }
}

async fn track(args: TrackArgs) -> Result<()> {
    let upstreams = Upstreams::load(args.demo).await?;
    let (store, _) = wiring::store().await?;
    let jira = JiraDataClient::new(&upstreams.jira, DataOptions::default());
    let key = args.key.as_str();
    let projects =
        jira.projects().await.map_err(|error| jira_failure("listing Jira's projects", &error))?;
    let Some(project) = projects.into_iter().find(|p| p.key == key) else {
        bail!(
            "Jira has no project {key} that {} can see; `clockwork-local projects list` shows \
             the ones it can",
            upstreams.jira.email
        );
    };
    let found = jira
        .users(&args.users)
        .await
        .map_err(|error| jira_failure("looking up the --user accounts", &error))?;
    let names: HashMap<String, String> = found
        .into_iter()
        .map(|user| (user.account_id, user.display_name.unwrap_or_default()))
        .collect();
    let unknown: Vec<&str> =
        args.users.iter().map(AccountId::as_str).filter(|id| !names.contains_key(*id)).collect();
    if !unknown.is_empty() {
        bail!("Jira has no account {} (--user takes Atlassian account ids)", unknown.join(", "));
    }

    let operations = wiring::operations(&store, Some(&upstreams.jira))?;
    let newly = operations.controls.track(key, &project.id, &project.name).await?;
    let mut out = std::io::stdout().lock();
    let verb = if newly { "Tracking" } else { "Already tracking" };
    writeln!(out, "{verb} {key} ({}).", project.name)?;
    let mut added = 0;
    for user in &args.users {
        let id = user.as_str();
        let name = names.get(id).map_or("", String::as_str);
        if store.add_tracked_user(key, id).await? {
            added += 1;
            writeln!(out, "Watching {name} ({id}) in {key}.")?;
        } else {
            writeln!(out, "{name} ({id}) was already watched in {key}.")?;
        }
    }
    let watched = store.tracked_users(key).await?;
    if watched.is_empty() {
        writeln!(out, "Everyone's work in {key} is ingested.")?;
    } else {
        writeln!(out, "Only the work of {} watched user(s) is ingested.", watched.len())?;
    }
    if added > 0 {
        writeln!(
            out,
            "The next sync of {key} will be a full resync, to backfill the new users' history."
        )?;
    }
    if let Some(job) = store.sync_job(key).await? {
        writeln!(
            out,
            "Schedule: {} (UTC cron; change it with `projects reschedule`).",
            schedule_line(&job)
        )?;
    }
    writeln!(out, "Sync it now with: clockwork-local sync jira --project {key}")?;
    if newly {
        writeln!(out, "{WEBHOOKS_HINT}")?;
    }
    Ok(())
}

async fn untrack(args: KeyArgs) -> Result<()> {
    let (controls, _) = controls().await?;
    let key = args.key.as_str();
    match controls.untrack(key).await {
        Ok(()) => {}
        Err(ControlError::NotTracked(_)) => {
            bail!("{key} is not tracked; `clockwork-local projects list` shows which projects are")
        }
        Err(other) => return Err(other.into()),
    }
    writeln!(
        std::io::stdout(),
        "Stopped tracking {key}; its stored data and watched users stay for a later re-track.\n\
         {WEBHOOKS_HINT}"
    )?;
    Ok(())
}
