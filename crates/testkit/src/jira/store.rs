//! Storage with the indexes that keep large sites fast: issues by id and by key, comments and
//! worklogs in id-addressed tables (authors and texts shared, never rendered ahead of time),
//! and caches of sorted search results and of the worklog change feed, each tagged with the
//! data version it was built from.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::model::FakeIssue;

/// Numbers handed to the first comment and the first worklog.
const FIRST_ROW_ID: u64 = 10_000;
/// Distinct queries whose sorted results are kept for their next pages.
const CACHED_SEARCHES: usize = 8;

#[derive(Debug, Clone)]
pub(super) struct StoredComment {
    pub(super) issue: usize,
    pub(super) author: Arc<str>,
    pub(super) body: Arc<str>,
    pub(super) created: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub(super) struct StoredWorklog {
    pub(super) issue: usize,
    pub(super) author: Arc<str>,
    pub(super) started: DateTime<Utc>,
    pub(super) seconds: u64,
    pub(super) comment: Option<Arc<str>>,
    pub(super) created: DateTime<Utc>,
    pub(super) updated: DateTime<Utc>,
}

/// One entry of an issue's changelog: who changed which fields when.
#[derive(Debug, Clone)]
pub(super) struct StoredHistory {
    pub(super) id: u64,
    pub(super) author: Arc<str>,
    pub(super) created: DateTime<Utc>,
    pub(super) items: Vec<StoredItem>,
}

/// One changed field: its id (`status`, `assignee`, …), raw values and displayed values.
#[derive(Debug, Clone)]
pub(super) struct StoredItem {
    pub(super) field: &'static str,
    pub(super) from: Option<Arc<str>>,
    pub(super) from_string: Option<Arc<str>>,
    pub(super) to: Option<Arc<str>>,
    pub(super) to_string: Option<Arc<str>>,
}

/// An issue with the ids of its comments and worklogs and its changelog, oldest first.
#[derive(Debug)]
pub(super) struct IssueEntry {
    pub(super) issue: FakeIssue,
    pub(super) comments: Vec<u64>,
    pub(super) worklogs: Vec<u64>,
    pub(super) changelog: Vec<StoredHistory>,
}

/// Rows addressed by sequential ids; a deleted row leaves a hole so that ids stay stable.
#[derive(Debug)]
pub(super) struct Table<T> {
    rows: Vec<Option<T>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self { rows: Vec::new() }
    }
}

impl<T> Table<T> {
    pub(super) fn insert(&mut self, row: T) -> u64 {
        self.rows.push(Some(row));
        FIRST_ROW_ID + self.rows.len() as u64 - 1
    }

    fn index(id: u64) -> Option<usize> {
        id.checked_sub(FIRST_ROW_ID).and_then(|index| usize::try_from(index).ok())
    }

    pub(super) fn get(&self, id: u64) -> Option<&T> {
        self.rows.get(Self::index(id)?)?.as_ref()
    }

    pub(super) fn get_mut(&mut self, id: u64) -> Option<&mut T> {
        self.rows.get_mut(Self::index(id)?)?.as_mut()
    }

    pub(super) fn remove(&mut self, id: u64) -> Option<T> {
        self.rows.get_mut(Self::index(id)?)?.take()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (u64, &T)> {
        let ids = FIRST_ROW_ID..;
        ids.zip(&self.rows).filter_map(|(id, row)| row.as_ref().map(|row| (id, row)))
    }
}

/// Issues in slots (a removed issue leaves a hole), found by id or by key in any case.
#[derive(Debug, Default)]
pub(super) struct Issues {
    slots: Vec<Option<IssueEntry>>,
    by_id: HashMap<String, usize>,
    by_key: HashMap<String, usize>,
}

impl Issues {
    /// The slot of an issue by numeric id or by key (any case).
    pub(super) fn slot(&self, id_or_key: &str) -> Option<usize> {
        self.by_id
            .get(id_or_key)
            .or_else(|| self.by_key.get(&id_or_key.to_ascii_uppercase()))
            .copied()
    }

    pub(super) fn get(&self, slot: usize) -> Option<&IssueEntry> {
        self.slots.get(slot)?.as_ref()
    }

