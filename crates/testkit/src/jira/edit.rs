//! Changing the site through the handle: comments, worklogs (deletions feed
//! `/worklog/deleted`), boards, sprints, who may be assigned, and eventual consistency.
//! Adding or changing a comment or worklog moves its issue's `updated` forward, as on Jira.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::store::{StoredComment, StoredWorklog, Table};
use super::{FakeBoard, FakeComment, FakeJira, FakeJiraWorklog, FakeSprint, JiraData};

impl JiraData {
    /// Moves an issue's `updated` to `at` unless it is already later.
    fn touch(&mut self, slot: usize, at: DateTime<Utc>) {
        if let Some(entry) = self.issues.get_mut(slot) {
            entry.issue.updated = entry.issue.updated.max(at);
        }
    }
}

/// Keeps `ids` ordered by creation (then id), as Jira lists comments and worklogs.
fn sort_by_created<T>(ids: &mut [u64], table: &Table<T>, created: impl Fn(&T) -> DateTime<Utc>) {
    ids.sort_by_key(|id| (table.get(*id).map(&created), *id));
}

fn stored_comment(issue: usize, comment: FakeComment) -> StoredComment {
    StoredComment {
        issue,
        author: Arc::from(comment.author),
        body: Arc::from(comment.body),
        created: comment.created,
        updated: comment.updated,
    }
}

fn stored_worklog(issue: usize, worklog: FakeJiraWorklog) -> StoredWorklog {
    StoredWorklog {
        issue,
        author: Arc::from(worklog.author),
        started: worklog.started,
        seconds: worklog.time_spent_seconds,
        comment: worklog.comment.map(Arc::from),
        created: worklog.created,
        updated: worklog.updated,
    }
}

/// Comments, worklogs, boards, sprints and search consistency.
impl FakeJira {
    /// Adds a comment to an issue (by id or key); its id, or `None` when there is no such issue.
    pub fn add_comment(&self, issue: &str, comment: FakeComment) -> Option<String> {
        let mut guard = self.shared.edit();
        let data = &mut *guard;
        let slot = data.issues.slot(issue)?;
        let updated = comment.updated;
        let id = data.comments.insert(stored_comment(slot, comment));
        if let Some(entry) = data.issues.get_mut(slot) {
            entry.comments.push(id);
            sort_by_created(&mut entry.comments, &data.comments, |c| c.created);
        }
        data.touch(slot, updated);
        Some(id.to_string())
    }

    /// Edits a comment; its `updated` becomes now unless `change` set it. `false` when unknown.
    pub fn update_comment(&self, id: &str, change: impl FnOnce(&mut FakeComment)) -> bool {
        let mut guard = self.shared.edit();
        let data = &mut *guard;
        let Some(stored) = id.parse().ok().and_then(|id| data.comments.get_mut(id)) else {
            return false;
        };
        let mut comment = FakeComment {
            author: stored.author.to_string(),
            body: stored.body.to_string(),
            created: stored.created,
            updated: stored.updated,
        };
        change(&mut comment);
        if comment.updated == stored.updated {
            comment.updated = Utc::now();
        }
        let (slot, updated) = (stored.issue, comment.updated);
        *stored = stored_comment(slot, comment);
        if let Some(entry) = data.issues.get_mut(slot) {
            sort_by_created(&mut entry.comments, &data.comments, |c| c.created);
        }
        data.touch(slot, updated);
        true
    }

    /// Deletes a comment (Jira keeps no record of deleted comments); `false` when unknown.
    pub fn delete_comment(&self, id: &str) -> bool {
        let mut guard = self.shared.edit();
        let data = &mut *guard;
        let Some((id, comment)) =
            id.parse().ok().and_then(|id| Some((id, data.comments.remove(id)?)))
        else {
            return false;
        };
        if let Some(entry) = data.issues.get_mut(comment.issue) {
            entry.comments.retain(|c| *c != id);
        }
        data.touch(comment.issue, Utc::now());
        true
    }

    /// Logs work on an issue (by id or key); the worklog's id, or `None` when there is no
    /// such issue.
    pub fn add_worklog(&self, issue: &str, worklog: FakeJiraWorklog) -> Option<String> {
        let mut guard = self.shared.edit();
        let data = &mut *guard;
        let slot = data.issues.slot(issue)?;
        let updated = worklog.updated;
        let id = data.worklogs.insert(stored_worklog(slot, worklog));
        if let Some(entry) = data.issues.get_mut(slot) {
            entry.worklogs.push(id);
            sort_by_created(&mut entry.worklogs, &data.worklogs, |w| w.created);
        }
        data.touch(slot, updated);
        Some(id.to_string())
    }

