//! Made-up Jira data: numbered issues with their comments and worklogs.

use clockwork_store::{
    Comment, Issue, IssueBatch, IssueRecord, JiraUser, Sprint, Store, Stored, TableCounts, Worklog,
};

pub const PROJECT: &str = "ACME";
/// `updated` of issue 0; issue n is updated n seconds later.
pub const UPDATED0: i64 = 1_700_000_000_000;

pub fn issue_id(n: u32) -> String {
    format!("{}", 10_000 + n)
}

pub fn issue(project: &str, n: u32) -> Issue {
    Issue {
        id: issue_id(n),
        key: format!("{project}-{n}"),
        project_key: project.into(),
        summary: format!("Issue number {n}"),
        status: "In Progress".into(),
        status_category: Some("indeterminate".into()),
        priority: n.is_multiple_of(2).then(|| "High".into()),
        issue_type: Some("Task".into()),
        assignee_account_id: Some(account(n)),
        reporter_account_id: Some(account(n + 1)),
        created_ms: UPDATED0 - 86_400_000,
        updated_ms: UPDATED0 + i64::from(n) * 1000,
        resolved_ms: None,
        story_points: Some(f64::from(n % 5) + 0.5),
        sprint_ids: vec![i64::from(n % 3) + 1],
    }
}

pub fn account(n: u32) -> String {
    format!("acc-{}", n % 7)
}

pub fn comment(issue: u32, i: u32) -> Comment {
    Comment {
        id: format!("c-{issue}-{i}"),
        issue_id: issue_id(issue),
        author_account_id: Some(account(i)),
        body: format!("Comment {i} on issue {issue}: looks good to me."),
        created_ms: UPDATED0 + i64::from(i),
        updated_ms: UPDATED0 + i64::from(i),
    }
}

pub fn worklog(issue: u32, i: u32) -> Worklog {
    Worklog {
        id: format!("w-{issue}-{i}"),
        issue_id: issue_id(issue),
        author_account_id: Some(account(i)),
        started_ms: UPDATED0 + i64::from(i) * 3_600_000,
        time_spent_seconds: 1800 + i64::from(i),
        comment: i.is_multiple_of(2).then(|| format!("worked on {issue}")),
        created_ms: UPDATED0 + i64::from(i),
        updated_ms: UPDATED0 + i64::from(i),
    }
}

/// An issue read completely, with `comments` comments and `worklogs` worklogs.
pub fn record(project: &str, n: u32, comments: u32, worklogs: u32) -> IssueRecord {
    IssueRecord {
        issue: issue(project, n),
        comments: (0..comments).map(|i| comment(n, i)).collect(),
        comments_complete: true,
        worklogs: (0..worklogs).map(|i| worklog(n, i)).collect(),
        worklogs_complete: true,
    }
}

pub fn sprint(id: i64) -> Sprint {
    Sprint {
        id,
        board_id: Some(7),
        name: format!("Sprint {id}"),
        state: "active".into(),
        goal: None,
        start_ms: Some(UPDATED0),
        end_ms: Some(UPDATED0 + 14 * 86_400_000),
        complete_ms: None,
    }
}

pub fn user(n: u32) -> JiraUser {
    JiraUser {
        account_id: account(n),
        display_name: format!("User {}", n % 7),
        email: Some(format!("user{}@acme.test", n % 7)),
        avatar_url: None,
        active: true,
    }
}

/// Issues `issues` of `PROJECT`, each with `comments` comments and `worklogs` worklogs; the
/// cursor is the last issue's `updated`.
pub fn batch(issues: std::ops::Range<u32>, comments: u32, worklogs: u32) -> IssueBatch {
    let records: Vec<IssueRecord> =
        issues.clone().map(|n| record(PROJECT, n, comments, worklogs)).collect();
    let cursor_ms = records.iter().map(|r| r.issue.updated_ms).max().unwrap_or(0);
    IssueBatch {
        project_key: PROJECT.into(),
        issues: records,
        sprints: (1..=3).map(sprint).collect(),
        users: issues.map(user).collect(),
        cursor_ms: Some(cursor_ms),
        deleted_issue_ids: Vec::new(),
    }
}

/// An issue as stored, with its comments and worklogs.
type IssueRows = (Stored<Issue>, Vec<Stored<Comment>>, Vec<Stored<Worklog>>);

/// Everything the store holds about the given issues, to compare before and after.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    counts: TableCounts,
    rows: Vec<IssueRows>,
    users: Vec<JiraUser>,
    sprints: Vec<Sprint>,
    cursor: Option<i64>,
}

pub async fn snapshot(store: &Store, issues: std::ops::Range<u32>) -> Snapshot {
    let mut rows = Vec::new();
    for n in issues {
        let id = issue_id(n);
        let issue = store.issue(&id).await.unwrap().expect("stored issue");
        rows.push((
            issue,
            store.comments_of(&id).await.unwrap(),
            store.worklogs_of(&id).await.unwrap(),
        ));
    }
    Snapshot {
        counts: store.counts().await.unwrap(),
        rows,
        users: store.jira_users().await.unwrap(),
        sprints: store.sprints(PROJECT).await.unwrap(),
        cursor: issues_cursor(store).await,
    }
}

pub async fn issues_cursor(store: &Store) -> Option<i64> {
    store
        .sync_state(PROJECT, clockwork_store::SyncEntity::Issues)
        .await
        .unwrap()
        .and_then(|state| state.cursor_ms)
}
