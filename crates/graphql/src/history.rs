//! What the synced changelogs say: `Change` (one changed field of an issue) and
//! `StatusDuration`. Durations are milliseconds as `Float` (whole numbers; GraphQL's `Int`
//! holds only 24 days of them).

use async_graphql::{ID, Object, SimpleObject};
use clockwork_store::{Authored, IssueChange};

use crate::data::{User, author};
use crate::scalars::{DateTime, at};

/// Changes `Issue.changes` lists unless `first` says otherwise, and at most.
pub const DEFAULT_CHANGES: i32 = 20;
pub const MAX_CHANGES: i32 = 100;

/// One changed field of an issue, from Jira's changelog.
pub struct Change(pub Authored<IssueChange>);

#[Object]
impl Change {
    /// The changelog entry's id (one entry may change several fields).
    async fn id(&self) -> ID {
        ID(self.0.value.change_id.clone())
    }
    async fn author(&self) -> User {
        author(self.0.author.as_ref(), self.0.value.author_account_id.as_deref())
    }
    async fn created(&self) -> DateTime {
        at(self.0.value.created_ms)
    }
    /// Jira's field id (`status`, `assignee`, `customfield_10016`).
    async fn field(&self) -> &str {
        &self.0.value.field
    }
    /// The old value as Jira shows it (a status or person's name).
    async fn from(&self) -> Option<&str> {
        self.0.value.from_string.as_deref()
    }
    /// The new value as Jira shows it.
    async fn to(&self) -> Option<&str> {
        self.0.value.to_string.as_deref()
    }
    /// The old value's id (a status id, an account id).
    async fn from_value(&self) -> Option<&str> {
        self.0.value.from_value.as_deref()
    }
    /// The new value's id.
    async fn to_value(&self) -> Option<&str> {
        self.0.value.to_value.as_deref()
    }
}

/// Time spent in one status, over every stay in it that has ended.
#[derive(SimpleObject)]
pub struct StatusDuration {
    /// The status's name.
    pub status: String,
    /// Milliseconds, a whole number.
    pub milliseconds: f64,
}

impl From<&clockwork_store::StatusDuration> for StatusDuration {
    fn from(duration: &clockwork_store::StatusDuration) -> Self {
        Self { status: duration.status.clone(), milliseconds: milliseconds(duration.ms) }
    }
}

/// Milliseconds as a GraphQL `Float`: exact up to 2^53 ms (285,000 years).
pub fn milliseconds(ms: i64) -> f64 {
    ms as f64
}
