//! Partitioned full syncs: a big project split by issue id into disjoint ranges whose searches
//! run at once, so that a full sync is not bound to pages × Jira's latency.
//!
//! - [`plan`] (pure): the ids of one cheap census (`fields=id`, 5,000 a page) cut into
//!   contiguous ranges of about equal counts; the first is unbounded below and the last
//!   above, so every issue, one created after the census included, is in exactly one.
//! - [`Partition`]: one range's search, ordered like the whole project's (`updated`, then
//!   `id`), with its own page token and edge. The issue cursor a batch commits is the oldest
//!   edge of the partitions still searching ([`safe_cursor`]): every issue updated before it
//!   is committed, so a run killed anywhere resumes from it with nothing missed; a
//!   continuation resumes each partition from its own edge, and reads nothing twice.
//! - `Fetcher`: a task per partition fetching its pages ahead, while the engine commits the
//!   pages as they come, one transaction at a time (the store is the single writer): each
//!   holds what arrived meanwhile, a page at least and one of each partition at most. The client's governor bounds what all
//!   the searches send together.

use std::sync::Arc;

use clockwork_clients::jira_data::{
    DataIssue, ErrorCode, IdRange, JiraData, JiraDataError, SearchPage, partition_issues_jql,
    project_ids_jql, project_issues_jql,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::run_state::RunState;

/// Ids a census page holds: Jira's largest page, given for id-only searches.
const CENSUS_PAGE: u32 = 5000;

/// Cuts `ids` (ascending, distinct) into at most `parts` contiguous ranges holding about as
/// many of them each (never differing by more than one), covering every id there is.
pub fn plan(ids: &[u64], parts: usize) -> Vec<IdRange> {
    let parts = parts.min(ids.len()).max(1);
    let bounds: Vec<u64> = (1..parts).map(|k| ids[k * ids.len() / parts]).collect();
    let starts = std::iter::once(None).chain(bounds.iter().copied().map(Some));
    let ends = bounds.iter().copied().map(Some).chain(std::iter::once(None));
    starts.zip(ends).map(|(from, to)| IdRange { from, to }).collect()
}

/// Where one partition's search stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Partition {
    range: IdRange,
    /// Where its search starts (epoch ms); a continuation starts it again from its edge.
    since_ms: Option<i64>,
    page_token: Option<String>,
    /// The newest `updated` it committed, and its issues carrying it (read again when its
    /// search starts from the edge, and not counted twice).
    edge_ms: Option<i64>,
    edge_ids: Vec<String>,
    done: bool,
}

impl Partition {
    fn new(range: IdRange) -> Self {
        Self {
            range,
            since_ms: None,
            page_token: None,
            edge_ms: None,
            edge_ids: Vec::new(),
            done: false,
        }
    }

    fn jql(&self, project: &str) -> String {
        let since = self.since_ms.and_then(chrono::DateTime::from_timestamp_millis);
        partition_issues_jql(project, self.range, since)
    }

    /// Resumes from its edge, as a page token of an earlier process means nothing now.
    pub(crate) fn continued(&mut self) {
        self.page_token = None;
        self.since_ms = self.edge_ms.or(self.since_ms);
    }

    /// Takes a page: its issues not committed already, and the partition moved past it.
    fn take(&mut self, page: SearchPage) -> Vec<DataIssue> {
        let issues: Vec<DataIssue> =
            page.issues.into_iter().filter(|issue| !self.is_edge(issue)).collect();
        if let Some(newest) = issues.iter().filter_map(|i| i.updated).max() {
            let newest = newest.timestamp_millis();
            self.edge_ms = Some(newest);
            self.edge_ids = issues
                .iter()
                .filter(|i| i.updated.is_some_and(|at| at.timestamp_millis() == newest))
                .map(|i| i.id.clone())
                .collect();
        }
        self.page_token = page.next_page_token.filter(|_| !page.is_last);
        self.done = self.page_token.is_none();
        issues
    }

    fn is_edge(&self, issue: &DataIssue) -> bool {
        let updated = issue.updated.map(|at| at.timestamp_millis());
        updated.is_some() && updated == self.edge_ms && self.edge_ids.contains(&issue.id)
    }
}

/// The issue cursor the partitions' commits so far make safe: the oldest edge of those
/// still searching (`None`, no move, while one has committed nothing), or the newest edge
/// once all are done.
pub fn safe_cursor(partitions: &[Partition]) -> Option<i64> {
    if partitions.iter().all(|p| p.done) {
        return partitions.iter().filter_map(|p| p.edge_ms).max();
    }
    partitions.iter().filter(|p| !p.done).map(|p| p.edge_ms).min().flatten()
}

