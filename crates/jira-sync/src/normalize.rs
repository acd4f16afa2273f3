//! Jira's shapes to the store's rows: pure functions, no I/O.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use clockwork_clients::jira::JiraUser as DataUser;
use clockwork_clients::jira_data::{DataComment, DataIssue, DataWorklog, Sprint as DataSprint};
use clockwork_store::model::{Comment, Issue, IssueRecord, JiraUser, Sprint, Worklog};

fn ms(at: Option<DateTime<Utc>>) -> Option<i64> {
    at.map(|at| at.timestamp_millis())
}

pub fn user(user: &DataUser) -> JiraUser {
    JiraUser {
        account_id: user.account_id.clone(),
        display_name: user.display_name.clone().unwrap_or_default(),
        email: user.email_address.clone().filter(|email| !email.is_empty()),
        avatar_url: user.avatar_url().map(str::to_owned),
        active: user.active.unwrap_or(true),
    }
}

pub fn sprint(sprint: &DataSprint) -> Sprint {
    Sprint {
        id: i64::try_from(sprint.id).unwrap_or(i64::MAX),
        board_id: sprint.board_id.and_then(|id| i64::try_from(id).ok()),
        name: sprint.name.clone(),
        state: sprint.state.clone(),
        goal: sprint.goal.clone(),
        start_ms: ms(sprint.start_date),
        end_ms: ms(sprint.end_date),
        complete_ms: ms(sprint.complete_date),
    }
}

pub fn comment(issue_id: &str, comment: &DataComment) -> Comment {
    let created = ms(comment.created).unwrap_or_default();
    Comment {
        id: comment.id.clone(),
        issue_id: issue_id.to_owned(),
        author_account_id: comment.author.as_ref().map(|a| a.account_id.clone()),
        body: comment.text(),
        created_ms: created,
        updated_ms: ms(comment.updated).unwrap_or(created),
    }
}

pub fn worklog(issue_id: &str, worklog: &DataWorklog) -> Worklog {
    let created = ms(worklog.created).unwrap_or_default();
    Worklog {
        id: worklog.id.clone(),
        issue_id: worklog.issue_id.clone().unwrap_or_else(|| issue_id.to_owned()),
        author_account_id: worklog.author.as_ref().map(|a| a.account_id.clone()),
        started_ms: ms(worklog.started).unwrap_or(created),
        time_spent_seconds: i64::try_from(worklog.time_spent_seconds.unwrap_or_default())
            .unwrap_or(i64::MAX),
        comment: Some(worklog.text()).filter(|text| !text.is_empty()),
        created_ms: created,
        updated_ms: ms(worklog.updated).unwrap_or(created),
    }
}

pub fn issue(issue: &DataIssue, project_key: &str) -> Issue {
    let created = ms(issue.created).unwrap_or_default();
    Issue {
        id: issue.id.clone(),
        key: issue.key.clone(),
        project_key: issue.project_key().unwrap_or(project_key).to_owned(),
        summary: issue.summary.clone().unwrap_or_default(),
        status: issue.status.clone().unwrap_or_default(),
        status_category: issue.status_category.clone(),
        priority: issue.priority.clone(),
        issue_type: issue.issue_type.clone(),
        assignee_account_id: issue.assignee.as_ref().map(|u| u.account_id.clone()),
        reporter_account_id: issue.reporter.as_ref().map(|u| u.account_id.clone()),
        created_ms: created,
        updated_ms: ms(issue.updated).unwrap_or(created),
        resolved_ms: ms(issue.resolution_date),
        story_points: issue.story_points,
        sprint_ids: issue.sprints.iter().filter_map(|s| i64::try_from(s.id).ok()).collect(),
    }
}

/// Whose work is ingested: everyone's, or only the tracked users' when a project has some.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    tracked: HashSet<String>,
}

impl Scope {
    pub fn new(tracked: impl IntoIterator<Item = String>) -> Self {
        Self { tracked: tracked.into_iter().collect() }
    }

    pub fn is_everyone(&self) -> bool {
        self.tracked.is_empty()
    }

    /// Whether work by this author is kept.
    pub fn covers(&self, account_id: Option<&str>) -> bool {
        self.is_everyone() || account_id.is_some_and(|id| self.tracked.contains(id))
    }

    /// An issue's record with only the work in scope; `None` when nothing of it is.
    pub fn record(
        &self,
        issue: Issue,
        comments: Vec<Comment>,
        comments_complete: bool,
        worklogs: Vec<Worklog>,
        worklogs_complete: bool,
    ) -> Option<IssueRecord> {
        let comments: Vec<Comment> =
            comments.into_iter().filter(|c| self.covers(c.author_account_id.as_deref())).collect();
        let worklogs: Vec<Worklog> =
            worklogs.into_iter().filter(|w| self.covers(w.author_account_id.as_deref())).collect();
        let theirs = self.covers(issue.assignee_account_id.as_deref())
            || self.covers(issue.reporter_account_id.as_deref())
            || !comments.is_empty()
            || !worklogs.is_empty();
        theirs.then_some(IssueRecord {
            issue,
            comments,
            comments_complete,
            worklogs,
            worklogs_complete,
        })
    }
}

/// Where the next issue search starts: the last committed `updated` less an overlap, so
/// issues updated at the edge (or missing from an eventually consistent search) are read
/// again; the idempotent upserts make that harmless.
pub fn search_from(cursor_ms: Option<i64>, overlap_ms: i64) -> Option<DateTime<Utc>> {
    cursor_ms.and_then(|cursor| DateTime::from_timestamp_millis(cursor.saturating_sub(overlap_ms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare_issue(assignee: Option<&str>) -> Issue {
        Issue {
            id: "1".into(),
            key: "KAN-1".into(),
            project_key: "KAN".into(),
            summary: String::new(),
            status: String::new(),
            status_category: None,
            priority: None,
            issue_type: None,
            assignee_account_id: assignee.map(Into::into),
            reporter_account_id: None,
            created_ms: 0,
            updated_ms: 0,
            resolved_ms: None,
            story_points: None,
            sprint_ids: Vec::new(),
        }
    }

    fn log(author: &str) -> Worklog {
        Worklog {
            id: author.into(),
            issue_id: "1".into(),
            author_account_id: Some(author.into()),
            started_ms: 0,
            time_spent_seconds: 60,
            comment: None,
            created_ms: 0,
            updated_ms: 0,
        }
    }

    #[test]
    fn tracked_users_keep_only_their_work() {
        let scope = Scope::new(["ann".to_owned()]);
        let kept = scope
            .record(bare_issue(None), vec![], true, vec![log("ann"), log("bob")], true)
            .unwrap();
        assert_eq!(kept.worklogs.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), ["ann"]);
        assert!(
            scope.record(bare_issue(Some("bob")), vec![], true, vec![log("bob")], true).is_none()
        );
        assert!(scope.record(bare_issue(Some("ann")), vec![], true, vec![], true).is_some());
        assert!(Scope::default().record(bare_issue(None), vec![], true, vec![], true).is_some());
    }

    #[test]
    fn the_search_restarts_an_overlap_before_the_cursor() {
        assert_eq!(search_from(None, 60_000), None);
        assert_eq!(
            search_from(Some(1_732_877_091_000), 60_000).unwrap().timestamp_millis(),
            1_732_877_031_000
        );
    }
}
