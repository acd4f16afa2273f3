//! The deletion sweep: issues gone from Jira are marked deleted, never by mistake.
//!
//! Jira lists nothing of a project an account lost Browse permission on, or that was
//! archived, and its index can hide issues for a while; other connectors have taken such
//! listings for mass deletions. So: an empty listing deletes nothing and says whether the
//! project is still visible at all, and a listing missing more than
//! [`SyncOptions::max_deletion_share`](crate::SyncOptions) of the live issues only marks the
//! newly missing ones unobserved, for the next sweep (the project's next run) to confirm or
//! restore.

use std::collections::HashSet;

use chrono::Utc;
use clockwork_clients::jira_data::project_issues_jql;
use clockwork_store::sync_state::LogLevel;
use serde_json::json;

use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::run_state::SyncSummary;

impl SyncEngine {
    /// The store's sweep, given the project's `live` issue ids ([`Self::live_issue_ids`]).
    /// False when the sweep is not done (Jira listed nothing, or deletions were held back):
    /// the next run sweeps again.
    pub(crate) async fn sweep(
        &self,
        project: &str,
        live: HashSet<String>,
        summary: &mut SyncSummary,
    ) -> Result<bool, SyncError> {
        if live.is_empty() {
            let visible = self.jira.projects().await?.iter().any(|p| p.key == project);
            let (code, message) = if visible {
                (
                    "EMPTY_LISTING",
                    format!("the sweep found no issues in {project}; nothing was marked deleted"),
                )
            } else {
                (
                    "PROJECT_NOT_VISIBLE",
                    format!(
                        "{project} is not visible to the sync's account: its Browse permission \
                         was revoked, or the project was archived or deleted; nothing was marked \
                         deleted"
                    ),
                )
            };
            tracing::warn!(project, code, "{message}");
            let details = json!({ "code": code });
            self.store.append_log(project, LogLevel::Warn, &message, Some(&details)).await?;
            self.store.forget_last_sweep(project).await?;
            return Ok(false);
        }
        let now = Utc::now().timestamp_millis();
        let share = self.options.max_deletion_share;
        let sweep = self.store.sweep_issues(project, &live, now, share).await?;
        summary.deleted += sweep.deleted as u64;
        if sweep.unobserved == 0 {
            return Ok(true);
        }
        let message = format!(
            "{} issue(s) of {project} are missing from Jira's listing, more than {:.0}% of the \
             live ones at once; they are kept and marked unobserved until the next sweep \
             confirms or restores them",
            sweep.unobserved,
            share * 100.0
        );
        tracing::warn!(project, unobserved = sweep.unobserved, "{message}");
        let details = json!({ "code": "DELETIONS_HELD_BACK", "unobserved": sweep.unobserved });
        self.store.append_log(project, LogLevel::Warn, &message, Some(&details)).await?;
        self.store.forget_last_sweep(project).await?;
        Ok(false)
    }

    /// The ids of the project's issues, from a cheap id-only search.
    pub(crate) async fn live_issue_ids(&self, project: &str) -> Result<HashSet<String>, SyncError> {
        let jql = project_issues_jql(project, None);
        let mut live: HashSet<String> = HashSet::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.jira.search(&jql, &["id"], 5000, token.as_deref()).await?;
            live.extend(page.issues.into_iter().map(|issue| issue.id));
            match page.next_page_token {
                Some(next) if !page.is_last => token = Some(next),
                _ => return Ok(live),
            }
        }
    }
}