/// A page fetched for a partition.
struct Fetched {
    index: usize,
    page: Result<SearchPage, JiraDataError>,
}

/// The partitions' searches, running; dropping it stops them.
pub(crate) struct Fetcher {
    pages: mpsc::Receiver<Fetched>,
    /// A page received with another of its partition's, for the next batch.
    held: Option<Fetched>,
    _tasks: JoinSet<()>,
    /// The page token each partition's next page was asked for with.
    next: Vec<Option<String>>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher").field("next", &self.next).finish_non_exhaustive()
    }
}

impl Fetcher {
    /// Starts a search for each partition of `state` still searching, from where it stands.
    fn start(jira: &Arc<dyn JiraData>, state: &RunState, batch_size: u32) -> Self {
        let partitions = &state.partitions;
        let fields: Arc<[String]> = jira.sync_fields().iter().map(|f| (*f).to_owned()).collect();
        // A page a partition: two each raised a 100,000-issue sync's peak RSS from 122 MB to
        // 152 MB.
        let (sender, pages) = mpsc::channel(partitions.len().max(1));
        let mut tasks = JoinSet::new();
        for (index, partition) in partitions.iter().enumerate().filter(|(_, p)| !p.done) {
            let (jira, fields, sender) = (jira.clone(), fields.clone(), sender.clone());
            let jql = partition.jql(&state.project);
            let mut token = partition.page_token.clone();
            tasks.spawn(async move {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                loop {
                    let page = jira.search(&jql, &fields, batch_size, token.as_deref()).await;
                    let following = match &page {
                        Ok(page) => page.next_page_token.clone().filter(|_| !page.is_last),
                        Err(_) => None,
                    };
                    if sender.send(Fetched { index, page }).await.is_err() {
                        return;
                    }
                    match following {
                        Some(next) => token = Some(next),
                        None => return,
                    }
                }
            });
        }
        let next = partitions.iter().map(|p| p.page_token.clone()).collect();
        Self { pages, held: None, _tasks: tasks, next }
    }

    /// Whether it fetches on from where `state`'s partitions stand.
    fn follows(&self, state: &RunState) -> bool {
        self.next.len() == state.partitions.len()
            && state.partitions.iter().zip(&self.next).all(|(p, next)| p.page_token == *next)
    }

    /// The next page any partition fetched, and those of other partitions fetched by then
    /// (a page of each at most), with their partitions' indexes: when commits are slower
    /// than fetches, fewer and larger transactions catch up.
    async fn next_pages(&mut self) -> Result<Vec<(usize, SearchPage)>, SyncError> {
        let first = match self.held.take() {
            Some(held) => held,
            None => self.pages.recv().await.ok_or_else(|| {
                let message = "every partition's search ended before the run had its pages";
                JiraDataError::new(ErrorCode::Unknown, None, message)
            })?,
        };
        let mut pages: Vec<(usize, SearchPage)> = Vec::new();
        let mut fetched = Some(first);
        while let Some(Fetched { index, page }) = fetched {
            if pages.iter().any(|(taken, _)| *taken == index) {
                self.held = Some(Fetched { index, page });
                break;
            }
            let page = page?;
            self.next[index] = page.next_page_token.clone().filter(|_| !page.is_last);
            pages.push((index, page));
            fetched = self.pages.try_recv().ok();
        }
        Ok(pages)
    }
}

impl SyncEngine {
    /// The partitions of a full sync of `project`: none (one search) when Jira counts no
    /// more issues than [`crate::SyncOptions::partition_min_issues`], else the census's ids
    /// cut into [`crate::SyncOptions::partitions`] ranges.
    pub(crate) async fn partitions(&self, project: &str) -> Result<Vec<Partition>, SyncError> {
        if self.options.partitions < 2 {
            return Ok(Vec::new());
        }
        let count = self.jira.approximate_count(&project_issues_jql(project, None)).await?;
        if count <= self.options.partition_min_issues {
            return Ok(Vec::new());
        }
        let jql = project_ids_jql(project);
        let (mut ids, mut token) = (Vec::new(), None);
        loop {
            let page = self.jira.search(&jql, &["id"], CENSUS_PAGE, token.as_deref()).await?;
            ids.extend(page.issues.iter().filter_map(|issue| issue.id.parse::<u64>().ok()));
            match page.next_page_token {
                Some(next) if !page.is_last => token = Some(next),
                _ => break,
            }
        }
        ids.sort_unstable();
        ids.dedup();
        let ranges = plan(&ids, self.options.partitions);
        tracing::info!(issues = ids.len(), partitions = ranges.len(), "partitioned full sync");
        Ok(ranges.into_iter().map(Partition::new).collect())
    }

