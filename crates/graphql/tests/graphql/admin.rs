//! The admin side: who may do what, the schedule controls, states and logs, Jira's live
//! options, tracking projects and people, the team.

use clockwork_store::{LogLevel, SyncEntity, SyncStatus};
use clockwork_testkit::jira::FakeUser;
use clockwork_testkit::on_both_databases;
use serde_json::{Value, json};

use crate::seed::{self, PROJECT};
use crate::{World, codes, data_client};

const ADMIN_ONLY: [&str; 15] = [
    "{ syncJobs { id } }",
    "{ syncStates(projectId: \"KAN\") { entity } }",
    "{ syncLogs(projectId: \"KAN\", limit: 5) { id } }",
    "{ unmatchedUsers { users { accountId } } }",
    "{ jiraProjectOptions { key } }",
    "{ jiraProjectUserOptions(projectId: \"KAN\") { tracked } }",
    "mutation { startProjectSync(projectId: \"KAN\") { outcome } }",
    "mutation { pauseProjectSync(projectId: \"KAN\") { status } }",
    "mutation { resumeProjectSync(projectId: \"KAN\") { status } }",
    "mutation { rescheduleProjectSync(projectId: \"KAN\", cron: \"0 * * * *\") { status } }",
    "mutation { triggerProjectSync(projectId: \"KAN\") { outcome } }",
    "mutation { trackProject(projectId: \"KAN\") { key } }",
    "mutation { untrackProject(projectId: \"KAN\") }",
    "mutation { setTrackedUsers(projectId: \"KAN\", accountIds: []) { added } }",
    "mutation { matchUsers { matched { matchedBy } } }",
];

const JOB: &str = "id workflowId scheduleId cronSchedule status lastRunAt nextRunAt projectKey \
     originalCron backoffRung lastErrorCode lastErrorAdvice";

