//! The I/O part: pages Jira and commits each batch, its children and the cursor together.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clockwork_clients::jira_data::{DataIssue, JiraData, SearchPage};
use clockwork_store::sync_state::{LogLevel, SyncEntity, SyncStatus};
use clockwork_store::{RunRecord, Store, StoreError};

use crate::batch::Read;
use crate::error::SyncError;
use crate::history::StatusCategories;
use crate::observe::RunObserver;
use crate::options::SyncOptions;
use crate::partition::Fetcher;
use crate::run_state::{RunState, SyncSummary};

/// What is fetched ahead while a page is committed: the search's next page, or the
/// partitions' searches running on.
#[derive(Debug)]
pub struct Prefetched(Ahead);

#[derive(Debug)]
enum Ahead {
    /// The page token it was asked for with, and the page.
    Page {
        token: String,
        page: SearchPage,
    },
    Partitions(Fetcher),
}

/// Progress of the issue phase, for a progress bar.
pub trait Progress: Send + Sync {
    /// Whether to spend a request on `approximate-count` for an ETA.
    fn wants_total(&self) -> bool {
        false
    }
    fn total(&self, _issues: u64) {}
    fn advanced(&self, _issues: u64) {}
}

/// No progress shown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

pub struct SyncEngine {
    pub(crate) jira: Arc<dyn JiraData>,
    pub(crate) store: Store,
    pub(crate) options: SyncOptions,
    observer: Option<Arc<dyn RunObserver>>,
    pub(crate) statuses: StatusCategories,
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine").field("options", &self.options).finish_non_exhaustive()
    }
}

impl SyncEngine {
    pub fn new(jira: Arc<dyn JiraData>, store: Store, options: SyncOptions) -> Self {
        Self { jira, store, options, observer: None, statuses: StatusCategories::default() }
    }

