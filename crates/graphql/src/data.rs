//! The synced data: `Issue`, `Comment`, `Worklog`, `Sprint`, `User`, `TeamMember`. An
//! issue's comments and worklogs, with their authors, are read with the page that lists it
//! (when the query selects them: [`children`]), and so are its assignee's and reporter's
//! accounts; changes and members come through the request's loaders.

use async_graphql::{Context, ID, Lookahead, Object, Result};
use clockwork_store::{Authored, Children, JiraUser, ListedIssue};

use crate::errors;
use crate::history::{Change, DEFAULT_CHANGES, MAX_CHANGES, StatusDuration, milliseconds};
use crate::loaders::{ChangesOf, Loaders, MemberOf, unshare};
use crate::query::limit;
use crate::scalars::{DateTime, at, at_opt};

/// A Jira issue as last synced (deleted issues are not listed).
pub struct Issue(pub ListedIssue);

#[Object]
impl Issue {
    /// Jira's numeric id.
    async fn id(&self) -> ID {
        ID(self.0.issue.id.clone())
    }
    async fn key(&self) -> &str {
        &self.0.issue.key
    }
    async fn summary(&self) -> &str {
        &self.0.issue.summary
    }
    async fn status(&self) -> &str {
        &self.0.issue.status
    }
    async fn priority(&self) -> Option<&str> {
        self.0.issue.priority.as_deref()
    }
    async fn assignee(&self) -> Option<User> {
        let id = self.0.issue.assignee_account_id.as_deref()?;
        Some(author(self.0.assignee.as_ref(), Some(id)))
    }
    async fn updated(&self) -> DateTime {
        at(self.0.issue.updated_ms)
    }
    /// The latest sprint the issue is in (the highest sprint id), if its board was read.
    async fn sprint(&self) -> Option<Sprint> {
        self.0.sprint.clone().map(Sprint)
    }
    /// Oldest first.
    async fn comments(&self) -> Result<Vec<Comment<'_>>> {
        let comments = self.0.comments.as_deref().ok_or_else(|| not_read("comments"))?;
        Ok(comments.iter().map(Comment).collect())
    }
    /// By start time.
    async fn worklogs(&self) -> Result<Vec<Worklog<'_>>> {
        let worklogs = self.0.worklogs.as_deref().ok_or_else(|| not_read("worklogs"))?;
        Ok(worklogs.iter().map(Worklog).collect())
    }
    async fn project_key(&self) -> &str {
        &self.0.issue.project_key
    }
    async fn issue_type(&self) -> Option<&str> {
        self.0.issue.issue_type.as_deref()
    }
    async fn created(&self) -> DateTime {
        at(self.0.issue.created_ms)
    }
    async fn resolved(&self) -> Option<DateTime> {
        at_opt(self.0.issue.resolved_ms)
    }
    async fn story_points(&self) -> Option<f64> {
        self.0.issue.story_points
    }
    async fn reporter(&self) -> Option<User> {
        let id = self.0.issue.reporter_account_id.as_deref()?;
        Some(author(self.0.reporter.as_ref(), Some(id)))
    }
    /// The changed fields of its changelog, newest first; `first`: 1–100, default 20.
    async fn changes(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<Change>> {
        let first = limit("first", first.unwrap_or(DEFAULT_CHANGES), MAX_CHANGES)?;
        let loaded = loaders(ctx)?.load_one(ChangesOf(self.0.issue.id.clone())).await;
        let loaded = loaded.map_err(unshare)?.unwrap_or_default();
        Ok(loaded.into_iter().take(first as usize).map(Change).collect())
    }
    /// Time spent in each status the issue has left, first entered first (the stay in its
    /// current status is still running and not counted); empty until its changelog is synced.
    async fn time_in_status(&self) -> Vec<StatusDuration> {
        self.0.flow.status_durations.iter().map(StatusDuration::from).collect()
    }
    /// Milliseconds from its first move into an "In Progress" (indeterminate) status to its
    /// resolution; `null` while unresolved, or before its changelog is synced.
    async fn cycle_time_ms(&self) -> Option<f64> {
        self.0.flow.cycle_time_ms.map(milliseconds)
    }
    /// Milliseconds from its creation to its resolution; `null` while unresolved, or before
    /// its changelog is synced.
    async fn lead_time_ms(&self) -> Option<f64> {
        self.0.flow.lead_time_ms.map(milliseconds)
    }
}

