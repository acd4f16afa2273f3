//! The batches behind the resolvers: one [`StoreLoader`] per request (no cache outlives a
//! request, so what a sync batch commits is what the next query reads). Each key type is one
//! kind of row, loaded for every key a level of the query asks for in one statement.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use clockwork_store::{Authored, IssueChange, ProjectCounts, Store, TeamMember};

use crate::errors;

/// Keys per statement: a page holds at most 100 issues.
const MAX_BATCH: usize = 100;

/// The changelog of an issue (by issue id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChangesOf(pub String);
/// The team member matched to an account (by account id).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemberOf(pub String);
/// A project's live row counts (by project key).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CountsOf(pub String);

/// Loads rows of the store in batches.
#[derive(Debug, Clone)]
pub struct StoreLoader {
    store: Store,
}

pub type Loaders = DataLoader<StoreLoader, HashMapCache>;

/// A request's loaders.
pub fn for_request(store: &Store) -> Loaders {
    DataLoader::with_cache(
        StoreLoader { store: store.clone() },
        tokio::spawn,
        HashMapCache::default(),
    )
    .max_batch_size(MAX_BATCH)
}

type Failure = Arc<async_graphql::Error>;

/// Loads the changes of the page's issues in one batch when the selection asks for them, so
/// their resolvers find them cached. Left to the resolvers, the loads of 100 issues may
/// straddle the loader's batching window and cost more statements.
pub async fn prefetch(
    loaders: &Loaders,
    node: &async_graphql::Lookahead<'_>,
    issues: &[clockwork_store::ListedIssue],
) -> async_graphql::Result<()> {
    if node.field("changes").exists() {
        let ids = issues.iter().map(|row| ChangesOf(row.issue.id.clone()));
        loaders.load_many(ids).await.map_err(unshare)?;
    }
    Ok(())
}

/// A batch's error, as each of the fields that shared the batch reports it.
pub fn unshare(error: Failure) -> async_graphql::Error {
    Arc::unwrap_or_clone(error)
}

fn failed(error: clockwork_store::StoreError) -> Failure {
    Arc::new(errors::store(error))
}

fn ids<K>(keys: &[K], id: impl Fn(&K) -> &String) -> Vec<String> {
    keys.iter().map(|key| id(key).clone()).collect()
}

impl Loader<ChangesOf> for StoreLoader {
    type Value = Vec<Authored<IssueChange>>;
    type Error = Failure;

    async fn load(&self, keys: &[ChangesOf]) -> Result<HashMap<ChangesOf, Self::Value>, Failure> {
        let rows = self.store.changes_of_issues(&ids(keys, |k| &k.0)).await.map_err(failed)?;
        Ok(group(keys, rows, |key| &key.0, |row| &row.value.issue_id))
    }
}

impl Loader<MemberOf> for StoreLoader {
    type Value = TeamMember;
    type Error = Failure;

    async fn load(&self, keys: &[MemberOf]) -> Result<HashMap<MemberOf, TeamMember>, Failure> {
        let members =
            self.store.team_members_of_accounts(&ids(keys, |k| &k.0)).await.map_err(failed)?;
        Ok(members
            .into_iter()
            .filter_map(|member| Some((MemberOf(member.jira_account_id.clone()?), member)))
            .collect())
    }
}

impl Loader<CountsOf> for StoreLoader {
    type Value = ProjectCounts;
    type Error = Failure;

    async fn load(&self, keys: &[CountsOf]) -> Result<HashMap<CountsOf, ProjectCounts>, Failure> {
        let counts = self.store.project_counts(&ids(keys, |k| &k.0)).await.map_err(failed)?;
        Ok(counts.into_iter().map(|(key, counts)| (CountsOf(key), counts)).collect())
    }
}

/// Rows grouped under their parent's key, in the order read; a key without rows gets an
/// empty list (so it is not asked for again).
fn group<K, R>(
    keys: &[K],
    rows: Vec<R>,
    key_id: impl Fn(&K) -> &String,
    row_parent: impl Fn(&R) -> &String,
) -> HashMap<K, Vec<R>>
where
    K: Clone + Eq + std::hash::Hash,
{
    let mut by_id: HashMap<String, Vec<R>> = HashMap::with_capacity(keys.len());
    for row in rows {
        by_id.entry(row_parent(&row).clone()).or_default().push(row);
    }
    keys.iter().map(|key| (key.clone(), by_id.remove(key_id(key)).unwrap_or_default())).collect()
}