    /// Edits a worklog; its `updated` becomes now unless `change` set it. `false` when unknown.
    pub fn update_worklog(&self, id: &str, change: impl FnOnce(&mut FakeJiraWorklog)) -> bool {
        let mut guard = self.shared.edit();
        let data = &mut *guard;
        let Some(stored) = id.parse().ok().and_then(|id| data.worklogs.get_mut(id)) else {
            return false;
        };
        let mut worklog = FakeJiraWorklog {
            author: stored.author.to_string(),
            started: stored.started,
            time_spent_seconds: stored.seconds,
            comment: stored.comment.as_deref().map(str::to_owned),
            created: stored.created,
            updated: stored.updated,
        };
        change(&mut worklog);
        if worklog.updated == stored.updated {
            worklog.updated = Utc::now();
        }
        let (slot, updated) = (stored.issue, worklog.updated);
        *stored = stored_worklog(slot, worklog);
        if let Some(entry) = data.issues.get_mut(slot) {
            sort_by_created(&mut entry.worklogs, &data.worklogs, |w| w.created);
        }
        data.touch(slot, updated);
        true
    }

    /// Deletes a worklog now: `/worklog/deleted` lists it from then on. `false` when unknown.
    pub fn delete_worklog(&self, id: &str) -> bool {
        let mut guard = self.shared.edit();
        let data = &mut *guard;
        let Some((id, worklog)) =
            id.parse().ok().and_then(|id| Some((id, data.worklogs.remove(id)?)))
        else {
            return false;
        };
        if let Some(entry) = data.issues.get_mut(worklog.issue) {
            entry.worklogs.retain(|w| *w != id);
        }
        let now = Utc::now();
        let deleted = (now.timestamp_millis(), id);
        let at = data.deleted_worklogs.partition_point(|entry| *entry < deleted);
        data.deleted_worklogs.insert(at, deleted);
        data.touch(worklog.issue, now);
        true
    }

    /// How long worklog changes stay out of `/worklog/updated` and `/worklog/deleted` (a
    /// minute unless set; zero lists them at once).
    pub fn set_worklog_feed_lag(&self, lag: Duration) {
        self.shared.data().feed_lag = Some(lag);
    }

    /// Adds a board, replacing one with the same id; its project is created when unknown.
    pub fn add_board(&self, board: FakeBoard) {
        let mut data = self.shared.edit();
        data.ensure_project(&board.project_key);
        data.boards.retain(|b| b.id != board.id);
        data.boards.push(board);
    }

    /// Adds a sprint, replacing one with the same id.
    pub fn add_sprint(&self, sprint: FakeSprint) {
        let mut data = self.shared.edit();
        data.sprints.retain(|s| s.id != sprint.id);
        data.sprints.push(sprint);
    }

    /// Who may be assigned issues of a project (every active user unless set).
    pub fn set_assignable(&self, project_key: &str, account_ids: &[&str]) {
        let ids = account_ids.iter().map(|id| (*id).to_owned()).collect();
        self.shared.edit().assignable.insert(project_key.to_ascii_uppercase(), ids);
    }

    /// Takes away (or gives back) the account's Browse permission on a project, by key:
    /// its issues leave every search and the project the project list.
    pub fn set_project_browsable(&self, key: &str, browsable: bool) {
        self.set_browsable(key.to_ascii_uppercase(), browsable);
    }

    /// Hides (or shows again) one issue, by id, from every search, as an issue security
    /// level the account is not in does.
    pub fn set_issue_browsable(&self, issue_id: &str, browsable: bool) {
        self.set_browsable(issue_id.to_owned(), browsable);
    }

    fn set_browsable(&self, name: String, browsable: bool) {
        let mut data = self.shared.edit();
        if browsable {
            data.unbrowsable.remove(&name);
        } else {
            data.unbrowsable.insert(name);
        }
    }

    /// Leaves this issue (by id) out of the next search that would find it, as Jira's
    /// eventually consistent index does for an issue updated a moment ago.
    pub fn hide_from_next_search(&self, issue_id: &str) {
        self.shared.data().hidden_once.insert(issue_id.to_owned());
    }
}
