//! Made-up data, stored through the store's own API.

use clockwork_store::{
    Comment, Issue, IssueBatch, IssueRecord, JiraUser, Sprint, Store, TeamMember, Worklog,
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
