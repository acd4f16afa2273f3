//! `clockwork-local projects list|track|untrack`: which Jira projects the integrator syncs,
//! and whose work in them.

use std::collections::HashMap;
use std::io::Write;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use clockwork_clients::jira_data::{DataOptions, JiraData, JiraDataClient};
use clockwork_core::{AccountId, ProjectKey};

use crate::table;
use crate::wiring::{self, Upstreams, jira_failure};

#[derive(Debug, Subcommand)]
pub enum ProjectsCommand {
    /// List the Jira projects the account can see, and which are tracked.
    List(ListArgs),
    /// Track a project: its issues, comments, worklogs and sprints are synced.
    Track(TrackArgs),
    /// Stop tracking a project; its stored data and watched users stay for a re-track.
    Untrack(UntrackArgs),
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
pub struct UntrackArgs {
    /// The project's key, e.g. KAN.
    #[arg(value_parser = ProjectKey::parse)]
    key: ProjectKey,
}

pub async fn run(command: ProjectsCommand) -> Result<()> {
    match command {
        ProjectsCommand::List(args) => list(args).await,
        ProjectsCommand::Track(args) => track(args).await,
        ProjectsCommand::Untrack(args) => untrack(args).await,
    }
}

async fn list(args: ListArgs) -> Result<()> {
    let upstreams = Upstreams::load(args.demo).await?;
    let (store, _) = wiring::store().await?;
    let jira = JiraDataClient::new(&upstreams.jira, DataOptions::default());
    let visible =
        jira.projects().await.map_err(|error| jira_failure("listing Jira's projects", &error))?;
    let mut tracked: HashMap<String, String> =
        store.tracked_projects().await?.into_iter().map(|p| (p.key, p.name)).collect();
    let mut rows = Vec::with_capacity(visible.len());
    for project in visible {
        let state = match tracked.remove(&project.key) {
            Some(_) => watch_state(&store.tracked_users(&project.key).await?),
            None => "no".to_owned(),
        };
        rows.push([project.key, project.name, state]);
    }
    // Tracked, yet gone from Jira's list: deleted, archived or no longer visible to the account.
    let mut missing: Vec<(String, String)> = tracked.into_iter().collect();
    missing.sort();
    for (key, name) in missing {
        rows.push([key, name, "yes, but not visible in Jira".to_owned()]);
    }
    let mut out = std::io::stdout().lock();
    table::write(&mut out, ["KEY", "NAME", "TRACKED"], &rows)?;
    Ok(())
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

    let newly = store.track_project(key, &project.id, &project.name).await?;
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
    writeln!(out, "Sync it with: clockwork-local sync jira --project {key}")?;
    Ok(())
}

async fn untrack(args: UntrackArgs) -> Result<()> {
    let (store, _) = wiring::store().await?;
    let key = args.key.as_str();
    if !store.untrack_project(key).await? {
        bail!("{key} is not tracked; `clockwork-local projects list` shows which projects are");
    }
    writeln!(
        std::io::stdout(),
        "Stopped tracking {key}; its stored data and watched users stay for a later re-track."
    )?;
    Ok(())
}
