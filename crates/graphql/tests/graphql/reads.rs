//! Reading the synced data: pages, filters, one issue with everything, the cost of a page.

use std::collections::HashSet;

use clockwork_testkit::on_both_databases;
use serde_json::{Value, json};

use crate::seed::{self, PROJECT, PROJECT_ID, UPDATED0};
use crate::{World, codes};

const PAGE: &str = "query($first: Int, $after: String, $project: ID, $since: DateTime, \
     $assignee: String, $status: String) { issues(projectId: $project, first: $first, \
     after: $after, updatedSince: $since, assignee: $assignee, status: $status) { \
     edges { cursor node { key updated status assignee { accountId } } } \
     pageInfo { hasNextPage hasPreviousPage endCursor } } }";

/// What a page of issues with their children and people costs: SQLite writes the page and
/// its children as one document, Postgres sends the children in rows of their own.
fn page_statements(world: &World) -> u64 {
    match world.store.backend() {
        clockwork_store::Backend::Sqlite => 2,
        clockwork_store::Backend::Postgres => 3,
    }
}

/// Every key the filter lists, page by page.
async fn all_keys(world: &World, first: i64, filter: Value) -> Vec<String> {
    let mut keys = Vec::new();
    let mut after = Value::Null;
    loop {
        let mut variables = filter.clone();
        variables["first"] = json!(first);
        variables["after"] = after.clone();
        let data = world.user(PAGE, variables).await;
        let page = &data["issues"];
        let edges = page["edges"].as_array().unwrap();
        assert!(edges.len() as i64 <= first);
        keys.extend(edges.iter().map(|e| e["node"]["key"].as_str().unwrap().to_owned()));
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return keys;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

on_both_databases! { World::run, World;
    async fn pages_never_skip_or_repeat_an_issue(world) {
        seed::project(&world.store, 250, 0).await;
        for first in [1, 7, 100] {
            let keys = all_keys(&world, first, json!({})).await;
            let unique: HashSet<&String> = keys.iter().collect();
            assert_eq!((keys.len(), unique.len()), (250, 250), "first: {first}");
            let ordered: Vec<String> = (0..250).map(|n| format!("{PROJECT}-{n}")).collect();
            assert_eq!(keys, ordered, "by (updated, id), two issues at each instant; first: {first}");
        }
        let data = world.user(PAGE, json!({ "first": 3 })).await;
        let info = &data["issues"]["pageInfo"];
        assert_eq!((info["hasNextPage"].clone(), info["hasPreviousPage"].clone()), (json!(true), json!(false)));
        let updated: Vec<&str> = data["issues"]["edges"].as_array().unwrap().iter()
            .map(|e| e["node"]["updated"].as_str().unwrap()).collect();
        assert_eq!(updated, ["2023-11-14T22:13:20.000Z", "2023-11-14T22:13:20.000Z", "2023-11-14T22:13:21.000Z"]);
    }

    async fn filters_narrow_issues_by_project_update_assignee_and_status(world) {
        seed::project(&world.store, 60, 0).await;
        let since = chrono::DateTime::from_timestamp_millis(UPDATED0 + 20_000).unwrap().to_rfc3339();
        assert_eq!(all_keys(&world, 100, json!({ "since": since })).await.len(), 20);
        assert_eq!(all_keys(&world, 100, json!({ "assignee": "acc-1" })).await.len(), 12);
        assert_eq!(all_keys(&world, 100, json!({ "status": "Done" })).await.len(), 20);
        assert_eq!(all_keys(&world, 100, json!({ "project": PROJECT_ID })).await.len(), 60);
        assert_eq!(all_keys(&world, 100, json!({ "project": "kan", "status": "Done", "assignee": "acc-0" })).await.len(), 4);
        assert!(all_keys(&world, 100, json!({ "project": "OTHER" })).await.is_empty());
    }

    async fn bad_page_arguments_are_invalid_input_naming_the_field(world) {
        seed::project(&world.store, 3, 0).await;
        for variables in [json!({ "first": 0 }), json!({ "first": 101 }), json!({ "after": "bm9wZQ" })] {
            let answer = world.ask(&world.user_token, PAGE, variables.clone()).await;
            assert_eq!(codes(&answer), ["INVALID_INPUT"], "{variables} {answer}");
        }
        let answer = world.ask(&world.user_token, PAGE, json!({ "since": "yesterday" })).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"], "{answer}");
        let answer = world.ask(&world.user_token, PAGE, json!({ "project": "99" })).await;
        assert_eq!(codes(&answer), ["NOT_TRACKED"], "{answer}");
        let answer = world.ask(&world.user_token, "{ issues { nope } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"], "{answer}");
    }

    async fn an_issue_by_key_carries_its_children_sprint_and_people(world) {
        seed::project(&world.store, 3, 2).await;
        let data = world.user(
            "{ issue(key: \"KAN-1\") { id key summary status priority projectKey issueType \
               created resolved storyPoints updated sprint { id name state } \
               assignee { accountId displayName teamMember { id } } reporter { accountId teamMember { id } } \
               comments { id body created updated author { accountId displayName emailAddress } } \
               worklogs { id timeSpent started updated comment author { accountId } } } \
               missing: issue(key: \"KAN-99\") { key } }",
            json!({}),
        ).await;
        let issue = &data["issue"];
        assert_eq!(issue["id"], "20001");
        assert_eq!(issue["sprint"], json!({ "id": "2", "name": "Sprint 2", "state": "active" }));
        assert_eq!(issue["assignee"]["displayName"], "Person 1");
        assert_eq!(issue["reporter"]["accountId"], "acc-2");
        assert_eq!(issue["assignee"]["teamMember"], Value::Null);
        assert_eq!(issue["comments"].as_array().unwrap().len(), 2);
        assert_eq!(issue["comments"][1]["author"]["displayName"], "Person 2");
        assert_eq!(issue["comments"][1]["author"]["emailAddress"], "person2@acme.example");
        assert_eq!(issue["worklogs"][0]["timeSpent"], 1800);
        assert_eq!(issue["worklogs"][0]["author"]["accountId"], "acc-1");
        assert_eq!(issue["resolved"], Value::Null);
        assert_eq!(data["missing"], Value::Null);
        let data = world.user("{ issue(key: \"KAN-0\") { assignee { teamMember { id displayName } } } }", json!({})).await;
        assert_eq!(data["issue"]["assignee"]["teamMember"]["displayName"], "Person 0");
    }

    async fn a_full_page_with_its_children_and_people_costs_at_most_three_statements(world) {
        seed::project(&world.store, 150, 2).await;
        let query = "{ issues(first: 100) { edges { node { key sprint { name } \
             assignee { displayName } reporter { displayName } \
             comments { body author { displayName } } worklogs { timeSpent author { displayName } } } } } }";
        let before = world.store.statements_sent();
        let data = world.user(query, json!({})).await;
        let statements = world.store.statements_sent() - before;
        let edges = data["issues"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 100);
        assert!(edges.iter().all(|e| e["node"]["comments"].as_array().unwrap().len() == 2));
        assert_eq!(
            statements,
            page_statements(&world),
            "the page with its sprints and children (the children apart on Postgres), then its people"
        );
    }

    async fn a_page_asking_for_history_costs_one_statement_more(world) {
        seed::project(&world.store, 150, 2).await;
        seed::history(&world.store, 150).await;
        let query = "{ issues(first: 100) { edges { node { key sprint { name } \
             assignee { displayName } reporter { displayName } \
             comments { body author { displayName } } worklogs { timeSpent author { displayName } } \
             changes(first: 1) { id field from to created author { displayName } } \
             timeInStatus { status milliseconds } cycleTimeMs leadTimeMs } } } }";
        let before = world.store.statements_sent();
        let data = world.user(query, json!({})).await;
        let statements = world.store.statements_sent() - before;
        assert_eq!(statements, page_statements(&world) + 1, "the page with its children and people, then the changes");
        let edges = data["issues"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 100);
        let node = |key: &str| edges.iter().map(|e| &e["node"]).find(|n| n["key"] == key).unwrap().clone();
        let hours = |hours: i64| json!((hours * seed::HOUR) as f64);
        let done = node("KAN-0");
        assert_eq!(done["changes"].as_array().unwrap().len(), 1, "first: 1, newest first");
        assert_eq!((&done["changes"][0]["from"], &done["changes"][0]["to"]), (&json!("In Progress"), &json!("Done")));
        assert_eq!(done["changes"][0]["author"]["displayName"], "Person 0");
        assert_eq!(done["timeInStatus"], json!([
            { "status": "To Do", "milliseconds": hours(1) },
            { "status": "In Progress", "milliseconds": hours(2) },
        ]));
        assert_eq!((&done["cycleTimeMs"], &done["leadTimeMs"]), (&hours(2), &hours(3)));
        let open = node("KAN-1");
        assert_eq!((&open["cycleTimeMs"], &open["leadTimeMs"]), (&Value::Null, &Value::Null));
        assert_eq!(open["timeInStatus"], json!([{ "status": "To Do", "milliseconds": hours(1) }]));
    }

    async fn changes_take_between_one_and_a_hundred(world) {
        seed::project(&world.store, 1, 0).await;
        let answer = world.ask(&world.user_token, "{ issue(key: \"KAN-0\") { changes(first: 101) { id } } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"], "{answer}");
        let data = world.user("{ issue(key: \"KAN-0\") { changes { id } timeInStatus { status } } }", json!({})).await;
        assert_eq!(data["issue"], json!({ "changes": [], "timeInStatus": [] }), "no history read yet");
    }

    async fn tracked_projects_show_counts_and_admins_see_schedule_and_runs(world) {
        seed::project(&world.store, 12, 2).await;
        world.store.record_run(&clockwork_store::RunRecord {
            project_key: PROJECT.into(), started_ms: UPDATED0, finished_ms: UPDATED0 + 1500,
            succeeded: true, error_code: None, retryable: false, issues: 12,
        }).await.unwrap();
        let data = world.user("{ trackedProjects { key id name counts { issues comments worklogs } } }", json!({})).await;
        assert_eq!(data["trackedProjects"], json!([{ "key": "KAN", "id": PROJECT_ID, "name": "Kanban",
            "counts": { "issues": 12, "comments": 24, "worklogs": 24 } }]));
        let query = "{ trackedProjects { syncJob { id cronSchedule status } \
             recentRuns { issues durationMs succeeded } trackedAccountIds } }";
        let answer = world.ask(&world.user_token, query, json!({})).await;
        let codes = codes(&answer);
        assert!(!codes.is_empty() && codes.iter().all(|c| c == "FORBIDDEN"), "{answer}");
        let data = world.admin(query, json!({})).await;
        let project = &data["trackedProjects"][0];
        assert_eq!(project["syncJob"], json!({ "id": "KAN", "cronSchedule": "*/15 * * * *", "status": "ACTIVE" }));
        assert_eq!(project["recentRuns"], json!([{ "issues": 12, "durationMs": 1500, "succeeded": true }]));
        assert_eq!(project["trackedAccountIds"], json!([]));
    }

    async fn team_members_and_the_unmatched_report_list_both_sides(world) {
        seed::project(&world.store, 2, 0).await;
        let data = world.user("{ teamMembers { id displayName email jiraAccountId } }", json!({})).await;
        assert_eq!(data["teamMembers"], json!([{ "id": "person0@acme.example", "displayName": "Person 0",
            "email": "person0@acme.example", "jiraAccountId": "acc-0" }]));
        world.admin("mutation { addTeamMember(displayName: \"Zed\") { id } }", json!({})).await;
        let data = world.admin("{ unmatchedUsers { users { accountId } members { displayName } } }", json!({})).await;
        let users: Vec<&str> = data["unmatchedUsers"]["users"].as_array().unwrap().iter()
            .map(|u| u["accountId"].as_str().unwrap()).collect();
        assert_eq!(users, ["acc-1", "acc-2", "acc-3", "acc-4"]);
        assert_eq!(data["unmatchedUsers"]["members"], json!([{ "displayName": "Zed" }]));
    }
}
