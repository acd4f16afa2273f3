//! The demo world is populated and usable with its published credentials.

use chrono::{Duration, Utc};
use clockwork_testkit::demo::{
    DEMO_ACCOUNT_ID, DEMO_CLOCKWORK_TOKEN, DEMO_JIRA_EMAIL, DEMO_JIRA_TOKEN,
};
use clockwork_testkit::http_client;
use clockwork_testkit::start_demo;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// reqwest brings no crypto provider of its own; the process's is installed first.
#[tokio::test]
async fn demo_seeds_people_issues_timers_and_a_week_of_worklogs() {
    let demo = start_demo(None, None).await.expect("demo starts");
    let client = http_client();

    let search: Value = client
        .post(format!("{}/rest/api/3/search/jql", demo.jira.base_url()))
        .basic_auth(DEMO_JIRA_EMAIL, Some(DEMO_JIRA_TOKEN))
        .json(&json!({
            "jql": "project in (KAN, OPS, MOB)",
            "maxResults": 100,
            "fields": ["summary", "assignee"]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issues = search["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 15);

    let running = demo.clockwork.running_timers();
    assert!(running.len() >= 4);
    assert_eq!(running.iter().filter(|t| t.running_for == DEMO_ACCOUNT_ID).count(), 2);

    let people: Vec<String> =
        running.iter().map(|t| format!("accountId={}", t.running_for)).collect();
    let users: Value = client
        .get(format!(
            "{}/rest/api/3/user/bulk?{}&maxResults=50",
            demo.jira.base_url(),
            people.join("&")
        ))
        .basic_auth(DEMO_JIRA_EMAIL, Some(DEMO_JIRA_TOKEN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let values = users["values"].as_array().unwrap();
    assert!(values.iter().any(|u| u.get("emailAddress").is_none()), "someone hides their email");

    let today = Utc::now().date_naive();
    let week_ago = today - Duration::days(7);
    let worklogs: Value = client
        .get(format!(
            "{}/worklogs?account_id={DEMO_ACCOUNT_ID}&starting_at={week_ago}&ending_at={today}&expand=issues",
            demo.clockwork.base_url()
        ))
        .header("Authorization", format!("Token {DEMO_CLOCKWORK_TOKEN}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(worklogs.as_array().unwrap().len() >= 5, "{worklogs}");

    let mine = running.iter().find(|t| t.running_for == DEMO_ACCOUNT_ID).unwrap();
    let stop = client
        .post(format!("{}/stop_timer", demo.clockwork.base_url()))
        .header("Authorization", format!("Token {DEMO_CLOCKWORK_TOKEN}"))
        .json(&json!({ "issue_key": mine.issue_key }))
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status(), StatusCode::OK);
}
