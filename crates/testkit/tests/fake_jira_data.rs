//! The fake Jira's data-sync endpoints and site conditions, checked over HTTP with a plain
//! client against the shapes of Atlassian's OpenAPI documents.

use clockwork_testkit::http_client;
use std::time::Duration;

use chrono::{DateTime, Utc};
use clockwork_testkit::jira::{
    API_USER_ACCOUNT_ID, FakeBoard, FakeComment, FakeIssue, FakeJira, FakeJiraWorklog, FakeSprint,
    FakeUser, SPRINT_FIELD, STORY_POINTS_FIELD,
};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

const EMAIL: &str = "bot@acme.example";
const TOKEN: &str = "secret-token";

/// reqwest brings no crypto provider of its own; the process's is installed first.
async fn jira() -> FakeJira {
    FakeJira::start(EMAIL, TOKEN).await
}

async fn get(jira: &FakeJira, path_and_query: &str) -> Response {
    http_client()
        .get(format!("{}{path_and_query}", jira.base_url()))
        .basic_auth(EMAIL, Some(TOKEN))
        .send()
        .await
        .expect("request to fake Jira")
}

async fn get_json(jira: &FakeJira, path_and_query: &str) -> (StatusCode, Value) {
    let response = get(jira, path_and_query).await;
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

async fn post_json(jira: &FakeJira, path: &str, body: Value) -> (StatusCode, Value) {
    let response = http_client()
        .post(format!("{}{path}", jira.base_url()))
        .basic_auth(EMAIL, Some(TOKEN))
        .json(&body)
        .send()
        .await
        .expect("request to fake Jira");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

async fn search(jira: &FakeJira, body: Value) -> Value {
    let (status, page) = post_json(jira, "/rest/api/3/search/jql", body).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

fn keys(page: &Value) -> Vec<&str> {
    page["issues"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect()
}

fn ids(values: &Value) -> Vec<u64> {
    values.as_array().unwrap().iter().map(|v| v["worklogId"].as_u64().unwrap()).collect()
}

fn ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(minutes)
}

#[tokio::test]
async fn search_embeds_twenty_comments_and_worklogs_with_the_real_total() {
    let jira = jira().await;
    jira.add_user(FakeUser::new("acc-ann", "Ann"));
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "Busy"));
    for n in 0..23 {
        jira.add_comment("KAN-1", FakeComment::new("acc-ann", &format!("first {n}\nsecond")));
        jira.add_worklog("KAN-1", FakeJiraWorklog::new("acc-ann", ago(90), 12_000));
    }
    let page =
        search(&jira, json!({ "jql": "key = KAN-1", "fields": ["comment", "worklog"] })).await;
    let fields = &page["issues"][0]["fields"];
    let comment = &fields["comment"];
    assert_eq!((comment["total"].as_u64(), comment["startAt"].as_u64()), (Some(23), Some(0)));
    assert_eq!(comment["comments"].as_array().unwrap().len(), 20);
    let first = &comment["comments"][0];
    assert_eq!(first["author"]["displayName"], "Ann");
    assert_eq!(first["body"]["type"], "doc");
    assert_eq!(first["body"]["content"].as_array().unwrap().len(), 2, "a paragraph per line");
    assert_eq!(first["body"]["content"][0]["content"][0]["text"], "first 0");
    let worklog = &fields["worklog"];
    assert_eq!(worklog["total"], 23);
    assert_eq!(worklog["worklogs"].as_array().unwrap().len(), 20);
    assert_eq!(worklog["worklogs"][0]["timeSpent"], "3h 20m");
    assert_eq!(worklog["worklogs"][0]["issueId"], "10001");
}

#[tokio::test]
async fn issue_fields_include_people_dates_sprints_and_story_points_in_the_searchers_zone() {
    let jira = jira().await;
    jira.update_user(API_USER_ACCOUNT_ID, |me| me.time_zone = "Asia/Ho_Chi_Minh".into());
    jira.add_board(FakeBoard::scrum(5, "KAN board", "KAN"));
    jira.add_sprint(FakeSprint::new(37, 5, "Sprint 1", "active"));
    let updated = DateTime::parse_from_rfc3339("2026-02-10T02:00:00Z").unwrap().to_utc();
    jira.add_issue(FakeIssue {
        reporter: Some("acc-gone".into()),
        updated,
        resolution_date: Some(updated),
        sprints: vec![37],
        story_points: Some(3.5),
        ..FakeIssue::new("10001", "KAN-1", "x")
    });
    let fields = json!(["reporter", "updated", "resolutiondate", SPRINT_FIELD, STORY_POINTS_FIELD]);
    let page = search(&jira, json!({ "jql": "project = KAN", "fields": fields })).await;
    let fields = &page["issues"][0]["fields"];
    assert_eq!(fields["updated"], "2026-02-10T09:00:00.000+0700");
    assert_eq!(fields["resolutiondate"], "2026-02-10T09:00:00.000+0700");
    assert_eq!(fields["reporter"]["displayName"], "Former user");
    assert_eq!(fields[SPRINT_FIELD][0]["id"], 37);
    assert_eq!(fields[SPRINT_FIELD][0]["boardId"], 5);
    assert_eq!(fields[SPRINT_FIELD][0]["state"], "active");
    assert_eq!(fields[STORY_POINTS_FIELD], 3.5);
}

#[tokio::test]
async fn comment_and_worklog_pages_follow_start_at() {
    let jira = jira().await;
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    for n in 0..130 {
        jira.add_comment("KAN-1", FakeComment::new("acc-1", &format!("c{n}")));
    }
    let (_, page) =
        get_json(&jira, "/rest/api/3/issue/KAN-1/comment?startAt=100&maxResults=500").await;
    assert_eq!((page["startAt"].as_u64(), page["maxResults"].as_u64()), (Some(100), Some(100)));
    assert_eq!(page["total"], 130);
    assert_eq!(page["comments"].as_array().unwrap().len(), 30);
    let (_, newest) = get_json(&jira, "/rest/api/3/issue/10001/comment?orderBy=-created").await;
    assert_eq!(newest["comments"][0]["body"]["content"][0]["content"][0]["text"], "c129");
    let (status, _) = get_json(&jira, "/rest/api/3/issue/KAN-1/comment?orderBy=updated").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_json(&jira, "/rest/api/3/issue/KAN-404/comment").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    jira.add_worklog("KAN-1", FakeJiraWorklog::new("acc-1", ago(300), 60));
    jira.add_worklog("KAN-1", FakeJiraWorklog::new("acc-1", ago(30), 60));
    let after = ago(60).timestamp_millis();
    let (_, page) =
        get_json(&jira, &format!("/rest/api/3/issue/KAN-1/worklog?startedAfter={after}")).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["maxResults"], 5000);
}

