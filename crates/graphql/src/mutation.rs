//! The admin controls: each a call of [`clockwork_operations::Controls`] or of the store,
//! for admins only. Each is safe to repeat: a failure halfway leaves what was done in place,
//! and the same call again finishes the job.

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use clockwork_core::{AccountId, Email};
use clockwork_jira_sync::users::match_members;

use crate::admin::{SyncJob, SyncTrigger, TrackedProject};
use crate::data::{TeamMember, User};
use crate::errors::{self, AdminOnly, invalid};
use crate::projects;
use crate::service::Deps;

/// The watchlist after `setTrackedUsers`.
#[derive(SimpleObject)]
pub struct TrackedUsersChange {
    pub project_key: String,
    pub tracked_account_ids: Vec<String>,
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// The backfill of the added accounts' history, when any were added.
    pub backfill: Option<SyncTrigger>,
}

#[derive(SimpleObject)]
pub struct TeamMatch {
    pub member: TeamMember,
    pub user: User,
    /// `email` or `displayName`.
    pub matched_by: String,
}

/// What `matchUsers` matched, and who is left for a manual match.
#[derive(SimpleObject)]
pub struct MatchReport {
    pub matched: Vec<TeamMatch>,
    pub unmatched_members: Vec<TeamMember>,
    pub unmatched_users: Vec<User>,
}

#[derive(Debug)]
pub struct MutationRoot;

#[Object]
impl MutationRoot {
    /// Resumes the schedule and runs a sync now (`full`: every issue again).
    #[graphql(guard = "AdminOnly")]
    async fn start_project_sync(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        full: Option<bool>,
    ) -> Result<SyncTrigger> {
        let (deps, key) = project(ctx, &project_id).await?;
        let triggered =
            deps.controls.start(&key, full.unwrap_or(false)).await.map_err(errors::control)?;
        Ok(SyncTrigger { project_key: key, triggered })
    }

    /// No more scheduled syncs (a trigger still runs one).
    #[graphql(guard = "AdminOnly")]
    async fn pause_project_sync(&self, ctx: &Context<'_>, project_id: ID) -> Result<SyncJob> {
        let (deps, key) = project(ctx, &project_id).await?;
        Ok(SyncJob(deps.controls.pause(&key).await.map_err(errors::control)?))
    }

    /// Scheduled syncs again from the cron's next firing; starts no sync.
    #[graphql(guard = "AdminOnly")]
    async fn resume_project_sync(&self, ctx: &Context<'_>, project_id: ID) -> Result<SyncJob> {
        let (deps, key) = project(ctx, &project_id).await?;
        Ok(SyncJob(deps.controls.resume(&key).await.map_err(errors::control)?))
    }

    /// A new 5-field UTC cron; a bad one is refused with `INVALID_CRON` naming the field.
    #[graphql(guard = "AdminOnly")]
    async fn reschedule_project_sync(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        cron: String,
    ) -> Result<SyncJob> {
        let (deps, key) = project(ctx, &project_id).await?;
        Ok(SyncJob(deps.controls.reschedule(&key, &cron).await.map_err(errors::control)?))
    }

    /// One sync outside the schedule; with `accountIds`, a backfill of those watched accounts.
    #[graphql(guard = "AdminOnly")]
    async fn trigger_project_sync(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        full: Option<bool>,
        account_ids: Option<Vec<String>>,
    ) -> Result<SyncTrigger> {
        let (deps, key) = project(ctx, &project_id).await?;
        let accounts = account_ids.map(|ids| accounts(&ids)).transpose()?.unwrap_or_default();
        let triggered = deps
            .controls
            .trigger(&key, full.unwrap_or(false), &accounts)
            .await
            .map_err(errors::control)?;
        Ok(SyncTrigger { project_key: key, triggered })
    }

