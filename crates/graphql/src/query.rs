//! The queries: the synced data for any signed-in caller; schedules, states, logs, the
//! unmatched report and Jira's live options for admins.

use std::collections::HashSet;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use clockwork_core::AccountId;
use clockwork_store::{IssueFilter, IssueKeyset};

use crate::admin::{SyncJob, SyncLog, SyncLogLevel, SyncState, TrackedProject};
use crate::data::{self, Issue, TeamMember, User, loaders};
use crate::errors::{self, AdminOnly, invalid};
use crate::loaders;
use crate::projects::{self, JiraProjectOption, JiraUserOption};
use crate::scalars::{DateTime, decode_cursor, encode_cursor};
use crate::service::Deps;

/// Issues a page holds unless `first` says otherwise, and at most.
const DEFAULT_PAGE: i32 = 50;
const MAX_PAGE: i32 = 100;

/// A count argument within `1..=max`, or `INVALID_INPUT` naming it.
pub fn limit(field: &str, value: i32, max: i32) -> Result<u32> {
    if (1..=max).contains(&value) {
        Ok(value.unsigned_abs())
    } else {
        Err(invalid(field, format!("must be between 1 and {max}, got {value}")))
    }
}

#[derive(SimpleObject)]
pub struct IssueEdge {
    pub cursor: String,
    pub node: Issue,
}