#[tokio::test]
async fn worklog_feed_pages_by_1000_oldest_first_and_hides_the_last_minute() {
    let jira = jira().await;
    jira.seed_project("KAN", 240, 0, 5);
    jira.add_worklog("KAN-1", FakeJiraWorklog::new("acc-1", Utc::now(), 60));
    let (_, first) = get_json(&jira, "/rest/api/3/worklog/updated?since=0").await;
    let values = &first["values"];
    assert_eq!(values.as_array().unwrap().len(), 1000);
    assert_eq!(first["lastPage"], false);
    let times: Vec<i64> =
        values.as_array().unwrap().iter().map(|v| v["updatedTime"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "oldest first");
    assert_eq!(first["until"].as_i64(), times.last().copied());
    let next = first["nextPage"].as_str().unwrap();
    assert!(next.ends_with(&format!("/rest/api/3/worklog/updated?since={}", times[999])));
    let mut since = times[999];
    let mut seen = 1000;
    loop {
        let (_, page) =
            get_json(&jira, &format!("/rest/api/3/worklog/updated?since={since}")).await;
        // `since` is inclusive: the previous page's last change comes again.
        seen += page["values"].as_array().unwrap().len() - 1;
        since = page["until"].as_i64().unwrap();
        if page["lastPage"] == true {
            break;
        }
    }
    assert_eq!(seen, 1200, "the worklog logged just now is not listed yet");
    jira.set_worklog_feed_lag(Duration::ZERO);
    let (_, last) = get_json(&jira, &format!("/rest/api/3/worklog/updated?since={since}")).await;
    assert_eq!(last["values"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn deleted_worklogs_are_fed_and_gone_from_lists() {
    let jira = jira().await;
    jira.set_worklog_feed_lag(Duration::ZERO);
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    let id = jira.add_worklog("KAN-1", FakeJiraWorklog::new("acc-1", ago(10), 60)).unwrap();
    let before = Utc::now().timestamp_millis();
    assert!(jira.delete_worklog(&id));
    assert!(!jira.delete_worklog(&id));
    let (_, deleted) =
        get_json(&jira, &format!("/rest/api/3/worklog/deleted?since={before}")).await;
    assert_eq!(ids(&deleted["values"]), [id.parse::<u64>().unwrap()]);
    let (_, listed) = post_json(
        &jira,
        "/rest/api/3/worklog/list",
        json!({ "ids": [id.parse::<u64>().unwrap()] }),
    )
    .await;
    assert_eq!(listed, json!([]));
    let (_, page) = get_json(&jira, "/rest/api/3/issue/KAN-1/worklog").await;
    assert_eq!(page["total"], 0);
}

#[tokio::test]
async fn worklog_list_takes_at_most_1000_ids() {
    let jira = jira().await;
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    let id = jira.add_worklog("KAN-1", FakeJiraWorklog::new("acc-1", ago(10), 60)).unwrap();
    let (status, list) = post_json(
        &jira,
        "/rest/api/3/worklog/list",
        json!({ "ids": [id.parse::<u64>().unwrap(), 1] }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], id.as_str());
    let too_many: Vec<u64> = (0..1001).collect();
    let (status, body) =
        post_json(&jira, "/rest/api/3/worklog/list", json!({ "ids": too_many })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["errorMessages"][0].as_str().unwrap().contains("1000"));
}

#[tokio::test]
async fn edits_move_the_issue_and_deletions_remove_children() {
    let jira = jira().await;
    let old = ago(600);
    jira.add_issue(FakeIssue { updated: old, ..FakeIssue::new("10001", "KAN-1", "x") });
    let comment = jira.add_comment("KAN-1", FakeComment::new("acc-1", "hello")).unwrap();
    assert!(jira.update_comment(&comment, |c| c.body = "edited".into()));
    let (_, page) = get_json(&jira, "/rest/api/3/issue/KAN-1/comment").await;
    assert_eq!(page["comments"][0]["body"]["content"][0]["content"][0]["text"], "edited");
    let since = ago(1).timestamp_millis();
    let moved =
        search(&jira, json!({ "jql": format!("updated >= {since}"), "fields": ["key"] })).await;
    assert_eq!(keys(&moved), ["KAN-1"], "commenting moves the issue's updated");
    assert!(jira.delete_comment(&comment));
    let (_, page) = get_json(&jira, "/rest/api/3/issue/KAN-1/comment").await;
    assert_eq!(page["total"], 0);
    assert!(jira.remove_issue("KAN-1"));
    assert!(!jira.delete_comment(&comment));
}

#[tokio::test]
async fn a_just_updated_issue_is_missing_from_the_first_search_only() {
    let jira = jira().await;
    jira.add_issue(FakeIssue::new("1", "KAN-1", "x"));
    jira.add_issue(FakeIssue::new("2", "KAN-2", "x"));
    jira.hide_from_next_search("2");
    let other = search(&jira, json!({ "jql": "project = OPS", "fields": ["key"] })).await;
    assert!(keys(&other).is_empty());
    let first = search(&jira, json!({ "jql": "project = KAN", "fields": ["key"] })).await;
    assert_eq!(keys(&first), ["KAN-1"]);
    let second = search(&jira, json!({ "jql": "project = KAN", "fields": ["key"] })).await;
    assert_eq!(keys(&second), ["KAN-1", "KAN-2"]);
}

#[tokio::test]
async fn jql_knows_assignees_worklog_authors_and_counts() {
    let jira = jira().await;
    jira.add_issue(FakeIssue {
        assignee: Some("acc-a".into()),
        ..FakeIssue::new("1", "KAN-1", "x")
    });
    jira.add_issue(FakeIssue::new("2", "KAN-2", "x"));
    jira.add_worklog("KAN-2", FakeJiraWorklog::new("acc-w", ago(5), 60));
    let page =
        search(&jira, json!({ "jql": "assignee in (acc-a, acc-z)", "fields": ["key"] })).await;
    assert_eq!(keys(&page), ["KAN-1"]);
    let page =
        search(&jira, json!({ "jql": "worklogAuthor = \"acc-w\"", "fields": ["key"] })).await;
    assert_eq!(keys(&page), ["KAN-2"]);
    let jql = "project = KAN ORDER BY updated ASC, id ASC";
    let (_, count) =
        post_json(&jira, "/rest/api/3/search/approximate-count", json!({ "jql": jql })).await;
    assert_eq!(count, json!({ "count": 2 }));
    let (status, _) =
        post_json(&jira, "/rest/api/3/search/approximate-count", json!({ "jql": "" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn projects_page_with_next_links() {
    let jira = jira().await;
    for n in 0..120 {
        jira.add_project(clockwork_testkit::FakeProject::new(
            &n.to_string(),
            &format!("P{n:03}"),
            "x",
        ));
    }
    let (_, page) = get_json(&jira, "/rest/api/3/project/search?maxResults=500").await;
    assert_eq!(page["values"].as_array().unwrap().len(), 100);
    assert_eq!((page["total"].as_u64(), page["isLast"].as_bool()), (Some(120), Some(false)));
    assert!(page["nextPage"].as_str().unwrap().contains("startAt=100"));
    assert_eq!(page["values"][0]["key"], "P000");
}

#[tokio::test]
async fn boards_carry_their_project_and_kanban_boards_refuse_sprints() {
    let jira = jira().await;
    jira.add_board(FakeBoard::scrum(1, "Scrum", "KAN"));
    jira.add_board(FakeBoard::kanban(2, "Flow", "KAN"));
    for (id, state) in [(10, "future"), (11, "closed"), (12, "active")] {
        jira.add_sprint(FakeSprint::new(id, 1, &format!("S{id}"), state));
    }
    let (_, boards) = get_json(&jira, "/rest/agile/1.0/board?projectKeyOrId=KAN").await;
    assert_eq!(boards["total"], 2);
    let location = &boards["values"][0]["location"];
    assert_eq!(location["projectKey"], "KAN");
    assert!(location["avatarURI"].as_str().unwrap().starts_with('/'), "relative, as on real sites");
    let (status, _) = get_json(&jira, "/rest/agile/1.0/board?projectKeyOrId=NOPE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, sprints) = get_json(&jira, "/rest/agile/1.0/board/1/sprint").await;
    let states: Vec<&str> = sprints["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["closed", "active", "future"]);
    let (_, open) = get_json(&jira, "/rest/agile/1.0/board/1/sprint?state=active,future").await;
    assert_eq!(open["total"], 2);
    assert_eq!(open["values"][0]["originBoardId"], 1);
    let (status, _) = get_json(&jira, "/rest/agile/1.0/board/2/sprint").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get_json(&jira, "/rest/agile/1.0/board/99/sprint").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn assignable_search_filters_each_window_of_users() {
    let jira = jira().await;
    for n in 0..30 {
        let user = FakeUser::new(&format!("acc-{n:02}"), "Person");
        jira.add_user(if n % 3 == 0 {
            user.with_email(&format!("p{n}@acme.example"))
        } else {
            user
        });
    }
    jira.add_project(clockwork_testkit::FakeProject::new("1", "KAN", "Kanban"));
    jira.set_assignable("KAN", &["acc-01", "acc-25"]);
    let (_, first) =
        get_json(&jira, "/rest/api/3/user/assignable/search?project=KAN&maxResults=10").await;
    assert_eq!(first.as_array().unwrap().len(), 1, "a short page while more remain");
    let (_, second) =
        get_json(&jira, "/rest/api/3/user/assignable/search?project=KAN&startAt=20&maxResults=10")
            .await;
    assert_eq!(second[0]["accountId"], "acc-25");
    assert!(second[0].get("emailAddress").is_none(), "hidden email");
    let (status, _) = get_json(&jira, "/rest/api/3/user/assignable/search").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_outage_takes_status_down_and_a_suspension_shows_in_the_license() {
    let jira = jira().await;
    let (_, license) = get_json(&jira, "/rest/api/3/instance/license").await;
    assert_eq!(license["applications"][0]["plan"], "PAID");
    jira.set_site_status(503);
    assert_eq!(get(&jira, "/rest/api/3/myself").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(get(&jira, "/status").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    jira.set_site_status(200);
    jira.set_license_plan("UNLICENSED");
    assert_eq!(get(&jira, "/rest/api/3/myself").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(get(&jira, "/status").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let (status, license) = get_json(&jira, "/rest/api/3/instance/license").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(license["applications"][0]["plan"], "UNLICENSED");
}

#[tokio::test]
async fn an_expired_token_can_look_like_an_empty_200() {
    let jira = jira().await;
    jira.add_issue(FakeIssue::new("1", "KAN-1", "x"));
    jira.set_seraph_auth_failed(true);
    let response = http_client()
        .post(format!("{}/rest/api/3/search/jql", jira.base_url()))
        .basic_auth(EMAIL, Some(TOKEN))
        .json(&json!({ "jql": "project = KAN" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-seraph-loginreason"], "AUTHENTICATED_FAILED");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "issues": [], "isLast": true }));
}

#[tokio::test]
async fn rate_limit_signals_and_proxy_pages() {
    let jira = jira().await;
    jira.set_near_limit(true);
    let response = get(&jira, "/rest/api/3/myself").await;
    assert_eq!(response.headers()["x-ratelimit-nearlimit"], "true");
    jira.set_near_limit(false);
    jira.rate_limit_with_reset(1, Duration::from_secs(30));
    let response = get(&jira, "/rest/api/3/myself").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_none());
    let reset = response.headers()["x-ratelimit-reset"].to_str().unwrap().to_owned();
    assert!(DateTime::parse_from_rfc3339(&reset).unwrap() > Utc::now());
    jira.serve_proxy_page(1);
    let response = get(&jira, "/rest/api/3/myself").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().starts_with("<html>"));
    assert_eq!(get(&jira, "/rest/api/3/myself").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn requests_in_flight_are_tracked() {
    let jira = jira().await;
    jira.set_latency(Duration::from_millis(100));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = format!("{}/rest/api/3/myself", jira.base_url());
        calls.spawn(
            async move { http_client().get(url).basic_auth(EMAIL, Some(TOKEN)).send().await },
        );
    }
    while let Some(response) = calls.join_next().await {
        assert_eq!(response.unwrap().unwrap().status(), StatusCode::OK);
    }
    assert_eq!(jira.peak_in_flight(), 4);
    jira.reset_counts();
    assert_eq!(jira.peak_in_flight(), 0);
}

#[tokio::test]
async fn seeded_projects_are_searchable_by_updated_in_large_pages() {
    let jira = jira().await;
    let seeded = jira.seed_project("BIG", 20_000, 1, 1);
    assert_eq!(seeded.issue_ids.clone().count(), 20_000);
    assert_eq!(jira.issue_count(), 20_000);
    let since = ago(60 * 24 * 90).timestamp_millis();
    let jql = format!("project = BIG AND updated >= {since} ORDER BY updated ASC, id ASC");
    // One client for every page: building one costs more than the fake's answer.
    let client = http_client();
    let url = format!("{}/rest/api/3/search/jql", jira.base_url());
    let (mut token, mut seen, mut last_updated) = (None::<String>, 0, String::new());
    loop {
        let mut body = json!({ "jql": jql, "fields": ["updated"], "maxResults": 100 });
        if let Some(token) = &token {
            body["nextPageToken"] = json!(token);
        }
        let request = client.post(&url).basic_auth(EMAIL, Some(TOKEN)).json(&body);
        let page: Value = request.send().await.unwrap().json().await.unwrap();
        for issue in page["issues"].as_array().unwrap() {
            let updated = issue["fields"]["updated"].as_str().unwrap().to_owned();
            assert!(updated >= last_updated, "sorted by updated");
            last_updated = updated;
            seen += 1;
        }
        match page["nextPageToken"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, 20_000);
    assert_eq!(jira.requests("POST /rest/api/3/search/jql"), 200);
}

async fn bulkfetch(jira: &FakeJira, body: Value) -> (StatusCode, Value) {
    post_json(jira, "/rest/api/3/changelog/bulkfetch", body).await
}

#[tokio::test]
async fn edits_are_recorded_in_the_changelog_and_bulkfetch_pages_them_oldest_first() {
    let jira = jira().await;
    jira.add_issue(FakeIssue {
        created: ago(60),
        updated: ago(60),
        ..FakeIssue::new("10001", "KAN-1", "First")
    });
    jira.add_issue(FakeIssue {
        created: ago(60),
        updated: ago(60),
        ..FakeIssue::new("10002", "KAN-2", "Second")
    });
    jira.update_issue("10001", |i| {
        i.status = "In Progress".into();
        i.updated = ago(30);
    });
    jira.update_issue("KAN-2", |i| {
        i.summary = "Renamed".into();
        i.updated = ago(20);
    });
    jira.update_issue("10001", |i| {
        i.status = "Done".into();
        i.resolution_date = Some(ago(10));
        i.updated = ago(10);
    });
    jira.update_issue("10001", |i| i.updated = ago(5));

    let (status, page) =
        bulkfetch(&jira, json!({ "issueIdsOrKeys": ["KAN-1", "10002", "99999"], "maxResults": 2 }))
            .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let logs = page["issueChangeLogs"].as_array().unwrap();
    let issues: Vec<&str> = logs.iter().map(|l| l["issueId"].as_str().unwrap()).collect();
    assert_eq!(issues, ["10001", "10002"], "the oldest two histories, grouped by issue");
    let first = &logs[0]["changeHistories"][0];
    assert_eq!(first["author"]["accountId"], API_USER_ACCOUNT_ID);
    assert_eq!(first["items"][0]["fieldId"], "status");
    assert_eq!(
        (first["items"][0]["fromString"].as_str(), first["items"][0]["toString"].as_str()),
        (Some("To Do"), Some("In Progress"))
    );
    assert!(first["created"].as_str().unwrap().ends_with("+0000"), "{first}");

    let token = page["nextPageToken"].as_str().expect("a next page").to_owned();
    let (_, rest) = bulkfetch(
        &jira,
        json!({ "issueIdsOrKeys": ["KAN-1", "10002"], "maxResults": 2, "nextPageToken": token }),
    )
    .await;
    let items = &rest["issueChangeLogs"][0]["changeHistories"][0]["items"];
    let fields: Vec<&str> =
        items.as_array().unwrap().iter().map(|i| i["fieldId"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        ["status", "resolution"],
        "one entry per edit; an edit of nothing records none"
    );
    assert!(rest.get("nextPageToken").is_none(), "{rest}");

    let (_, only_status) =
        bulkfetch(&jira, json!({ "issueIdsOrKeys": ["10002"], "fieldIds": ["status"] })).await;
    assert_eq!(only_status["issueChangeLogs"], json!([]), "the rename is filtered out");
}

#[tokio::test]
async fn bulkfetch_refuses_what_its_document_does_not_allow() {
    let jira = jira().await;
    let thousand_and_one: Vec<String> = (0..1001).map(|n| n.to_string()).collect();
    for body in [
        json!({ "issueIdsOrKeys": [] }),
        json!({ "issueIdsOrKeys": thousand_and_one }),
        json!({ "issueIdsOrKeys": ["1"], "fieldIds": (0..11).map(|n| n.to_string()).collect::<Vec<_>>() }),
        json!({ "issueIdsOrKeys": ["1"], "maxResults": 10_001 }),
        json!({ "issueIdsOrKeys": ["1"], "maxResults": 0 }),
        json!({ "issueIdsOrKeys": ["1"], "nextPageToken": "made-up" }),
        json!({ "issueIdsOrKeys": ["1"], "expand": "names" }),
    ] {
        let (status, answer) = bulkfetch(&jira, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body} → {answer}");
        assert!(answer["errorMessages"][0].is_string(), "{answer}");
    }
}

#[tokio::test]
async fn seeded_issues_carry_the_moves_to_their_status() {
    let jira = jira().await;
    let seeded = jira.seed_project("KAN", 5, 0, 0);
    let ids: Vec<String> = seeded.issue_ids.map(|id| id.to_string()).collect();
    let (_, page) = bulkfetch(&jira, json!({ "issueIdsOrKeys": ids })).await;
    let moves: usize = page["issueChangeLogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|log| log["changeHistories"].as_array().unwrap().len())
        .sum();
    assert_eq!(moves, 1 + 2 + 3, "In Progress, In Review and Done; none for To Do and Backlog");
}