    /// Tracks a project Jira shows (by key or id) on the default schedule.
    #[graphql(guard = "AdminOnly")]
    async fn track_project(&self, ctx: &Context<'_>, project_id: ID) -> Result<TrackedProject> {
        let deps = Deps::of(ctx)?;
        let project = projects::in_jira(deps.jira.as_ref(), &project_id).await?;
        deps.controls
            .track(&project.key, &project.id, &project.name)
            .await
            .map_err(errors::control)?;
        let tracked = deps.store.tracked_projects().await.map_err(errors::store)?;
        let tracked = tracked.into_iter().find(|p| p.key == project.key);
        tracked.map(TrackedProject).ok_or_else(|| errors::not_tracked(&project.key))
    }

    /// Stops syncing a project; its data, watchlist and schedule stay for a re-track.
    #[graphql(guard = "AdminOnly")]
    async fn untrack_project(&self, ctx: &Context<'_>, project_id: ID) -> Result<bool> {
        let (deps, key) = project(ctx, &project_id).await?;
        deps.controls.untrack(&key).await.map_err(errors::control)?;
        Ok(true)
    }

    /// Makes the watchlist exactly `accountIds` (checked against Jira); the added
    /// accounts' history is backfilled by a sync triggered at once.
    #[graphql(guard = "AdminOnly")]
    async fn set_tracked_users(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        account_ids: Vec<String>,
    ) -> Result<TrackedUsersChange> {
        let (deps, key) = project(ctx, &project_id).await?;
        if !deps.store.tracked_projects().await.map_err(errors::store)?.iter().any(|p| p.key == key)
        {
            return Err(errors::not_tracked(&key));
        }
        let wanted = accounts(&account_ids)?;
        let parsed: Vec<AccountId> =
            wanted.iter().filter_map(|id| AccountId::parse(id).ok()).collect();
        let found = deps
            .jira
            .users(&parsed)
            .await
            .map_err(|e| errors::jira("looking the accounts up in Jira", e))?;
        let known: HashSet<&str> = found.iter().map(|user| user.account_id.as_str()).collect();
        let unknown: Vec<&str> =
            wanted.iter().map(String::as_str).filter(|id| !known.contains(id)).collect();
        if !unknown.is_empty() {
            return Err(invalid(
                "accountIds",
                format!("names no Jira account: {}", unknown.join(", ")),
            ));
        }
        let users: Vec<_> = found.iter().map(clockwork_jira_sync::normalize::user).collect();
        deps.store.upsert_users(&users).await.map_err(errors::store)?;

        let before = deps.store.tracked_users(&key).await.map_err(errors::store)?;
        let mut added = Vec::new();
        for id in wanted.iter().filter(|id| !before.contains(id)) {
            if deps.store.add_tracked_user(&key, id).await.map_err(errors::store)? {
                added.push(id.clone());
            }
        }
        let mut removed = Vec::new();
        for id in before.iter().filter(|id| !wanted.contains(id)) {
            if deps.store.remove_tracked_user(&key, id).await.map_err(errors::store)? {
                removed.push(id.clone());
            }
        }
        let backfill = if added.is_empty() {
            None
        } else {
            let triggered =
                deps.controls.trigger(&key, true, &added).await.map_err(errors::control)?;
            Some(SyncTrigger { project_key: key.clone(), triggered })
        };
        let tracked_account_ids = deps.store.tracked_users(&key).await.map_err(errors::store)?;
        Ok(TrackedUsersChange { project_key: key, tracked_account_ids, added, removed, backfill })
    }

