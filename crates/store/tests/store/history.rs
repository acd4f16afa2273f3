//! Change history: each change stored once, and the time in status, cycle and lead times
//! kept current with it.

use clockwork_store::{Children, IssueBatch, IssueChange, IssueHistory, StatusDuration, Store};
use clockwork_testkit::on_both_databases;

use crate::fixtures::{self, PROJECT, batch, issue_id};

const HOUR: i64 = 3_600_000;

/// A status move of issue `n` at `hours` after its creation.
fn moved(n: u32, change: u32, hours: i64, from: &str, to: &str) -> IssueChange {
    IssueChange {
        issue_id: issue_id(n),
        change_id: change.to_string(),
        author_account_id: Some(fixtures::account(n)),
        created_ms: fixtures::issue(PROJECT, n).created_ms + hours * HOUR,
        field: "status".into(),
        from_value: Some(status_id(from)),
        to_value: Some(status_id(to)),
        from_string: Some(from.into()),
        to_string: Some(to.into()),
    }
}

/// Statuses are numbered by their place in the workflow.
const WORKFLOW: [(&str, &str); 4] = [
    ("To Do", "new"),
    ("In Progress", "indeterminate"),
    ("In Review", "indeterminate"),
    ("Done", "done"),
];

fn status_id(name: &str) -> String {
    WORKFLOW.iter().position(|(status, _)| *status == name).unwrap().to_string()
}

fn history(issues: &[u32], changes: Vec<IssueChange>) -> IssueHistory {
    IssueHistory {
        project_key: PROJECT.into(),
        issue_ids: issues.iter().map(|&n| issue_id(n)).collect(),
        changes,
        users: vec![fixtures::user(0)],
        status_categories: WORKFLOW
            .iter()
            .map(|(status, category)| (status_id(status), (*category).to_owned()))
            .collect(),
    }
}

/// Issues 0..3 of the fixture project; issue 0 resolved 10 hours after its creation.
async fn stored(store: &Store) -> IssueBatch {
    let mut issues = batch(0..3, 0, 0);
    let first = &mut issues.issues[0].issue;
    first.resolved_ms = Some(first.created_ms + 10 * HOUR);
    first.status = "Done".into();
    first.status_category = Some("done".into());
    store.apply_batch(&issues).await.unwrap();
    issues
}

fn workflow_of_issue_0() -> Vec<IssueChange> {
    vec![
        moved(0, 101, 2, "To Do", "In Progress"),
        moved(0, 102, 5, "In Progress", "In Review"),
        moved(0, 103, 6, "In Review", "In Progress"),
        moved(0, 104, 10, "In Progress", "Done"),
    ]
}

on_both_databases! { crate::run, crate::TestDb;
    async fn refetching_the_changelog_stores_each_change_once(db) {
        let store = db.store().await;
        stored(&store).await;
        let read = history(&[0], workflow_of_issue_0());
        assert_eq!(store.apply_history(&read).await.unwrap(), 4);
        assert_eq!(store.apply_history(&read).await.unwrap(), 0, "nothing new");
        let mut more = workflow_of_issue_0();
        more.push(moved(0, 105, 11, "Done", "In Progress"));
        assert_eq!(store.apply_history(&history(&[0], more)).await.unwrap(), 1, "only the new one");
        let changes = store.changes_of_issues(&[issue_id(0)]).await.unwrap();
        let ids: Vec<&str> = changes.iter().map(|c| c.value.change_id.as_str()).collect();
        assert_eq!(ids, ["105", "104", "103", "102", "101"], "newest first");
        assert_eq!(changes[0].author.as_ref().map(|u| u.account_id.as_str()), Some("acc-0"));
    }

    async fn a_status_moved_twice_sums_its_time_in_status(db) {
        let store = db.store().await;
        stored(&store).await;
        store.apply_history(&history(&[0], workflow_of_issue_0())).await.unwrap();
        let flow = store.issue_by_key(&format!("{PROJECT}-0"), Children::default()).await.unwrap().unwrap().flow;
        let spent = |status: &str, hours: i64| StatusDuration { status: status.into(), ms: hours * HOUR };
        assert_eq!(
            flow.status_durations,
            [spent("To Do", 2), spent("In Progress", 7), spent("In Review", 1)]
        );
        assert_eq!(flow.cycle_time_ms, Some(8 * HOUR), "first move into In Progress to resolution");
        assert_eq!(flow.lead_time_ms, Some(10 * HOUR), "created to resolution");
    }

    async fn reopening_an_issue_clears_its_cycle_and_lead_times(db) {
        let store = db.store().await;
        let mut issues = stored(&store).await;
        store.apply_history(&history(&[0], workflow_of_issue_0())).await.unwrap();

        let reopened = &mut issues.issues[0].issue;
        reopened.resolved_ms = None;
        reopened.status = "In Progress".into();
        store.apply_batch(&issues).await.unwrap();
        let mut changes = workflow_of_issue_0();
        changes.push(moved(0, 105, 12, "Done", "In Progress"));
        store.apply_history(&history(&[0], changes)).await.unwrap();

        let flow = store.issue_by_key(&format!("{PROJECT}-0"), Children::default()).await.unwrap().unwrap().flow;
        assert_eq!((flow.cycle_time_ms, flow.lead_time_ms), (None, None));
        assert_eq!(flow.status_durations.last().map(|d| (d.status.as_str(), d.ms)), Some(("Done", 2 * HOUR)));
    }

    async fn changes_of_issues_the_store_does_not_hold_are_left_out(db) {
        let store = db.store().await;
        stored(&store).await;
        let changes = vec![moved(1, 201, 1, "To Do", "In Progress"), moved(99, 202, 1, "To Do", "Done")];
        assert_eq!(store.apply_history(&history(&[1, 99], changes)).await.unwrap(), 1);
        assert!(store.changes_of_issues(&[issue_id(99)]).await.unwrap().is_empty());
        let flow = store.issue_by_key(&format!("{PROJECT}-1"), Children::default()).await.unwrap().unwrap().flow;
        assert_eq!(flow.status_durations, [StatusDuration { status: "To Do".into(), ms: HOUR }]);
    }

    async fn an_issue_without_a_read_history_has_no_derived_values(db) {
        let store = db.store().await;
        stored(&store).await;
        let flow = store.issue_by_key(&format!("{PROJECT}-0"), Children::default()).await.unwrap().unwrap().flow;
        assert_eq!(flow, clockwork_store::Flow::default());
    }
}

on_both_databases! { crate::run, crate::TestDb;
    async fn an_issue_updated_after_its_history_was_stored_owes_a_read(db) {
        let store = db.store().await;
        let mut issues = stored(&store).await;
        let owing = async || store.issues_owing_history(PROJECT, 10).await.unwrap();
        assert_eq!(owing().await, [issue_id(0), issue_id(1), issue_id(2)], "never read");
        store.apply_history(&history(&[0, 1, 2], Vec::new())).await.unwrap();
        assert!(owing().await.is_empty());

        issues.issues[1].issue.updated_ms += 1;
        store.apply_batch(&issues).await.unwrap();
        assert_eq!(owing().await, [issue_id(1)]);
        assert_eq!(store.issues_owing_history(PROJECT, 0).await.unwrap().len(), 0, "limited");
    }
}