/// Which children the query selects of the issues `node` stands for, so that the statement
/// listing them reads those too.
pub fn children(node: &Lookahead<'_>) -> Children {
    Children {
        comments: node.field("comments").exists(),
        worklogs: node.field("worklogs").exists(),
    }
}

/// Children are read with their issue when the query selects them; one missing means the
/// issue was listed by a path that did not look ahead (a bug, reported as such).
fn not_read(children: &str) -> async_graphql::Error {
    errors::coded("INTERNAL", format!("the issue's {children} were not read with it"))
}

pub struct Comment<'a>(&'a Authored<clockwork_store::Comment>);

#[Object]
impl Comment<'_> {
    async fn id(&self) -> ID {
        ID(self.0.value.id.clone())
    }
    async fn author(&self) -> User {
        author(self.0.author.as_ref(), self.0.value.author_account_id.as_deref())
    }
    /// Plain text (Jira's document format flattened).
    async fn body(&self) -> &str {
        &self.0.value.body
    }
    async fn created(&self) -> DateTime {
        at(self.0.value.created_ms)
    }
    async fn updated(&self) -> Option<DateTime> {
        Some(at(self.0.value.updated_ms))
    }
}

pub struct Worklog<'a>(&'a Authored<clockwork_store::Worklog>);

#[Object]
impl Worklog<'_> {
    async fn id(&self) -> ID {
        ID(self.0.value.id.clone())
    }
    async fn author(&self) -> User {
        author(self.0.author.as_ref(), self.0.value.author_account_id.as_deref())
    }
    /// Seconds.
    async fn time_spent(&self) -> Option<i32> {
        i32::try_from(self.0.value.time_spent_seconds).ok()
    }
    async fn started(&self) -> DateTime {
        at(self.0.value.started_ms)
    }
    async fn updated(&self) -> DateTime {
        at(self.0.value.updated_ms)
    }
    async fn comment(&self) -> Option<&str> {
        self.0.value.comment.as_deref()
    }
}

pub struct Sprint(pub clockwork_store::Sprint);

#[Object]
impl Sprint {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// `future`, `active` or `closed`.
    async fn state(&self) -> &str {
        &self.0.state
    }
    async fn start_date(&self) -> Option<DateTime> {
        at_opt(self.0.start_ms)
    }
    async fn end_date(&self) -> Option<DateTime> {
        at_opt(self.0.end_ms)
    }
}

/// A Jira account. One not synced yet shows its account id as its name; a row without any
/// author shows the account `unknown`.
pub struct User(pub JiraUser);

#[Object]
impl User {
    async fn account_id(&self) -> &str {
        &self.0.account_id
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// `null` when the user's privacy settings hide it.
    async fn email_address(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    /// The team member matched to this account, if any.
    async fn team_member(&self, ctx: &Context<'_>) -> Result<Option<TeamMember>> {
        let member = loaders(ctx)?.load_one(MemberOf(self.0.account_id.clone())).await;
        let member = member.map_err(unshare)?;
        Ok(member.map(TeamMember))
    }
}

/// A person of the team, matched to a Jira account when one is known.
pub struct TeamMember(pub clockwork_store::TeamMember);

#[Object]
impl TeamMember {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn jira_account_id(&self) -> Option<&str> {
        self.0.jira_account_id.as_deref()
    }
}

pub fn loaders<'a>(ctx: &'a Context<'_>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

/// The stored account, or a stand-in naming the id when it is not stored (yet); a row
/// without any account shows the account `unknown`.
pub fn author(user: Option<&JiraUser>, account_id: Option<&str>) -> User {
    User(user.cloned().unwrap_or_else(|| stand_in(account_id.unwrap_or("unknown"))))
}

fn stand_in(account_id: &str) -> JiraUser {
    JiraUser {
        account_id: account_id.to_owned(),
        display_name: account_id.to_owned(),
        email: None,
        avatar_url: None,
        active: false,
    }
}
