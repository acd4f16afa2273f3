//! Change history, on both databases against the fake Jira: the changelogs of the issues a
//! sync or a webhook wrote are read in bulk, each change stored once, and the time in status,
//! cycle and lead times follow.

mod common;

use chrono::Utc;
use clockwork_core::webhook::WebhookDelivery;
use clockwork_store::Children;
use clockwork_testkit::faults::Fault;
use clockwork_testkit::on_both_databases;
use common::Site;

const BULKFETCH: &str = "POST /rest/api/3/changelog/bulkfetch";

/// Changes the seed gives 250 issues: statuses take turns (To Do, In Progress, In Review,
/// Done, Backlog), reached by 0, 1, 2, 3 and 0 moves.
const SEEDED_MOVES: i64 = 50 * (1 + 2 + 3);

async fn flow_of(site: &Site, key: &str) -> clockwork_store::Flow {
    site.store.issue_by_key(key, Children::default()).await.expect("read").expect("issue").flow
}

on_both_databases! { Site::run, Site;
    async fn a_full_sync_stores_every_status_move_in_one_request_per_thousand_issues(site) {
        site.jira.seed_project("KAN", 250, 1, 1);
        let summary = site.sync(true).await.expect("sync");
        assert_eq!(site.jira.requests(BULKFETCH), 1);
        assert_eq!(summary.changes, SEEDED_MOVES as u64);
        let changes = site.store.changes_of_issues(&(10_000..10_250).map(|id| id.to_string()).collect::<Vec<_>>()).await.expect("changes");
        assert_eq!(changes.len() as i64, SEEDED_MOVES);
        // KAN-4 is Done: To Do → In Progress → In Review → Done, evenly spaced.
        let flow = flow_of(&site, "KAN-4").await;
        let statuses: Vec<&str> = flow.status_durations.iter().map(|d| d.status.as_str()).collect();
        assert_eq!(statuses, ["To Do", "In Progress", "In Review"]);
        let lead = flow.lead_time_ms.expect("resolved");
        assert_eq!(flow.cycle_time_ms, Some(lead - flow.status_durations[0].ms), "from In Progress on");
        assert!(changes.iter().all(|c| c.author.is_some()), "authors are stored with the changes");
    }

    async fn refetching_the_changelog_stores_each_change_once(site) {
        let seeded = site.jira.seed_project("KAN", 20, 0, 0);
        site.sync(true).await.expect("full");
        let again = site.sync(true).await.expect("full again");
        assert_eq!((site.jira.requests(BULKFETCH), again.changes), (1, 0), "unchanged: not read again");

        // KAN-4 (Done, three moves) is renamed: its whole changelog is read, one change is new.
        let id = (seeded.issue_ids.start + 3).to_string();
        site.jira.update_issue(&id, |issue| issue.summary = "Renamed".into());
        let after = site.sync(true).await.expect("full after the rename");
        assert_eq!((site.jira.requests(BULKFETCH), after.changes), (2, 1), "{after:?}");
        let changes = site.store.changes_of_issues(&[id]).await.expect("changes");
        assert_eq!(changes.len(), 4);
        assert_eq!(changes[0].value.field, "summary", "newest first");
    }

    async fn an_incremental_run_with_nothing_changed_reads_no_changelog(site) {
        site.jira.seed_project("KAN", 120, 1, 1);
        site.sync(true).await.expect("full");
        site.jira.reset_counts();
        let summary = site.sync(false).await.expect("incremental");
        assert_eq!(site.jira.requests(BULKFETCH), 0);
        assert!(summary.requests <= 3, "{summary:?}");
    }

    async fn a_transition_is_stored_by_the_next_incremental_run_with_its_new_flow(site) {
        let seeded = site.jira.seed_project("KAN", 5, 0, 0);
        site.sync(true).await.expect("full");
        let id = (seeded.issue_ids.start + 1).to_string(); // KAN-2, In Progress
        let now = Utc::now();
        site.jira.update_issue(&id, |issue| {
            issue.status = "Done".into();
            issue.resolution_date = Some(now);
            issue.updated = now;
        });
        site.jira.reset_counts();
        let summary = site.sync(false).await.expect("incremental");
        assert_eq!((summary.changes, site.jira.requests(BULKFETCH)), (2, 1), "status and resolution: {summary:?}");
        let stored = site.store.issue_by_key("KAN-2", Children::default()).await.expect("read").expect("issue");
        let (issue, flow) = (stored.issue, stored.flow);
        let lead = issue.resolved_ms.expect("resolved") - issue.created_ms;
        assert_eq!(flow.lead_time_ms, Some(lead));
        let statuses: Vec<&str> = flow.status_durations.iter().map(|d| d.status.as_str()).collect();
        assert_eq!(statuses, ["To Do", "In Progress"]);
        assert_eq!(flow.cycle_time_ms, Some(lead - flow.status_durations[0].ms));
    }

    async fn a_changelog_read_that_failed_is_owed_to_the_next_run(site) {
        site.jira.seed_project("KAN", 10, 0, 0);
        site.jira.inject(BULKFETCH, Fault::Status(400), 1);
        site.sync(true).await.expect_err("the changelog read fails");
        assert_eq!(site.store.counts().await.expect("counts").issues, 10, "the issues are in");
        let summary = site.sync(false).await.expect("incremental");
        assert_eq!(summary.changes, 12, "two of each five issues moved 1, 2 and 3 times: {summary:?}");
    }

    async fn a_webhook_delivery_brings_the_issue_s_new_changes(site) {
        let seeded = site.jira.seed_project("KAN", 3, 0, 0);
        site.store.track_project("KAN", "10000", "Kanban").await.expect("track");
        site.sync(true).await.expect("full");
        let id = seeded.issue_ids.start; // KAN-1, To Do
        site.jira.update_issue(&id.to_string(), |issue| issue.status = "In Progress".into());
        let delivery = WebhookDelivery {
            id: "moved".into(),
            webhook_event: "jira:issue_updated".into(),
            issue_id: id.to_string(),
            issue_key: None,
            project_key: Some("KAN".into()),
            timestamp: None,
            received_ms: Utc::now().timestamp_millis(),
            account_ids: Vec::new(),
        };
        let applied = site.engine.apply_webhooks("KAN", &[delivery], "hook").await.expect("applied");
        assert_eq!((applied.issues, applied.changes), (1, 1), "{applied:?}");
        let flow = flow_of(&site, "KAN-1").await;
        assert_eq!(flow.status_durations.first().map(|d| d.status.as_str()), Some("To Do"));
    }
}
