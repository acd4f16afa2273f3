//! The fake Jira's rules, checked over HTTP with a plain client.

use chrono::{DateTime, Duration, TimeZone, Utc};
use clockwork_testkit::http_client;
use clockwork_testkit::jira::API_USER_ACCOUNT_ID;
use clockwork_testkit::jira::FakeComment;
use clockwork_testkit::{FakeIssue, FakeJira, FakeProject, FakeUser};
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

async fn search(jira: &FakeJira, body: Value) -> (StatusCode, Value) {
    let response = http_client()
        .post(format!("{}/rest/api/3/search/jql", jira.base_url()))
        .basic_auth(EMAIL, Some(TOKEN))
        .json(&body)
        .send()
        .await
        .expect("search request");
    let status = response.status();
    (status, response.json().await.expect("JSON body"))
}

fn keys(page: &Value) -> Vec<String> {
    page["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| i["key"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).expect("test timestamp").with_timezone(&Utc)
}

#[tokio::test]
async fn wrong_basic_auth_is_401() {
    let jira = jira().await;
    let url = format!("{}/rest/api/3/myself", jira.base_url());
    let wrong = http_client().get(&url).basic_auth(EMAIL, Some("nope")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert!(body["errorMessages"][0].is_string(), "{body}");
    assert_eq!(body["errors"], json!({}));
    let missing = http_client().get(&url).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(get(&jira, "/rest/api/3/myself").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn status_needs_no_auth_and_reports_running() {
    let jira = jira().await;
    let body: Value = http_client()
        .get(format!("{}/status", jira.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({ "state": "RUNNING" }));
}

#[tokio::test]
async fn myself_is_the_credentials_user_with_links_and_avatars() {
    let jira = jira().await;
    let (status, me) = get_json(&jira, "/rest/api/3/myself").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["accountId"], API_USER_ACCOUNT_ID);
    assert_eq!(me["emailAddress"], EMAIL);
    assert_eq!(me["accountType"], "atlassian");
    assert_eq!(me["timeZone"], "UTC");
    assert!(me["self"].as_str().unwrap().starts_with(&jira.base_url()));
    for size in ["16x16", "24x24", "32x32", "48x48"] {
        assert!(me["avatarUrls"][size].is_string(), "missing avatar {size}");
    }
}

#[tokio::test]
async fn hidden_emails_are_omitted() {
    let jira = jira().await;
    jira.add_user(FakeUser::new("hidden-1", "Hidden Person"));
    jira.add_user(FakeUser::new("shown-1", "Shown Person").with_email("shown@acme.example"));
    let (_, hidden) = get_json(&jira, "/rest/api/3/user?accountId=hidden-1").await;
    assert_eq!(hidden["displayName"], "Hidden Person");
    assert!(hidden.get("emailAddress").is_none(), "{hidden}");
    let (_, shown) = get_json(&jira, "/rest/api/3/user?accountId=shown-1").await;
    assert_eq!(shown["emailAddress"], "shown@acme.example");
}

#[tokio::test]
async fn unknown_user_is_404_and_missing_account_id_is_400() {
    let jira = jira().await;
    let (status, body) = get_json(&jira, "/rest/api/3/user?accountId=ghost").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["errorMessages"][0].is_string());
    assert_eq!(get(&jira, "/rest/api/3/user").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get(&jira, "/rest/api/3/user/bulk").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bulk_users_default_to_ten_results_without_max_results() {
    let jira = jira().await;
    let ids: Vec<String> = (0..15).map(|n| format!("user-{n:02}")).collect();
    for id in &ids {
        jira.add_user(FakeUser::new(id, id));
    }
    let query: String = ids.iter().map(|id| format!("accountId={id}&")).collect();
    let (_, page) = get_json(&jira, &format!("/rest/api/3/user/bulk?{query}")).await;
    assert_eq!(page["values"].as_array().unwrap().len(), 10);
    assert_eq!(page["maxResults"], 10);
    assert_eq!(page["total"], 15);
    assert_eq!(page["isLast"], false);
    let next = page["nextPage"].as_str().expect("nextPage link").to_owned();
    let rest: Value = http_client()
        .get(next)
        .basic_auth(EMAIL, Some(TOKEN))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["values"].as_array().unwrap().len(), 5);
    assert_eq!(rest["isLast"], true);

    let (_, all) = get_json(&jira, &format!("/rest/api/3/user/bulk?{query}maxResults=15")).await;
    assert_eq!(all["values"].as_array().unwrap().len(), 15);
    assert_eq!(all["isLast"], true);
    assert!(all.get("nextPage").is_none());
}

#[tokio::test]
async fn bulk_users_leave_out_unknown_ids() {
    let jira = jira().await;
    jira.add_user(FakeUser::new("a", "A"));
    jira.add_user(FakeUser::new("b", "B"));
    let (_, page) = get_json(
        &jira,
        "/rest/api/3/user/bulk?accountId=b&accountId=ghost&accountId=a&maxResults=50",
    )
    .await;
    let ids: Vec<&str> = page["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b", "a"]);
}

#[tokio::test]
async fn issue_is_found_by_key_in_any_case_or_by_id() {
    let jira = jira().await;
    jira.add_user(FakeUser::new("dev-1", "Dev One"));
    jira.add_project(FakeProject::new("10100", "KAN", "Kanban"));
    jira.add_issue(FakeIssue {
        status: "In Progress".into(),
        assignee: Some("dev-1".into()),
        ..FakeIssue::new("10009", "KAN-9", "Fix the timer")
    });
    for path in ["KAN-9", "kan-9", "10009"] {
        let (status, issue) = get_json(&jira, &format!("/rest/api/3/issue/{path}")).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(issue["key"], "KAN-9");
        assert_eq!(issue["id"], "10009");
    }
    let (_, issue) = get_json(&jira, "/rest/api/3/issue/KAN-9").await;
    let fields = &issue["fields"];
    assert_eq!(fields["summary"], "Fix the timer");
    assert_eq!(fields["status"]["name"], "In Progress");
    assert_eq!(fields["status"]["statusCategory"]["key"], "indeterminate");
    assert_eq!(fields["project"]["name"], "Kanban");
    assert_eq!(fields["project"]["id"], "10100");
    assert_eq!(fields["assignee"]["displayName"], "Dev One");
    assert_eq!(fields["priority"]["name"], "Medium");
    assert_eq!(fields["issuetype"]["name"], "Task");
    assert!(fields["updated"].as_str().unwrap().ends_with("+0000"));

    let (status, missing) = get_json(&jira, "/rest/api/3/issue/KAN-99").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing,
        json!({
            "errorMessages": ["Issue does not exist or you do not have permission to see it."],
            "errors": {}
        })
    );
}

#[tokio::test]
async fn issue_fields_parameter_limits_fields() {
    let jira = jira().await;
    jira.add_issue(FakeIssue { priority: None, ..FakeIssue::new("1", "OPS-1", "Rotate token") });
    let (_, issue) = get_json(&jira, "/rest/api/3/issue/OPS-1?fields=summary,priority").await;
    let fields = issue["fields"].as_object().unwrap();
    let mut names: Vec<&String> = fields.keys().collect();
    names.sort();
    assert_eq!(names, ["priority", "summary"]);
    assert_eq!(fields["priority"], Value::Null);
    let (_, all) = get_json(&jira, "/rest/api/3/issue/OPS-1?fields=*all,-summary").await;
    assert!(all["fields"].get("summary").is_none());
    assert!(all["fields"].get("status").is_some());
}

#[tokio::test]
async fn jql_search_pages_until_is_last() {
    let jira = jira().await;
    for n in 1..=25 {
        jira.add_issue(FakeIssue::new(&(10_000 + n).to_string(), &format!("KAN-{n}"), "Work"));
    }
    jira.add_issue(FakeIssue::new("20000", "OPS-1", "Other project"));
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = "/rest/api/3/search/jql?jql=project%20%3D%20KAN%20ORDER%20BY%20key\
                       &maxResults=10&fields=summary"
            .to_owned();
        if let Some(token) = &token {
            url.push_str(&format!("&nextPageToken={token}"));
        }
        let (status, page) = get_json(&jira, &url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        seen.extend(keys(&page));
        if page["isLast"] == true {
            assert!(page.get("nextPageToken").is_none());
            break;
        }
        token = Some(page["nextPageToken"].as_str().expect("token on a non-last page").to_owned());
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (1..=25).map(|n| format!("KAN-{n}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn jql_search_returns_only_ids_unless_fields_are_named() {
    let jira = jira().await;
    jira.add_issue(FakeIssue::new("7", "KAN-7", "Seven"));
    let (_, page) = search(&jira, json!({ "jql": "key = KAN-7" })).await;
    assert_eq!(page["issues"], json!([{ "id": "7" }]));
    let (_, page) = search(&jira, json!({ "jql": "key = KAN-7", "fields": ["key"] })).await;
    assert_eq!(page["issues"], json!([{ "id": "7", "key": "KAN-7" }]));
    let (_, page) =
        search(&jira, json!({ "jql": "key = KAN-7", "fields": ["summary", "status"] })).await;
    assert_eq!(page["issues"][0]["fields"]["summary"], "Seven");
    assert_eq!(page["issues"][0]["fields"].as_object().unwrap().len(), 2);
    let (_, page) = search(&jira, json!({ "jql": "key = KAN-7", "fields": ["-summary"] })).await;
    assert!(page["issues"][0]["fields"].get("summary").is_none());
    assert_eq!(page["issues"][0]["fields"]["status"]["name"], "To Do");
}

#[tokio::test]
async fn jql_understands_ids_keys_projects_and_boolean_operators() {
    let jira = jira().await;
    jira.add_project(FakeProject::new("300", "MOB", "Mobile App"));
    for (id, key) in
        [("1", "KAN-1"), ("2", "KAN-2"), ("3", "OPS-1"), ("4", "MOB-1"), ("5", "MOB-2")]
    {
        jira.add_issue(FakeIssue::new(id, key, "x"));
    }
    let cases = [
        ("id in (1, 3)", vec!["KAN-1", "OPS-1"]),
        ("issuekey in (kan-2, \"MOB-2\", NOPE-1)", vec!["KAN-2", "MOB-2"]),
        ("project in (OPS, 300)", vec!["OPS-1", "MOB-1", "MOB-2"]),
        ("project = \"Mobile App\" AND key = MOB-2", vec!["MOB-2"]),
        ("key in (KAN-1) or id in (5) ORDER BY key DESC", vec!["MOB-2", "KAN-1"]),
        ("(project = KAN OR project = OPS) and id in (2, 3, 4)", vec!["KAN-2", "OPS-1"]),
    ];
    for (jql, expected) in cases {
        let (status, page) = search(&jira, json!({ "jql": jql, "fields": ["key"] })).await;
        assert_eq!(status, StatusCode::OK, "{jql}: {page}");
        assert_eq!(keys(&page), expected, "{jql}");
    }
}

#[tokio::test]
async fn zone_less_jql_dates_are_read_in_the_searchers_timezone() {
    let jira = jira().await;
    jira.update_user(API_USER_ACCOUNT_ID, |me| me.time_zone = "America/Los_Angeles".into());
    // 23:30 on Feb 9 and 00:30 on Feb 10 in Los Angeles (UTC-8).
    jira.add_issue(FakeIssue {
        updated: at("2026-02-10T07:30:00Z"),
        ..FakeIssue::new("1", "KAN-1", "before")
    });
    jira.add_issue(FakeIssue {
        updated: at("2026-02-10T08:30:00Z"),
        ..FakeIssue::new("2", "KAN-2", "after")
    });
    let (_, page) = search(
        &jira,
        json!({ "jql": "project = KAN AND updated >= \"2026-02-10 00:00\"", "fields": ["key"] }),
    )
    .await;
    assert_eq!(keys(&page), ["KAN-2"]);
    let midnight_utc = Utc.with_ymd_and_hms(2026, 2, 10, 0, 0, 0).unwrap().timestamp_millis();
    let (_, page) = search(
        &jira,
        json!({ "jql": format!("project = KAN AND updated >= {midnight_utc}"), "fields": ["key"] }),
    )
    .await;
    assert_eq!(keys(&page), ["KAN-1", "KAN-2"]);
}

#[tokio::test]
async fn search_orders_by_updated() {
    let jira = jira().await;
    let now = Utc::now();
    for (n, hours_ago) in [(1, 5), (2, 1), (3, 3)] {
        jira.add_issue(FakeIssue {
            updated: now - Duration::hours(hours_ago),
            ..FakeIssue::new(&n.to_string(), &format!("KAN-{n}"), "x")
        });
    }
    let (_, asc) =
        search(&jira, json!({ "jql": "project = KAN ORDER BY updated ASC", "fields": ["key"] }))
            .await;
    assert_eq!(keys(&asc), ["KAN-1", "KAN-3", "KAN-2"]);
    let (_, desc) = search(
        &jira,
        json!({ "jql": "project = KAN order by updated desc, key", "fields": ["key"] }),
    )
    .await;
    assert_eq!(keys(&desc), ["KAN-2", "KAN-3", "KAN-1"]);
}

#[tokio::test]
async fn text_searches_match_word_prefixes_and_status_categories_follow_status_names() {
    let jira = jira().await;
    jira.add_issue(FakeIssue {
        status: "In Review".into(),
        ..FakeIssue::new("1", "KAN-1", "Fix login page")
    });
    jira.add_issue(FakeIssue {
        status: "Done".into(),
        ..FakeIssue::new("2", "KAN-2", "Logout button")
    });
    jira.add_issue(FakeIssue::new("3", "KAN-3", "Other"));
    jira.add_comment("KAN-3", FakeComment::new(API_USER_ACCOUNT_ID, "the login flow again"));
    for (jql, expected) in [
        (r#"summary ~ "LOG""#, vec!["KAN-1", "KAN-2"]),
        (r#"summary ~ "fix login""#, vec!["KAN-1"]),
        (r#"summary ~ "login fix or""#, vec![]),
        (r#"text ~ "login""#, vec!["KAN-1", "KAN-3"]),
        (r#"statusCategory = "In Progress""#, vec!["KAN-1"]),
        ("statusCategory in (done, new)", vec!["KAN-2", "KAN-3"]),
        (r#"status = "in review""#, vec!["KAN-1"]),
    ] {
        let (status, page) =
            search(&jira, json!({ "jql": format!("{jql} ORDER BY key"), "fields": ["key"] })).await;
        assert_eq!(status, StatusCode::OK, "{jql}: {page}");
        assert_eq!(keys(&page), expected, "{jql}");
    }
}

#[tokio::test]
async fn user_search_finds_name_and_visible_email_prefixes_and_hides_hidden_emails() {
    let jira = jira().await;
    jira.add_user(FakeUser::new("acc-ann", "Ann Example").with_email("ann@acme.example"));
    jira.add_user(FakeUser::new("acc-bob", "Bob Hidden").with_hidden_email("bob@acme.example"));
    let ids = |users: &Value| -> Vec<String> {
        users
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["accountId"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, users) = get_json(&jira, "/rest/api/3/user/search?query=exam").await;
    assert_eq!(status, StatusCode::OK, "{users}");
    assert_eq!(ids(&users), ["acc-ann"]);
    let (_, users) = get_json(&jira, "/rest/api/3/user/search?query=ANN%40acme").await;
    assert_eq!(ids(&users), ["acc-ann"]);
    assert_eq!(users[0]["emailAddress"], "ann@acme.example");
    let (_, users) = get_json(&jira, "/rest/api/3/user/search?query=bob%40acme").await;
    assert_eq!(ids(&users), Vec::<String>::new(), "a hidden email is no prefix match");
    let (_, users) = get_json(&jira, "/rest/api/3/user/search?query=bob%40acme.example").await;
    assert_eq!(ids(&users), ["acc-bob"], "found by the exact hidden address");
    assert!(users[0].get("emailAddress").is_none(), "{users}");
    let (status, _) = get_json(&jira, "/rest/api/3/user/search").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unparseable_and_unbounded_jql_are_400() {
    let jira = jira().await;
    for jql in [
        "",
        "order by key desc",
        "project = ",
        "description ~ timer",
        "summary = timer",
        "summary ~ \"()\"",
        "project = KAN AND",
        "key in (KAN-1",
        "updated >= \"yesterday\"",
    ] {
        let (status, body) = search(&jira, json!({ "jql": jql })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{jql:?}");
        assert!(
            body["errorMessages"][0].as_str().is_some_and(|m| !m.is_empty()),
            "{jql:?}: {body}"
        );
    }
}

#[tokio::test]
async fn search_page_size_is_capped_by_the_fields_asked_for() {
    let jira = jira().await;
    for n in 1..=150 {
        jira.add_issue(FakeIssue::new(&n.to_string(), &format!("KAN-{n}"), "x"));
    }
    let (_, full) =
        search(&jira, json!({ "jql": "project = KAN", "maxResults": 500, "fields": ["summary"] }))
            .await;
    assert_eq!(full["issues"].as_array().unwrap().len(), 100);
    let (_, ids) =
        search(&jira, json!({ "jql": "project = KAN", "maxResults": 500, "fields": ["id"] })).await;
    assert_eq!(ids["issues"].as_array().unwrap().len(), 150);
    let (_, default) = search(&jira, json!({ "jql": "project = KAN" })).await;
    assert_eq!(default["issues"].as_array().unwrap().len(), 50);
}

#[tokio::test]
async fn removed_search_api_is_410_pointing_to_search_jql() {
    let jira = jira().await;
    let (status, body) = get_json(&jira, "/rest/api/3/search?jql=project%3DKAN").await;
    assert_eq!(status, StatusCode::GONE);
    let message = body["errorMessages"][0].as_str().unwrap();
    assert!(
        message.contains("/rest/api/3/search/jql") && message.contains("CHANGE-2046"),
        "{message}"
    );
}

#[tokio::test]
async fn edits_bump_updated_and_removed_issues_disappear() {
    let jira = jira().await;
    let old = at("2025-01-01T00:00:00Z");
    jira.add_issue(FakeIssue { updated: old, ..FakeIssue::new("1", "KAN-1", "Old summary") });
    jira.add_issue(FakeIssue::new("2", "KAN-2", "Doomed"));
    assert!(jira.update_issue("KAN-1", |issue| issue.summary = "New summary".into()));
    let (_, issue) = get_json(&jira, "/rest/api/3/issue/KAN-1").await;
    assert_eq!(issue["fields"]["summary"], "New summary");
    assert_ne!(issue["fields"]["updated"], "2025-01-01T00:00:00.000+0000");
    assert!(jira.remove_issue("kan-2"));
    assert_eq!(jira.issue_count(), 1);
    let (_, page) =
        search(&jira, json!({ "jql": "key in (KAN-1, KAN-2)", "fields": ["key"] })).await;
    assert_eq!(keys(&page), ["KAN-1"]);
}
