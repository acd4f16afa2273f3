//! The end of a run, after its last issue batch: the changelogs still owed, the worklog
//! feeds, the sprints and assignable users, and the sweep when it is due.

use std::collections::HashMap;

use clockwork_clients::jira_data::ChangeFeed;
use clockwork_store::FeedCursors;
use clockwork_store::model::{JiraUser, Sprint};

use crate::engine::{SyncEngine, duration_ms, overlap_ms};
use crate::error::SyncError;
use crate::normalize::{self, Scope};
use crate::run_state::{RunState, SyncSummary};

impl SyncEngine {
    /// The run's last step: the changelogs still owed, the worklog feeds (or, after a full
    /// sync, their start), and when due the sprints, assignable users and sweep.
    pub(crate) async fn finish_step(&self, state: &mut RunState) -> Result<(), SyncError> {
        let project = state.project.clone();
        let scope = state.scope();
        let summary = &mut state.summary;
        summary.changes += self.settle_history(&project).await?;
        if !state.backfill.is_empty() {
            // A backfill leaves the worklog feeds to the regular runs.
        } else if state.full {
            // The worklog stream takes over from the run's start: every change before it is
            // in the batches. An overlap's worth earlier, as Jira's clock may be behind ours.
            let start = state.started_ms.saturating_sub(overlap_ms(&self.options));
            if self.store.feed_cursors(&project).await?.is_none_or(|c| c.updated_ms < start) {
                let cursors = FeedCursors::both(start);
                self.store.apply_worklog_changes(&project, &[], &[], cursors).await?;
            }
        } else {
            self.worklog_stream(&project, &scope, summary).await?;
        }
        let last_sweep = self.store.last_sweep_ms(&project).await?;
        let sweep_due = last_sweep
            .is_none_or(|at| state.started_ms - at >= duration_ms(self.options.sweep_every));
        if state.full || sweep_due {
            // Independent reads: at Jira's latency, one after the other would add up.
            let (sprints, users, live) = tokio::try_join!(
                self.sprints(&project),
                self.assignable_users(&project),
                self.live_issue_ids(&project)
            )?;
            summary.sprints = sprints;
            summary.users += users;
            if self.sweep(&project, live, summary).await? {
                self.store.set_last_sweep_ms(&project, state.started_ms).await?;
            }
        }
        if self.store.tracked_users(&project).await? != state.tracked {
            // Someone was watched while this run went on; its batches moved the cursor
            // past their history, so the backfill is still owed.
            self.store.request_full_sync(&project).await?;
        }
        Ok(())
    }

    /// Worklogs changed or deleted anywhere since the worklog cursor; the cursor follows
    /// the feed's `until`, never the clock.
    async fn worklog_stream(
        &self,
        project: &str,
        scope: &Scope,
        summary: &mut SyncSummary,
    ) -> Result<(), SyncError> {
        let Some(since) = self.store.feed_cursors(project).await? else {
            return Ok(());
        };
        let (updated, deleted) = tokio::try_join!(
            self.jira.worklog_changes(ChangeFeed::Updated, since.updated_ms),
            self.jira.worklog_changes(ChangeFeed::Deleted, since.deleted_ms)
        )?;
        let ids: Vec<u64> = updated.values.iter().map(|v| v.worklog_id).collect();
        let changed =
            if ids.is_empty() { Vec::new() } else { self.jira.worklogs_by_id(&ids).await? };
        let upserts: Vec<_> = changed
            .iter()
            .map(|w| normalize::worklog("", w))
            .filter(|w| !w.issue_id.is_empty() && scope.covers(w.author_account_id.as_deref()))
            .collect();
        let deleted_ids: Vec<String> =
            deleted.values.iter().map(|v| v.worklog_id.to_string()).collect();
        let cursors =
            FeedCursors { updated_ms: updated.next_since, deleted_ms: deleted.next_since };
        // Worklogs of other projects' issues are skipped by the store (unknown issues).
        let applied =
            self.store.apply_worklog_changes(project, &upserts, &deleted_ids, cursors).await?;
        summary.worklogs += applied.upserted;
        summary.deleted += applied.deleted;
        Ok(())
    }

    /// Stores the sprints of the project's boards; returns how many.
    async fn sprints(&self, project: &str) -> Result<u64, SyncError> {
        let mut sprints: HashMap<i64, Sprint> = HashMap::new();
        for board in self.jira.boards(project).await? {
            for sprint in self.jira.sprints(board.id).await? {
                let mut sprint = normalize::sprint(&sprint);
                sprint.board_id = sprint.board_id.or(i64::try_from(board.id).ok());
                sprints.insert(sprint.id, sprint);
            }
        }
        let sprints: Vec<Sprint> = sprints.into_values().collect();
        self.store.upsert_sprints(project, &sprints).await?;
        Ok(sprints.len() as u64)
    }

    /// Stores the users who may be assigned the project's issues; returns how many.
    async fn assignable_users(&self, project: &str) -> Result<u64, SyncError> {
        let users: Vec<JiraUser> =
            self.jira.assignable_users(project).await?.iter().map(normalize::user).collect();
        self.store.upsert_users(&users).await?;
        Ok(users.len() as u64)
    }
}
