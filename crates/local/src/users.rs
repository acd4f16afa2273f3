//! `clockwork-local users add-member|match`: the team, and which Jira account each member is.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use clap::{Args, Subcommand};
use clockwork_core::Email;
use clockwork_jira_sync::users::match_members;
use clockwork_store::{JiraUser, TeamMember};

use crate::{table, wiring};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a team member (adding the same email, or name without one, again updates it).
    AddMember(AddMemberArgs),
    /// Match team members to the Jira users synced so far: by email, then by exact name.
    Match,
}

#[derive(Debug, Args)]
pub struct AddMemberArgs {
    /// The member's name, as Jira would show it.
    #[arg(long)]
    name: String,
    /// The member's work email.
    #[arg(long, value_parser = Email::parse)]
    email: Option<Email>,
}

pub async fn run(command: UsersCommand) -> Result<()> {
    match command {
        UsersCommand::AddMember(args) => add_member(args).await,
        UsersCommand::Match => match_team().await,
    }
}

async fn add_member(args: AddMemberArgs) -> Result<()> {
    let name = args.name.trim();
    anyhow::ensure!(!name.is_empty(), "--name must not be empty");
    let (store, _) = wiring::store().await?;
    let email = args.email.as_ref().map(Email::as_str);
    store.upsert_team_member(&TeamMember::named(name, email)).await?;
    writeln!(
        std::io::stdout(),
        "Team member {name} saved; `clockwork-local users match` matches them to a Jira account."
    )?;
    Ok(())
}

async fn match_team() -> Result<()> {
    let (store, _) = wiring::store().await?;
    let members = store.team_members().await?;
    let users = store.jira_users().await?;
    let report = match_members(&members, &users);
    for (member, account, _) in &report.matched {
        store.set_team_member_account(member, Some(account)).await?;
    }

    let members: HashMap<&str, &TeamMember> = members.iter().map(|m| (m.id.as_str(), m)).collect();
    let users: HashMap<&str, &JiraUser> =
        users.iter().map(|u| (u.account_id.as_str(), u)).collect();
    let member_name = |id: &str| members.get(id).map_or(id, |m| m.display_name.as_str()).to_owned();
    let member_email = |id: &str| members.get(id).and_then(|m| m.email.clone()).unwrap_or_default();
    let user_name = |id: &str| users.get(id).map_or(id, |u| u.display_name.as_str()).to_owned();
    let user_email = |id: &str| {
        users.get(id).and_then(|u| u.email.clone()).unwrap_or_else(|| "(hidden)".to_owned())
    };

    let mut out = std::io::stdout().lock();
    if members.is_empty() {
        writeln!(out, "No team members yet: add them with `clockwork-local users add-member`.")?;
    }
    if users.is_empty() {
        writeln!(
            out,
            "No Jira users stored yet: `clockwork-local sync jira --project KEY` brings them in."
        )?;
    }
    let rows: Vec<[String; 4]> = report
        .matched
        .iter()
        .map(|(member, account, how)| {
            let how = if *how == "email" { "email" } else { "display name" };
            [member_name(member), user_name(account), account.clone(), how.to_owned()]
        })
        .collect();
    let title = format!("Team members matched ({} of {}):", rows.len(), members.len());
    section(&mut out, &title, ["MEMBER", "JIRA USER", "ACCOUNT ID", "MATCHED BY"], &rows)?;

    let rows: Vec<[String; 2]> =
        report.unmatched_members.iter().map(|id| [member_name(id), member_email(id)]).collect();
    let title = format!("\nTeam members without a Jira account ({}):", rows.len());
    section(&mut out, &title, ["MEMBER", "EMAIL"], &rows)?;

    let rows: Vec<[String; 3]> = report
        .unmatched_users
        .iter()
        .map(|id| [user_name(id), id.clone(), user_email(id)])
        .collect();
    let title = format!("\nJira users matched to no team member ({}):", rows.len());
    section(&mut out, &title, ["JIRA USER", "ACCOUNT ID", "EMAIL"], &rows)?;
    Ok(())
}

/// A titled table, left out when it has no rows.
fn section<const N: usize>(
    out: &mut impl Write,
    title: &str,
    headers: [&str; N],
    rows: &[[String; N]],
) -> std::io::Result<()> {
    writeln!(out, "{title}")?;
    if !rows.is_empty() {
        table::write(out, headers, rows)?;
    }
    Ok(())
}
