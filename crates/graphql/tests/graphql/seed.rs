//! Made-up data, stored through the store's own API.

use clockwork_store::{
    Comment, Issue, IssueBatch, IssueChange, IssueHistory, IssueRecord, JiraUser, Sprint, Store,
    TeamMember, Worklog,
};

pub const PROJECT: &str = "KAN";
pub const PROJECT_ID: &str = "10042";
/// `updated` of issue 0; issues come in pairs sharing a millisecond (to test the keyset).
pub const UPDATED0: i64 = 1_700_000_000_000;

pub fn account(n: u32) -> String {
    format!("acc-{}", n % 5)
}

pub fn issue(n: u32) -> Issue {
    Issue {
        id: format!("{}", 20_000 + n),
        key: format!("{PROJECT}-{n}"),
        project_key: PROJECT.into(),
        summary: format!("Issue number {n}"),
        status: if n.is_multiple_of(3) { "Done" } else { "In Progress" }.into(),
        status_category: None,
        priority: Some("High".into()),
        issue_type: Some("Task".into()),
        assignee_account_id: Some(account(n)),
        reporter_account_id: Some(account(n + 1)),
        created_ms: UPDATED0 - 86_400_000,
        updated_ms: UPDATED0 + i64::from(n / 2) * 1000,
        resolved_ms: None,
        story_points: Some(3.0),
        sprint_ids: vec![1, i64::from(n % 2) + 1],
    }
}

fn record(n: u32, children: u32) -> IssueRecord {
    let issue = issue(n);
    let comments = (0..children)
        .map(|c| Comment {
            id: format!("{}-c{c}", issue.id),
            issue_id: issue.id.clone(),
            author_account_id: Some(account(n + c)),
            body: format!("Comment {c} on {}", issue.key),
            created_ms: issue.created_ms + i64::from(c),
            updated_ms: issue.created_ms + i64::from(c),
        })
        .collect();
    let worklogs = (0..children)
        .map(|w| Worklog {
            id: format!("{}-w{w}", issue.id),
            issue_id: issue.id.clone(),
            author_account_id: Some(account(n + w)),
            started_ms: issue.created_ms + i64::from(w) * 3_600_000,
            time_spent_seconds: 1800,
            comment: Some("Worked on it".into()),
            created_ms: issue.created_ms,
            updated_ms: issue.created_ms,
        })
        .collect();
    IssueRecord { issue, comments, comments_complete: true, worklogs, worklogs_complete: true }
}

pub fn users() -> Vec<JiraUser> {
    (0..5)
        .map(|n| JiraUser {
            account_id: account(n),
            display_name: format!("Person {n}"),
            email: Some(format!("person{n}@acme.example")),
            avatar_url: None,
            active: true,
        })
        .collect()
}

/// Tracks `PROJECT` and stores `issues` issues with `children` comments and worklogs each,
/// in batches of 100, with two sprints and five people (person 0 a team member).
pub async fn project(store: &Store, issues: u32, children: u32) {
    store.track_project(PROJECT, PROJECT_ID, "Kanban").await.expect("track");
    store.create_sync_job(PROJECT, "*/15 * * * *", None).await.expect("job");
    let sprints = (1..=2)
        .map(|id| Sprint {
            id,
            board_id: Some(1),
            name: format!("Sprint {id}"),
            state: if id == 2 { "active" } else { "closed" }.into(),
            goal: None,
            start_ms: Some(UPDATED0),
            end_ms: None,
            complete_ms: None,
        })
        .collect::<Vec<_>>();
    for start in (0..issues).step_by(100) {
        let batch = IssueBatch {
            project_key: PROJECT.into(),
            issues: (start..issues.min(start + 100)).map(|n| record(n, children)).collect(),
            sprints: sprints.clone(),
            users: users(),
            cursor_ms: None,
            deleted_issue_ids: Vec::new(),
        };
        store.apply_batch(&batch).await.expect("batch");
    }
    let mut member = TeamMember::named("Person 0", Some("person0@acme.example"));
    member.jira_account_id = Some(account(0));
    store.upsert_team_member(&member).await.expect("member");
}

pub const HOUR: i64 = 3_600_000;

/// The history of issues `0..issues`: each moved from To Do to In Progress an hour after its
/// creation; the Done ones (every third) then to Done two hours later, when they are resolved.
pub async fn history(store: &Store, issues: u32) {
    let moved =
        |n: u32, change: u32, hours: i64, from: (&str, &str), to: (&str, &str)| IssueChange {
            issue_id: issue(n).id,
            change_id: format!("{}", 1000 * n + change),
            author_account_id: Some(account(n)),
            created_ms: issue(n).created_ms + hours * HOUR,
            field: "status".into(),
            from_value: Some(from.0.into()),
            to_value: Some(to.0.into()),
            from_string: Some(from.1.into()),
            to_string: Some(to.1.into()),
        };
    let (to_do, in_progress, done) = (("1", "To Do"), ("3", "In Progress"), ("5", "Done"));
    let mut resolved = Vec::new();
    let mut changes = Vec::new();
    for n in 0..issues {
        changes.push(moved(n, 1, 1, to_do, in_progress));
        if n.is_multiple_of(3) {
            changes.push(moved(n, 2, 3, in_progress, done));
            let mut record = record(n, 0);
            record.issue.resolved_ms = Some(record.issue.created_ms + 3 * HOUR);
            record.comments_complete = false;
            record.worklogs_complete = false;
            resolved.push(record);
        }
    }
    for chunk in resolved.chunks(100) {
        let batch = IssueBatch {
            project_key: PROJECT.into(),
            issues: chunk.to_vec(),
            ..IssueBatch::default()
        };
        store.apply_batch(&batch).await.expect("resolved");
    }
    let history = IssueHistory {
        project_key: PROJECT.into(),
        issue_ids: (0..issues).map(|n| issue(n).id).collect(),
        changes,
        users: users(),
        status_categories: [("1", "new"), ("3", "indeterminate"), ("5", "done")]
            .into_iter()
            .map(|(id, key)| (id.to_owned(), key.to_owned()))
            .collect(),
    };
    store.apply_history(&history).await.expect("history");
}