    /// Adds a member (the same email, or name without one, again updates them).
    #[graphql(guard = "AdminOnly")]
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        display_name: String,
        email: Option<String>,
    ) -> Result<TeamMember> {
        let name = display_name.trim();
        if name.is_empty() {
            return Err(invalid("displayName", "must not be empty"));
        }
        let email = email
            .filter(|email| !email.trim().is_empty())
            .map(|email| Email::parse(&email))
            .transpose()
            .map_err(|error| invalid("email", error))?;
        let member = clockwork_store::TeamMember::named(name, email.as_ref().map(Email::as_str));
        let store = &Deps::of(ctx)?.store;
        store.upsert_team_member(&member).await.map_err(errors::store)?;
        let stored = store.team_member(&member.id).await.map_err(errors::store)?;
        Ok(TeamMember(stored.unwrap_or(member)))
    }

    /// Matches a member to a stored Jira account by hand.
    #[graphql(guard = "AdminOnly")]
    async fn match_team_member(
        &self,
        ctx: &Context<'_>,
        member_id: ID,
        account_id: String,
    ) -> Result<TeamMember> {
        let store = &Deps::of(ctx)?.store;
        let account = accounts(std::slice::from_ref(&account_id))?;
        if store.jira_users_by_ids(&account).await.map_err(errors::store)?.is_empty() {
            return Err(invalid(
                "accountId",
                format!("names no stored Jira account ({account_id}); sync a project it works in"),
            ));
        }
        if !store
            .set_team_member_account(&member_id, Some(&account[0]))
            .await
            .map_err(errors::store)?
        {
            return Err(errors::coded(
                "NOT_FOUND",
                format!("no team member has the id {}", *member_id),
            ));
        }
        let member = store.team_member(&member_id).await.map_err(errors::store)?;
        member.map(TeamMember).ok_or_else(|| errors::coded("NOT_FOUND", "the member vanished"))
    }

    /// Matches unmatched members to unclaimed Jira accounts: by email, then exact name.
    #[graphql(guard = "AdminOnly")]
    async fn match_users(&self, ctx: &Context<'_>) -> Result<MatchReport> {
        let store = &Deps::of(ctx)?.store;
        let members = store.team_members().await.map_err(errors::store)?;
        let taken: HashSet<&str> =
            members.iter().filter_map(|m| m.jira_account_id.as_deref()).collect();
        let users = store.jira_users().await.map_err(errors::store)?;
        let free: Vec<_> =
            users.into_iter().filter(|u| !taken.contains(u.account_id.as_str())).collect();
        let open: Vec<_> =
            members.iter().filter(|m| m.jira_account_id.is_none()).cloned().collect();
        let report = match_members(&open, &free);
        for (member, account, _) in &report.matched {
            store.set_team_member_account(member, Some(account)).await.map_err(errors::store)?;
        }
        let members: HashMap<&str, &clockwork_store::TeamMember> =
            open.iter().map(|m| (m.id.as_str(), m)).collect();
        let users: HashMap<&str, &clockwork_store::JiraUser> =
            free.iter().map(|u| (u.account_id.as_str(), u)).collect();
        let member = |id: &str| members.get(id).map(|m| TeamMember((*m).clone()));
        let user = |id: &str| users.get(id).map(|u| User((*u).clone()));
        let matched = report.matched.iter().filter_map(|(member_id, account, how)| {
            let mut member = member(member_id)?;
            member.0.jira_account_id = Some(account.clone());
            Some(TeamMatch { member, user: user(account)?, matched_by: (*how).to_owned() })
        });
        Ok(MatchReport {
            matched: matched.collect(),
            unmatched_members: report
                .unmatched_members
                .iter()
                .filter_map(|id| member(id))
                .collect(),
            unmatched_users: report.unmatched_users.iter().filter_map(|id| user(id)).collect(),
        })
    }
}

/// The request's dependencies and the key its `projectId` names.
async fn project<'a>(ctx: &'a Context<'_>, project_id: &ID) -> Result<(&'a Deps, String)> {
    let deps = Deps::of(ctx)?;
    let key = projects::key_of(&deps.store, project_id).await?;
    Ok((deps, key))
}

/// Account ids as given, each checked, without repeats.
fn accounts(ids: &[String]) -> Result<Vec<String>> {
    let mut seen = HashSet::new();
    let mut accounts = Vec::with_capacity(ids.len());
    for id in ids {
        let id = AccountId::parse(id).map_err(|error| invalid("accountIds", error))?;
        if seen.insert(id.as_str().to_owned()) {
            accounts.push(id.as_str().to_owned());
        }
    }
    Ok(accounts)
}
