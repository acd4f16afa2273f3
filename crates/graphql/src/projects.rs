//! `projectId` arguments (a key such as `KAN`, or Jira's numeric id), and the Jira-side
//! options the admin console picks from.

use std::collections::HashSet;

use async_graphql::{Result, SimpleObject};
use clockwork_clients::jira_data::{JiraData, Project};
use clockwork_core::ProjectKey;
use clockwork_store::Store;

use crate::data::User;
use crate::errors::{self, invalid};

/// Whether the argument is Jira's numeric id rather than a key.
fn is_numeric_id(raw: &str) -> bool {
    !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit())
}

/// The key of the project a `projectId` names: a key as given (upper-cased), or the key of
/// the tracked project with that numeric id.
pub async fn key_of(store: &Store, project_id: &str) -> Result<String> {
    let raw = project_id.trim();
    if is_numeric_id(raw) {
        let tracked = store.tracked_projects().await.map_err(errors::store)?;
        return match tracked.into_iter().find(|project| project.id == raw) {
            Some(project) => Ok(project.key),
            None => Err(errors::coded(
                "NOT_TRACKED",
                format!("no tracked project has the id {raw}; pass its key, or track it first"),
            )),
        };
    }
    ProjectKey::parse(raw)
        .map(|key| key.as_str().to_owned())
        .map_err(|error| invalid("projectId", error))
}

/// The project Jira lists under that key or id, as the account sees it.
pub async fn in_jira(jira: &dyn JiraData, project_id: &str) -> Result<Project> {
    let raw = project_id.trim();
    let wanted = if is_numeric_id(raw) {
        raw.to_owned()
    } else {
        ProjectKey::parse(raw).map_err(|e| invalid("projectId", e))?.as_str().to_owned()
    };
    let projects = jira.projects().await.map_err(|e| errors::jira("listing Jira's projects", e))?;
    projects.into_iter().find(|p| p.key == wanted || p.id == wanted).ok_or_else(|| {
        errors::coded(
            "NOT_FOUND",
            format!(
                "Jira has no project {raw} that the integrator's account can see; \
                 jiraProjectOptions lists the ones it can"
            ),
        )
    })
}

/// A project Jira shows the integrator's account.
#[derive(SimpleObject)]
pub struct JiraProjectOption {
    pub id: async_graphql::ID,
    pub key: String,
    pub name: String,
    /// Whether the integrator syncs it.
    pub tracked: bool,
}

/// Every project Jira shows, with whether it is tracked.
pub async fn project_options(store: &Store, jira: &dyn JiraData) -> Result<Vec<JiraProjectOption>> {
    let visible = jira.projects().await.map_err(|e| errors::jira("listing Jira's projects", e))?;
    let tracked: HashSet<String> =
        store.tracked_projects().await.map_err(errors::store)?.into_iter().map(|p| p.key).collect();
    Ok(visible
        .into_iter()
        .map(|project| JiraProjectOption {
            tracked: tracked.contains(&project.key),
            id: async_graphql::ID(project.id),
            key: project.key,
            name: project.name,
        })
        .collect())
}

/// Someone who may be assigned the project's issues.
#[derive(SimpleObject)]
pub struct JiraUserOption {
    /// The account (with its matched team member).
    pub user: User,
    /// Whether the account is on the project's watchlist.
    pub tracked: bool,
}

/// The project's assignable users, each with whether it is watched.
pub async fn user_options(
    store: &Store,
    jira: &dyn JiraData,
    key: &str,
) -> Result<Vec<JiraUserOption>> {
    let users = jira
        .assignable_users(key)
        .await
        .map_err(|e| errors::jira("listing the project's assignable users", e))?;
    let watched: HashSet<String> =
        store.tracked_users(key).await.map_err(errors::store)?.into_iter().collect();
    Ok(users
        .iter()
        .map(|user| JiraUserOption {
            tracked: watched.contains(&user.account_id),
            user: User(clockwork_jira_sync::normalize::user(user)),
        })
        .collect())
}