    pub(super) fn get_mut(&mut self, slot: usize) -> Option<&mut IssueEntry> {
        self.slots.get_mut(slot)?.as_mut()
    }

    pub(super) fn find(&self, id_or_key: &str) -> Option<&IssueEntry> {
        self.get(self.slot(id_or_key)?)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (usize, &IssueEntry)> {
        self.slots.iter().enumerate().filter_map(|(slot, entry)| Some((slot, entry.as_ref()?)))
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Adds an issue, or replaces the one with the same id (keeping its comments and worklogs).
    pub(super) fn insert(&mut self, issue: FakeIssue) -> usize {
        if let Some(slot) = self.by_id.get(&issue.id).copied() {
            self.edit(slot, |old| *old = issue);
            return slot;
        }
        let slot = self.slots.len();
        self.by_id.insert(issue.id.clone(), slot);
        self.by_key.insert(issue.key.to_ascii_uppercase(), slot);
        self.slots.push(Some(IssueEntry {
            issue,
            comments: Vec::new(),
            worklogs: Vec::new(),
            changelog: Vec::new(),
        }));
        slot
    }

    /// Changes an issue in place, keeping the id and key indexes right; `None` for an empty slot.
    pub(super) fn edit<R>(
        &mut self,
        slot: usize,
        change: impl FnOnce(&mut FakeIssue) -> R,
    ) -> Option<R> {
        let entry = self.slots.get_mut(slot)?.as_mut()?;
        let (old_id, old_key) = (entry.issue.id.clone(), entry.issue.key.to_ascii_uppercase());
        let result = change(&mut entry.issue);
        if entry.issue.id != old_id {
            self.by_id.remove(&old_id);
            self.by_id.insert(entry.issue.id.clone(), slot);
        }
        let key = entry.issue.key.to_ascii_uppercase();
        if key != old_key {
            self.by_key.remove(&old_key);
            self.by_key.insert(key, slot);
        }
        Some(result)
    }

    pub(super) fn remove(&mut self, slot: usize) -> Option<IssueEntry> {
        let entry = self.slots.get_mut(slot)?.take()?;
        self.by_id.remove(&entry.issue.id);
        self.by_key.remove(&entry.issue.key.to_ascii_uppercase());
        Some(entry)
    }

    /// The largest numeric issue id in use (0 when none).
    pub(super) fn max_numeric_id(&self) -> u64 {
        self.by_id.keys().filter_map(|id| id.parse().ok()).max().unwrap_or(0)
    }
}

#[derive(Debug)]
struct CachedSearch {
    jql: String,
    version: u64,
    slots: Arc<[usize]>,
}

/// (time in epoch ms, worklog id) pairs, sorted.
pub(super) type ChangeList = Arc<[(i64, u64)]>;

/// Results that are costly to rebuild on every page, valid while the data version holds.
#[derive(Debug, Default)]
pub(super) struct Caches {
    searches: VecDeque<CachedSearch>,
    /// (updated ms, worklog id) of every live worklog, oldest first.
    worklog_feed: Option<(u64, ChangeList)>,
}

impl Caches {
    /// The sorted matches of `jql` computed at `version`, if still kept.
    pub(super) fn search(&self, jql: &str, version: u64) -> Option<Arc<[usize]>> {
        self.searches
            .iter()
            .find(|cached| cached.version == version && cached.jql == jql)
            .map(|cached| cached.slots.clone())
    }

    pub(super) fn keep_search(&mut self, jql: &str, version: u64, slots: Arc<[usize]>) {
        self.searches.retain(|cached| cached.jql != jql);
        if self.searches.len() == CACHED_SEARCHES {
            self.searches.pop_front();
        }
        self.searches.push_back(CachedSearch { jql: jql.to_owned(), version, slots });
    }

    /// The worklog feed at `version`, built by `build` when missing or stale.
    pub(super) fn worklog_feed(
        &mut self,
        version: u64,
        build: impl FnOnce() -> Vec<(i64, u64)>,
    ) -> ChangeList {
        match &self.worklog_feed {
            Some((built_at, feed)) if *built_at == version => feed.clone(),
            _ => {
                let mut feed = build();
                feed.sort_unstable();
                let feed: ChangeList = feed.into();
                self.worklog_feed = Some((version, feed.clone()));
                feed
            }
        }
    }
}