/// Relay's page info.
#[derive(SimpleObject)]
pub struct PageInfo {
    pub has_next_page: bool,
    /// True when the page starts after a cursor.
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// A page of issues by `(updated, id)` ascending: pass `endCursor` as `after` for the next.
#[derive(SimpleObject)]
pub struct IssueConnection {
    pub edges: Vec<IssueEdge>,
    pub page_info: PageInfo,
}

/// Jira users without a team member, and members without a Jira account.
#[derive(SimpleObject)]
pub struct UnmatchedUsers {
    pub users: Vec<User>,
    pub members: Vec<TeamMember>,
}

#[derive(Debug)]
pub struct QueryRoot;

#[Object]
impl QueryRoot {
    /// Live issues, oldest update first; an issue updated while you page moves to the end
    /// and is listed again there, so none is ever skipped. `first`: 1–100, default 50.
    #[allow(clippy::too_many_arguments)]
    async fn issues(
        &self,
        ctx: &Context<'_>,
        project_id: Option<ID>,
        updated_since: Option<DateTime>,
        #[graphql(desc = "An Atlassian account id.")] assignee: Option<String>,
        status: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<IssueConnection> {
        let deps = Deps::of(ctx)?;
        let first = limit("first", first.unwrap_or(DEFAULT_PAGE), MAX_PAGE)?;
        let after = match after.as_deref() {
            Some(cursor) => Some(decode_cursor(cursor).ok_or_else(|| {
                invalid("after", "is not a cursor of this API; pass a page's endCursor")
            })?),
            None => None,
        };
        let project_key = match &project_id {
            Some(id) => Some(projects::key_of(&deps.store, id).await?),
            None => None,
        };
        let assignee = assignee
            .map(|id| AccountId::parse(&id).map(|id| id.as_str().to_owned()))
            .transpose()
            .map_err(|error| invalid("assignee", error))?;
        let filter = IssueFilter {
            project_key,
            updated_since_ms: updated_since.map(|at| at.0),
            assignee_account_id: assignee,
            status,
        };
        let node = ctx.look_ahead().field("edges").field("node");
        let mut rows = deps
            .store
            .issue_page(&filter, after.as_ref(), first + 1, data::children(&node))
            .await
            .map_err(errors::store)?;
        let has_next_page = rows.len() > first as usize;
        rows.truncate(first as usize);
        loaders::prefetch(loaders(ctx)?, &node, &rows).await?;
        let edges: Vec<IssueEdge> = rows
            .into_iter()
            .map(|row| {
                let keyset =
                    IssueKeyset { updated_ms: row.issue.updated_ms, id: row.issue.id.clone() };
                IssueEdge { cursor: encode_cursor(&keyset), node: Issue(row) }
            })
            .collect();
        let page_info = PageInfo {
            has_next_page,
            has_previous_page: after.is_some(),
            start_cursor: edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: edges.last().map(|edge| edge.cursor.clone()),
        };
        Ok(IssueConnection { edges, page_info })
    }

    /// A live issue by key (`KAN-7`).
    async fn issue(&self, ctx: &Context<'_>, key: String) -> Result<Option<Issue>> {
        let children = data::children(&ctx.look_ahead());
        let store = &Deps::of(ctx)?.store;
        let issue = store.issue_by_key(key.trim(), children).await.map_err(errors::store)?;
        Ok(issue.map(Issue))
    }

    /// The projects the integrator syncs, by key.
    async fn tracked_projects(&self, ctx: &Context<'_>) -> Result<Vec<TrackedProject>> {
        let projects = Deps::of(ctx)?.store.tracked_projects().await.map_err(errors::store)?;
        Ok(projects.into_iter().map(TrackedProject).collect())
    }

    /// The schedules of the tracked projects, by key.
    #[graphql(guard = "AdminOnly")]
    async fn sync_jobs(&self, ctx: &Context<'_>) -> Result<Vec<SyncJob>> {
        let jobs = Deps::of(ctx)?.store.sync_jobs().await.map_err(errors::store)?;
        Ok(jobs.into_iter().map(SyncJob).collect())
    }

    /// Each entity's cursor and status, by entity.
    #[graphql(guard = "AdminOnly")]
    async fn sync_states(&self, ctx: &Context<'_>, project_id: ID) -> Result<Vec<SyncState>> {
        let deps = Deps::of(ctx)?;
        let key = projects::key_of(&deps.store, &project_id).await?;
        let states = deps.store.sync_states(&key).await.map_err(errors::store)?;
        Ok(states.into_iter().map(SyncState).collect())
    }

    /// The latest log entries, newest first, of one level or all; `limit` 1–500, default 50.
    #[graphql(guard = "AdminOnly")]
    async fn sync_logs(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        #[graphql(default = 50)] limit: i32,
        level: Option<SyncLogLevel>,
    ) -> Result<Vec<SyncLog>> {
        let deps = Deps::of(ctx)?;
        let limit = self::limit("limit", limit, 500)?;
        let key = projects::key_of(&deps.store, &project_id).await?;
        let logs = deps
            .store
            .sync_logs_at(&key, limit, level.map(Into::into))
            .await
            .map_err(errors::store)?;
        Ok(logs.into_iter().map(SyncLog).collect())
    }

    /// Every project Jira shows the integrator's account, asked live, with a tracked flag.
    #[graphql(guard = "AdminOnly")]
    async fn jira_project_options(&self, ctx: &Context<'_>) -> Result<Vec<JiraProjectOption>> {
        let deps = Deps::of(ctx)?;
        projects::project_options(&deps.store, deps.jira.as_ref()).await
    }

    /// The project's assignable users, asked live, each with whether it is watched and
    /// its matched team member (`user.teamMember`).
    #[graphql(guard = "AdminOnly")]
    async fn jira_project_user_options(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
    ) -> Result<Vec<JiraUserOption>> {
        let deps = Deps::of(ctx)?;
        let key = projects::key_of(&deps.store, &project_id).await?;
        projects::user_options(&deps.store, deps.jira.as_ref(), &key).await
    }

    /// The team, by member id.
    async fn team_members(&self, ctx: &Context<'_>) -> Result<Vec<TeamMember>> {
        let members = Deps::of(ctx)?.store.team_members().await.map_err(errors::store)?;
        Ok(members.into_iter().map(TeamMember).collect())
    }

    /// Stored Jira users no member is matched to, and members without an account.
    #[graphql(guard = "AdminOnly")]
    async fn unmatched_users(&self, ctx: &Context<'_>) -> Result<UnmatchedUsers> {
        let store = &Deps::of(ctx)?.store;
        let members = store.team_members().await.map_err(errors::store)?;
        let taken: HashSet<&str> =
            members.iter().filter_map(|m| m.jira_account_id.as_deref()).collect();
        let users = store.jira_users().await.map_err(errors::store)?;
        let users = users.into_iter().filter(|u| !taken.contains(u.account_id.as_str()));
        let members = members.iter().filter(|m| m.jira_account_id.is_none()).cloned();
        Ok(UnmatchedUsers {
            users: users.map(User).collect(),
            members: members.map(TeamMember).collect(),
        })
    }
}