on_both_databases! { World::run, World;
    async fn a_user_token_cannot_run_mutations_or_admin_queries(world) {
        seed::project(&world.store, 2, 0).await;
        let more = [
            "mutation { addTeamMember(displayName: \"A\") { id } }",
            "mutation { matchTeamMember(memberId: \"x\", accountId: \"acc-1\") { id } }",
        ];
        for query in ADMIN_ONLY.iter().chain(&more) {
            let answer = world.ask(&world.user_token, query, json!({})).await;
            assert_eq!(codes(&answer), ["FORBIDDEN"], "{query}: {answer}");
        }
        let job = world.store.sync_job(PROJECT).await.unwrap().unwrap();
        assert_eq!(job.status, clockwork_store::JobStatus::Active, "nothing was paused");
    }

    async fn a_request_without_a_valid_token_is_refused_before_it_runs(world) {
        let (status, answer) = world.post(None, json!({ "query": "{ teamMembers { id } }" })).await;
        assert_eq!((status, codes(&answer)), (401, vec!["AUTH_REQUIRED".to_owned()]), "{answer}");
        let (status, answer) = world.post(Some("nonsense"), json!({ "query": "{ teamMembers { id } }" })).await;
        assert_eq!((status, codes(&answer)), (401, vec!["AUTH_INVALID".to_owned()]), "{answer}");
        let (status, answer) = world.post(Some(&world.user_token), json!("not a query")).await;
        assert_eq!((status, codes(&answer)), (400, vec!["INVALID_INPUT".to_owned()]), "{answer}");
        let request = http::Request::get("/api/graphql").body(bytes::Bytes::new()).unwrap();
        let response = world.service.handle(request).await;
        assert_eq!(response.status(), 405, "GraphiQL is the local runner's only");
        assert_eq!(response.headers()["allow"], "POST");
    }

    async fn queries_nested_too_deep_or_too_wide_are_refused_with_a_code(world) {
        let seven = "{ issues { edges { node { comments { author { teamMember { id } } } } } } }";
        assert!(world.ask(&world.user_token, seven, json!({})).await.get("errors").is_none());
        let eleven = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { \
             ofType { ofType { name } } } } } } } } } } }";
        let answer = world.ask(&world.user_token, eleven, json!({})).await;
        assert_eq!(codes(&answer), ["QUERY_TOO_DEEP"], "{answer}");
        assert!(answer["errors"][0]["message"].as_str().unwrap().contains("deeper than 10"));
        let fields: String = (0..600).map(|n| format!(" k{n}: key")).collect();
        let wide = format!("{{ issues {{ edges {{ node {{ {fields} }} }} }} }}");
        let answer = world.ask(&world.user_token, &wide, json!({})).await;
        assert_eq!(codes(&answer), ["QUERY_TOO_COMPLEX"], "{answer}");
    }

    async fn pause_resume_reschedule_start_and_trigger_drive_the_schedule(world) {
        seed::project(&world.store, 2, 0).await;
        let job = |data: &Value, field: &str| data[field].clone();
        let data = world.admin(&format!("mutation {{ pauseProjectSync(projectId: \"KAN\") {{ {JOB} }} }}"), json!({})).await;
        let paused = job(&data, "pauseProjectSync");
        assert_eq!(paused["status"], "PAUSED");
        assert_eq!(paused["workflowId"], "sync-jira-project/KAN");
        assert_eq!(paused["scheduleId"], "jira-schedules-tick/KAN");
        let data = world.admin("mutation { resumeProjectSync(projectId: \"10042\") { status nextRunAt } }", json!({})).await;
        assert_eq!(data["resumeProjectSync"]["status"], "ACTIVE");
        assert!(data["resumeProjectSync"]["nextRunAt"].is_string());
        let data = world.admin("mutation { rescheduleProjectSync(projectId: \"KAN\", cron: \"0 * * * *\") { cronSchedule originalCron } }", json!({})).await;
        assert_eq!(data["rescheduleProjectSync"], json!({ "cronSchedule": "0 * * * *", "originalCron": "0 * * * *" }));
        let data = world.admin("mutation { triggerProjectSync(projectId: \"KAN\", full: true) { projectKey outcome message } }", json!({})).await;
        assert_eq!(data["triggerProjectSync"]["outcome"], "QUEUED", "no scheduler in this world");
        let request = world.store.sync_job(PROJECT).await.unwrap().unwrap().request.unwrap();
        assert!(request.full);
        world.admin("mutation { pauseProjectSync(projectId: \"KAN\") { status } }", json!({})).await;
        let data = world.admin("mutation { startProjectSync(projectId: \"KAN\") { outcome syncJob { status } } }", json!({})).await;
        assert_eq!(data["startProjectSync"], json!({ "outcome": "QUEUED", "syncJob": { "status": "ACTIVE" } }));
        let data = world.admin(&format!("{{ syncJobs {{ {JOB} }} }}"), json!({})).await;
        assert_eq!(data["syncJobs"][0]["id"], "KAN");
        world.store.set_job_health(PROJECT, &clockwork_store::JobHealth {
            cron: "0 * * * *".into(), status: clockwork_store::JobStatus::Error, backoff_rung: 2,
            backoff_reason: None, consecutive_failures: 3, last_error_code: Some("AUTH_EXPIRED".into()),
            slow_runs: 0, next_run_ms: None,
        }).await.unwrap();
        let data = world.admin("{ syncJobs { status backoffRung lastErrorCode lastErrorAdvice } }", json!({})).await;
        let job = &data["syncJobs"][0];
        assert_eq!((job["status"].clone(), job["backoffRung"].clone()), (json!("ERROR"), json!(2)));
        assert!(job["lastErrorAdvice"].as_str().unwrap().len() > 20, "{job}");
    }

    async fn a_bad_cron_or_an_untracked_project_is_refused_with_its_code(world) {
        seed::project(&world.store, 1, 0).await;
        let answer = world.ask(&world.admin_token, "mutation { rescheduleProjectSync(projectId: \"KAN\", cron: \"0 25 * * *\") { status } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_CRON"], "{answer}");
        assert_eq!(answer["errors"][0]["extensions"]["field"], "hour");
        assert!(answer["errors"][0]["message"].as_str().unwrap().contains("hour"), "{answer}");
        let answer = world.ask(&world.admin_token, "mutation { pauseProjectSync(projectId: \"NOPE\") { status } }", json!({})).await;
        assert_eq!(codes(&answer), ["NOT_TRACKED"], "{answer}");
        let answer = world.ask(&world.admin_token, "mutation { pauseProjectSync(projectId: \"not a key!\") { status } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"], "{answer}");
        let answer = world.ask(&world.admin_token, "mutation { triggerProjectSync(projectId: \"KAN\", accountIds: [\"acc-1\"]) { outcome } }", json!({})).await;
        assert_eq!(codes(&answer), ["NOT_WATCHED"], "{answer}");
    }

    async fn sync_states_and_logs_are_read_newest_first_and_by_level(world) {
        seed::project(&world.store, 1, 0).await;
        let store = &world.store;
        store.set_sync_status(PROJECT, SyncEntity::Issues, SyncStatus::Failed, Some("boom")).await.unwrap();
        store.append_log(PROJECT, LogLevel::Info, "started", None).await.unwrap();
        store.append_log(PROJECT, LogLevel::Error, "failed", Some(&json!({ "code": "RATE_LIMIT" }))).await.unwrap();
        store.append_log(PROJECT, LogLevel::Info, "finished", None).await.unwrap();
        let data = world.admin("{ syncStates(projectId: \"KAN\") { entity lastSyncTime status lastError } \
             all: syncLogs(projectId: \"KAN\", limit: 2) { message level } \
             errors: syncLogs(projectId: \"KAN\", limit: 10, level: ERROR) { message details createdAt } }", json!({})).await;
        assert_eq!(data["syncStates"], json!([{ "entity": "issues", "lastSyncTime": "1970-01-01T00:00:00.000Z", "status": "FAILED", "lastError": "boom" }]));
        assert_eq!(data["all"], json!([{ "message": "finished", "level": "INFO" }, { "message": "failed", "level": "ERROR" }]));
        assert_eq!(data["errors"][0]["details"], json!({ "code": "RATE_LIMIT" }));
        assert_eq!(data["errors"].as_array().unwrap().len(), 1);
        let answer = world.ask(&world.admin_token, "{ syncLogs(projectId: \"KAN\", limit: 0) { id } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"]);
    }

    async fn track_project_looks_it_up_in_jira_and_untrack_stops_it(world) {
        world.jira.seed_project("OPS", 1, 0, 0);
        let answer = world.ask(&world.admin_token, "mutation { trackProject(projectId: \"NOPE\") { key } }", json!({})).await;
        assert_eq!(codes(&answer), ["NOT_FOUND"], "{answer}");
        let data = world.admin("{ jiraProjectOptions { id key name tracked } }", json!({})).await;
        let ops = data["jiraProjectOptions"].as_array().unwrap().iter().find(|p| p["key"] == "OPS").cloned().unwrap();
        assert_eq!(ops["tracked"], false);
        let id = ops["id"].as_str().unwrap().to_owned();
        let data = world.admin("mutation($id: ID!) { trackProject(projectId: $id) { key id syncJob { status } } }", json!({ "id": id })).await;
        assert_eq!(data["trackProject"]["key"], "OPS");
        assert_eq!(data["trackProject"]["syncJob"]["status"], "ACTIVE");
        let data = world.admin("{ jiraProjectOptions { key tracked } }", json!({})).await;
        assert!(data["jiraProjectOptions"].as_array().unwrap().iter().any(|p| p["key"] == "OPS" && p["tracked"] == true));
        let data = world.admin("mutation { untrackProject(projectId: \"OPS\") }", json!({})).await;
        assert_eq!(data["untrackProject"], true);
        assert!(world.store.tracked_projects().await.unwrap().is_empty());
        let answer = world.ask(&world.admin_token, "mutation { untrackProject(projectId: \"OPS\") }", json!({})).await;
        assert_eq!(codes(&answer), ["NOT_TRACKED"], "{answer}");
    }

    async fn jira_failures_in_option_queries_carry_jiras_code(world) {
        let wrong = World { client: std::sync::Arc::new(data_client(&world.jira, "wrong")), ..world };
        let deps = clockwork_graphql::Deps { store: wrong.store.clone(), controls: wrong.controls.clone(), jira: wrong.client.clone() };
        let auth = clockwork_api::auth::Auth::new(&clockwork_core::config::AuthConfig::Disabled);
        let world = World { service: clockwork_graphql::GraphqlService::new(deps, auth), ..wrong };
        let answer = world.ask("", "{ jiraProjectOptions { key } }", json!({})).await;
        assert_eq!(codes(&answer), ["AUTH_EXPIRED"], "{answer}");
        assert!(answer["errors"][0]["extensions"]["advice"].is_string(), "{answer}");
    }

    async fn set_tracked_users_diffs_the_watchlist_and_backfills_the_added(world) {
        let seeded = world.jira.seed_project(PROJECT, 1, 0, 0);
        seed::project(&world.store, 1, 0).await;
        let [a, b, c] = [0, 1, 2].map(|n| seeded.account_ids[n].clone());
        world.store.add_tracked_user(PROJECT, &a).await.unwrap();
        let query = "mutation($ids: [String!]!) { setTrackedUsers(projectId: \"KAN\", accountIds: $ids) { \
             trackedAccountIds added removed backfill { outcome } } }";
        let data = world.admin(query, json!({ "ids": [b, c, b] })).await;
        let mut expected = vec![b.clone(), c.clone()];
        expected.sort();
        assert_eq!(data["setTrackedUsers"]["trackedAccountIds"], json!(expected));
        assert_eq!(data["setTrackedUsers"]["removed"], json!([a]));
        assert_eq!(data["setTrackedUsers"]["backfill"]["outcome"], "QUEUED");
        let request = world.store.sync_job(PROJECT).await.unwrap().unwrap().request.unwrap();
        let mut accounts = request.accounts.clone();
        accounts.sort();
        assert_eq!(accounts, expected, "the added accounts are backfilled");
        let data = world.admin(query, json!({ "ids": [b, c] })).await;
        assert_eq!(data["setTrackedUsers"]["backfill"], Value::Null, "nothing added, nothing to backfill");
        let answer = world.ask(&world.admin_token, query, json!({ "ids": ["712020:nobody"] })).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"], "{answer}");

        let data = world.admin("{ jiraProjectUserOptions(projectId: \"KAN\") { tracked user { accountId displayName teamMember { id } } } }", json!({})).await;
        let options = data["jiraProjectUserOptions"].as_array().unwrap();
        let tracked: Vec<&str> = options.iter().filter(|o| o["tracked"] == true)
            .map(|o| o["user"]["accountId"].as_str().unwrap()).collect();
        assert_eq!(tracked.len(), 2, "{options:?}");
        assert!(tracked.contains(&b.as_str()) && tracked.contains(&c.as_str()));
    }

    async fn team_members_are_added_matched_by_hand_and_matched_automatically(world) {
        seed::project(&world.store, 1, 0).await;
        world.jira.add_user(FakeUser::new("acc-9", "Nine"));
        let data = world.admin("mutation { a: addTeamMember(displayName: \"Person 1\") { id jiraAccountId } \
             b: addTeamMember(displayName: \"Someone\", email: \"PERSON2@acme.example\") { id email } \
             c: addTeamMember(displayName: \"Lonely\") { id } }", json!({})).await;
        assert_eq!(data["a"], json!({ "id": "Person 1", "jiraAccountId": null }));
        let answer = world.ask(&world.admin_token, "mutation { addTeamMember(displayName: \" \") { id } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"]);
        let answer = world.ask(&world.admin_token, "mutation { addTeamMember(displayName: \"X\", email: \"nope\") { id } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"]);
        let data = world.admin("mutation { matchUsers { matched { member { id jiraAccountId } user { accountId } matchedBy } \
             unmatchedMembers { id } unmatchedUsers { accountId } } }", json!({})).await;
        let report = &data["matchUsers"];
        let matched: Vec<(String, String)> = report["matched"].as_array().unwrap().iter()
            .map(|m| (m["user"]["accountId"].as_str().unwrap().to_owned(), m["matchedBy"].as_str().unwrap().to_owned())).collect();
        assert_eq!(matched, [("acc-1".to_owned(), "displayName".to_owned()), ("acc-2".to_owned(), "email".to_owned())]);
        assert_eq!(report["unmatchedMembers"], json!([{ "id": "Lonely" }]));
        assert_eq!(report["unmatchedUsers"], json!([{ "accountId": "acc-3" }, { "accountId": "acc-4" }]));
        let data = world.admin("mutation { matchTeamMember(memberId: \"Lonely\", accountId: \"acc-3\") { jiraAccountId } }", json!({})).await;
        assert_eq!(data["matchTeamMember"]["jiraAccountId"], "acc-3");
        let answer = world.ask(&world.admin_token, "mutation { matchTeamMember(memberId: \"ghost\", accountId: \"acc-4\") { id } }", json!({})).await;
        assert_eq!(codes(&answer), ["NOT_FOUND"], "{answer}");
        let answer = world.ask(&world.admin_token, "mutation { matchTeamMember(memberId: \"Lonely\", accountId: \"acc-9\") { id } }", json!({})).await;
        assert_eq!(codes(&answer), ["INVALID_INPUT"], "an account not stored yet: {answer}");
    }
}