    /// Commits the pages the partitions have fetched (at least one, waiting for it); the
    /// fetches go on meanwhile.
    pub(crate) async fn partition_step(
        &self,
        state: &mut RunState,
        fetcher: Option<Fetcher>,
    ) -> Result<Option<Fetcher>, SyncError> {
        let mut fetcher = match fetcher.filter(|f| f.follows(state)) {
            Some(fetcher) => fetcher,
            None => Fetcher::start(&self.jira, state, self.options.batch_size),
        };
        let mut issues = Vec::new();
        let mut drifts = Vec::new();
        for (index, mut page) in fetcher.next_pages().await? {
            drifts.append(&mut page.drifts);
            issues.extend(state.partitions[index].take(page));
        }
        self.note_drifts(state, drifts).await?;
        state.issues_done = state.partitions.iter().all(|p| p.done);
        self.commit_issues(state, issues).await?;
        Ok((!state.issues_done).then_some(fetcher))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(ranges: &[IdRange], id: u64) -> usize {
        ranges.iter().filter(|range| range.contains(id)).count()
    }

    #[test]
    fn every_id_falls_in_exactly_one_partition_and_the_counts_are_even() {
        for (count, parts) in [(1, 4), (3, 4), (4, 4), (10, 3), (1000, 4), (1001, 7), (37, 1)] {
            // Ids with gaps, as deletions leave them.
            let ids: Vec<u64> = (0..count).map(|n| 10_000 + n * 3 + n % 2).collect();
            let ranges = plan(&ids, parts);
            assert_eq!(ranges.len(), parts.min(ids.len()), "{count} ids, {parts} parts");
            for id in 0..ids.last().unwrap() + 10 {
                assert_eq!(owners(&ranges, id), 1, "id {id}: {ranges:?}");
            }
            let sizes: Vec<usize> = ranges
                .iter()
                .map(|range| ids.iter().filter(|id| range.contains(**id)).count())
                .collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "{sizes:?}");
            assert_eq!(owners(&ranges, u64::MAX), 1, "issues created later join the last");
        }
    }

    #[test]
    fn the_partitions_and_their_threshold_come_from_the_environment() {
        let options = |vars: &[(&str, &str)]| {
            let vars = vars.to_vec();
            let lookup = move |name: &str| {
                vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned())
            };
            crate::SyncOptions::from_lookup(&lookup)
        };
        let defaults = options(&[]).unwrap();
        assert_eq!((defaults.partitions, defaults.partition_min_issues), (4, 1000));
        let set = options(&[("JIRA_SYNC_CONCURRENCY", "6"), ("SYNC_PARTITION_MIN_ISSUES", "200")]);
        let set = set.unwrap();
        assert_eq!((set.partitions, set.partition_min_issues), (6, 200));
        assert!(options(&[("SYNC_PARTITION_MIN_ISSUES", "many")]).is_err());
        assert!(options(&[("JIRA_SYNC_CONCURRENCY", "0")]).is_err());
    }

    #[test]
    fn no_ids_make_one_partition_of_everything() {
        assert_eq!(plan(&[], 4), [IdRange::ALL]);
    }

    fn partition(edge_ms: Option<i64>, done: bool) -> Partition {
        Partition { edge_ms, done, ..Partition::new(IdRange::ALL) }
    }

    #[test]
    fn the_cursor_is_the_oldest_edge_of_the_partitions_still_searching() {
        let searching = [partition(Some(30), false), partition(Some(20), false)];
        assert_eq!(safe_cursor(&searching), Some(20));
        let one_done = [partition(Some(30), false), partition(Some(10), true)];
        assert_eq!(safe_cursor(&one_done), Some(30), "a finished partition holds nothing back");
        let not_started = [partition(Some(30), false), partition(None, false)];
        assert_eq!(safe_cursor(&not_started), None, "nothing is safe yet");
        let all_done = [partition(Some(30), true), partition(Some(40), true)];
        assert_eq!(safe_cursor(&all_done), Some(40));
    }

    #[test]
    fn a_continued_partition_searches_again_from_its_edge() {
        let mut started = Partition {
            page_token: Some("token".into()),
            edge_ms: Some(50),
            ..Partition::new(IdRange::ALL)
        };
        started.continued();
        assert_eq!((started.page_token.as_deref(), started.since_ms), (None, Some(50)));
        let mut fresh = Partition::new(IdRange::ALL);
        fresh.continued();
        assert_eq!(fresh.since_ms, None, "from its start");
    }
}