    /// Tells `observer` of every run's end, once it is recorded.
    pub fn with_observer(mut self, observer: Arc<dyn RunObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Syncs one project in one go: a full sync on its first run or when asked, else
    /// incremental. A failure is logged with its classified code and leaves every cursor
    /// at the last committed batch, so the next run resumes with nothing missed.
    #[tracing::instrument(skip_all, fields(project = project, full))]
    pub async fn sync_project(
        &self,
        project: &str,
        full: bool,
        progress: &dyn Progress,
    ) -> Result<SyncSummary, SyncError> {
        let holder = &self.options.holder;
        let state = self.begin(project, full, &[], holder).await?;
        let result = self.run_to_end(state, progress).await;
        if let Err(error) = &result
            && error.is_retryable()
            && !matches!(error, SyncError::Busy(_))
        {
            // A one-shot run has no retry under its holder: the project is free again.
            if let Err(store_error) = self.store.release_lease(project, holder).await {
                tracing::error!(%store_error, "could not release the lease");
            }
        }
        result
    }

    async fn run_to_end(
        &self,
        mut state: RunState,
        progress: &dyn Progress,
    ) -> Result<SyncSummary, SyncError> {
        if progress.wants_total() {
            let count =
                async |state: &mut RunState| Ok(self.jira.approximate_count(&state.jql()).await?);
            progress.total(self.counted(&mut state, count).await?);
        }
        let mut prefetched = None;
        while !state.issues_done {
            let read = state.read;
            (state, prefetched) = self.next_batch(state, prefetched).await?;
            progress.advanced(state.read - read);
        }
        self.finish(state).await
    }

    /// Starts a run: takes the project's lease for `holder` (a run already holding it
    /// takes it again), and decides between a full and an incremental sync, or a backfill
    /// of `backfill`'s accounts when it names any.
    pub async fn begin(
        &self,
        project: &str,
        full: bool,
        backfill: &[String],
        holder: &str,
    ) -> Result<RunState, SyncError> {
        if !self.store.try_lease(project, holder, self.options.lease).await? {
            return Err(SyncError::Busy(project.to_owned()));
        }
        let started_ms = Utc::now().timestamp_millis();
        let mut state = RunState {
            project: project.to_owned(),
            full,
            holder: holder.to_owned(),
            lease_renewed_ms: self.store.now_ms(),
            started_ms,
            tracked: Vec::new(),
            backfill: backfill.to_vec(),
            since_ms: None,
            page_token: None,
            reseek: false,
            edge_ms: None,
            edge_ids: Vec::new(),
            partitions: Vec::new(),
            issues_done: false,
            history_owed: 0,
            drifts_seen: Vec::new(),
            read: 0,
            summary: SyncSummary { project: project.to_owned(), ..SyncSummary::default() },
        };
        let prepared = async {
            self.store.ensure_sync_job(project).await?;
            self.store
                .set_sync_status(project, SyncEntity::Issues, SyncStatus::Running, None)
                .await?;
            let cursor = self.issue_cursor(project).await?;
            state.tracked = self.store.tracked_users(project).await?;
            state.full = full || cursor.is_none() || !state.backfill.is_empty();
            if !state.full {
                state.since_ms =
                    cursor.map(|cursor| cursor.saturating_sub(overlap_ms(&self.options)));
            } else if state.backfill.is_empty() {
                let requests = self.jira.requests();
                state.partitions = self.partitions(project).await?;
                state.summary.requests += self.jira.requests() - requests;
            }
            Ok::<(), SyncError>(())
        }
        .await;
        self.settle(&state, prepared).await?;
        Ok(state)
    }

    /// Commits the next page of issues, with its children and the cursor in one
    /// transaction, and renews the lease. The page is the one `prefetched` holds when it is
    /// the next (else it is fetched now); the page after it is fetched while this one is
    /// committed, and returned for the next call.
    pub async fn next_batch(
        &self,
        mut state: RunState,
        prefetched: Option<Prefetched>,
    ) -> Result<(RunState, Option<Prefetched>), SyncError> {
        let batch = async |state: &mut RunState| self.batch_step(state, prefetched).await;
        let next = self.counted(&mut state, batch).await?;
        Ok((state, next))
    }

    /// Ends a run: the worklog stream (incremental) or its starting point (full), the
    /// daily or full-sync sweep with sprints and assignable users, the success record,
    /// and the lease given back.
    pub async fn finish(&self, mut state: RunState) -> Result<SyncSummary, SyncError> {
        self.counted(&mut state, async |state: &mut RunState| self.finish_step(state).await)
            .await?;
        let mut summary = state.summary.clone();
        summary.seconds = (Utc::now().timestamp_millis() - state.started_ms).max(0) as f64 / 1000.0;
        let details = serde_json::to_value(&summary).ok();
        let project = state.project.as_str();
        let recorded = async {
            self.store
                .set_sync_status(project, SyncEntity::Issues, SyncStatus::Success, None)
                .await?;
            self.store
                .append_log(project, LogLevel::Info, "sync finished", details.as_ref())
                .await?;
            self.store.release_lease(project, &state.holder).await
        }
        .await;
        self.settle(&state, recorded).await?;
        self.ended(&state, None).await;
        Ok(summary)
    }

    /// Does `work` on the run, adding the Jira requests it made to the summary, and
    /// settles its result.
    async fn counted<T>(
        &self,
        state: &mut RunState,
        work: impl AsyncFnOnce(&mut RunState) -> Result<T, SyncError>,
    ) -> Result<T, SyncError> {
        let requests = self.jira.requests();
        let result = work(state).await;
        state.summary.requests += self.jira.requests() - requests;
        self.settle(state, result).await
    }

    /// Passes a result through; a failure is first logged with its classified code. A
    /// permanent failure gives the lease back; a retryable one keeps it for the run's retry
    /// (the worker redelivers the run under the same holder), so no other run slips in
    /// between and the retry never finds the project busy.
    async fn settle<T>(
        &self,
        state: &RunState,
        result: Result<T, impl Into<SyncError>>,
    ) -> Result<T, SyncError> {
        let error = match result {
            Ok(value) => return Ok(value),
            Err(error) => error.into(),
        };
        if let SyncError::Busy(_) = error {
            // Not a failure of this project's sync: another run has it.
            tracing::info!(%error, "sync not run");
            return Err(error);
        }
        let project = state.project.as_str();
        self.report_failure_drifts(project, &error).await;
        let details = serde_json::json!({ "code": error.code(), "advice": error.advice() });
        tracing::error!(code = error.code(), %error, "sync failed");
        let message = error.to_string();
        let writes = async {
            self.store
                .set_sync_status(project, SyncEntity::Issues, SyncStatus::Failed, Some(&message))
                .await?;
            self.store.append_log(project, LogLevel::Error, &message, Some(&details)).await?;
            if !error.is_retryable() {
                self.store.release_lease(project, &state.holder).await?;
            }
            Ok::<(), StoreError>(())
        };
        if let Err(store_error) = writes.await {
            tracing::error!(%store_error, "could not record the failure");
        }
        self.ended(state, Some(&error)).await;
        Err(error)
    }

    /// Records the run's end and tells the observer; neither can fail the run.
    async fn ended(&self, state: &RunState, error: Option<&SyncError>) {
        let run = RunRecord {
            project_key: state.project.clone(),
            started_ms: state.started_ms,
            finished_ms: Utc::now().timestamp_millis(),
            succeeded: error.is_none(),
            error_code: error.map(|error| error.code().to_owned()),
            retryable: error.is_some_and(SyncError::is_retryable),
            issues: i64::try_from(state.summary.issues).unwrap_or(i64::MAX),
        };
        if let Err(store_error) = self.store.record_run(&run).await {
            tracing::error!(%store_error, "could not record the run");
            return;
        }
        if let Some(observer) = &self.observer {
            observer.run_ended(&run).await;
        }
    }

    async fn issue_cursor(&self, project: &str) -> Result<Option<i64>, SyncError> {
        Ok(self.store.sync_state(project, SyncEntity::Issues).await?.and_then(|s| s.cursor_ms))
    }

    async fn batch_step(
        &self,
        state: &mut RunState,
        prefetched: Option<Prefetched>,
    ) -> Result<Option<Prefetched>, SyncError> {
        self.renew_lease(state).await?;
        if !state.partitions.is_empty() {
            let fetcher = prefetched.and_then(|ahead| match ahead.0 {
                Ahead::Partitions(fetcher) => Some(fetcher),
                Ahead::Page { .. } => None,
            });
            let fetcher = self.partition_step(state, fetcher).await?;
            return Ok(fetcher.map(|fetcher| Prefetched(Ahead::Partitions(fetcher))));
        }
        if state.reseek {
            // Within a run the search itself produced the cursor: no overlap is needed.
            state.since_ms = self.issue_cursor(&state.project).await?;
            state.reseek = false;
        }
        let jql = state.jql();
        let next_of_state = |ahead: Prefetched| match ahead.0 {
            Ahead::Page { token, page } if state.page_token.as_ref() == Some(&token) => Some(page),
            _ => None,
        };
        let page = match prefetched.and_then(next_of_state) {
            Some(page) => page,
            None => self.search_page(&jql, state.page_token.as_deref()).await?,
        };
        let following = page.next_page_token.clone().filter(|_| !page.is_last);
        let prefetch = async {
            let Some(token) = following else { return Ok(None) };
            let page = self.search_page(&jql, Some(&token)).await?;
            Ok::<_, SyncError>(Some(Prefetched(Ahead::Page { token, page })))
        };
        let (committed, prefetched) = tokio::join!(self.commit_page(state, page), prefetch);
        committed?;
        prefetched
    }

    /// Renews the lease once half of it has passed since it was last taken.
    async fn renew_lease(&self, state: &mut RunState) -> Result<(), SyncError> {
        let now = self.store.now_ms();
        if now - state.lease_renewed_ms < duration_ms(self.options.lease) / 2 {
            return Ok(());
        }
        if !self.store.try_lease(&state.project, &state.holder, self.options.lease).await? {
            return Err(SyncError::Busy(state.project.clone()));
        }
        state.lease_renewed_ms = now;
        Ok(())
    }

    async fn search_page(&self, jql: &str, token: Option<&str>) -> Result<SearchPage, SyncError> {
        let fields = self.jira.sync_fields();
        Ok(self.jira.search(jql, &fields, self.options.batch_size, token).await?)
    }

    /// Commits a page of the search: its issues not committed already, their children and
    /// the cursor; the state moves on to the next page.
    async fn commit_page(&self, state: &mut RunState, page: SearchPage) -> Result<(), SyncError> {
        self.note_drifts(state, page.drifts).await?;
        let issues: Vec<DataIssue> =
            page.issues.into_iter().filter(|issue| !state.is_edge(issue)).collect();
        if let Some(newest) = issues.iter().filter_map(|i| i.updated).max() {
            let newest = newest.timestamp_millis();
            state.edge_ms = Some(newest);
            state.edge_ids = issues
                .iter()
                .filter(|i| i.updated.is_some_and(|at| at.timestamp_millis() == newest))
                .map(|i| i.id.clone())
                .collect();
        }
        match page.next_page_token {
            Some(next) if !page.is_last => state.page_token = Some(next),
            _ => state.issues_done = true,
        }
        self.commit_issues(state, issues).await
    }

    /// Commits issues the run read, their children and the cursor they make safe.
    pub(crate) async fn commit_issues(
        &self,
        state: &mut RunState,
        issues: Vec<DataIssue>,
    ) -> Result<(), SyncError> {
        state.read += issues.len() as u64;
        let scope = state.scope();
        let read = match (state.backfill.is_empty(), state.full) {
            (false, _) => Read::Backfill,
            (true, true) => Read::Full,
            (true, false) => Read::Incremental,
        };
        if let Some(mut batch) = self.batch(&state.project, issues, &scope, read).await? {
            batch.cursor_ms = state.cursor(batch.cursor_ms);
            let summary = &mut state.summary;
            summary.issues += batch.issues.len() as u64;
            summary.comments += batch.issues.iter().map(|r| r.comments.len() as u64).sum::<u64>();
            summary.worklogs += batch.issues.iter().map(|r| r.worklogs.len() as u64).sum::<u64>();
            summary.users += batch.users.len() as u64;
            state.summary.missed_by_webhooks += self.store.apply_batch(&batch).await?;
            let (project, owed) = (&state.project, &mut state.history_owed);
            let written = batch.issues.len();
            state.summary.changes += self.history_after_batch(project, owed, written).await?;
        }
        Ok(())
    }
}

pub(crate) fn duration_ms(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

pub(crate) fn overlap_ms(options: &SyncOptions) -> i64 {
    duration_ms(options.overlap)
}
