//! The Jira data client against the test kit's fake Jira: paging, feeds, rate limits, and one
//! test per error code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use clockwork_clients::jira_data::{ChangeFeed, project_issues_jql};
use clockwork_clients::{
    DataOptions, ErrorCode, Governance, HttpOptions, JiraData, JiraDataClient,
};
use clockwork_core::config::JiraConfig;
use clockwork_core::{AccountId, IssueId};
use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::{
    API_USER_ACCOUNT_ID, FakeBoard, FakeComment, FakeIssue, FakeJira, FakeJiraWorklog, FakeSprint,
    FakeUser,
};
use secrecy::SecretString;

const EMAIL: &str = "bot@acme.example";
const TOKEN: &str = "token";
const SEARCH: &str = "POST /rest/api/3/search/jql";
const MYSELF: &str = "GET /rest/api/3/myself";
const COMMENTS: &str = "GET /rest/api/3/issue/{issueIdOrKey}/comment";
const WORKLOGS: &str = "GET /rest/api/3/issue/{issueIdOrKey}/worklog";
const UPDATED: &str = "GET /rest/api/3/worklog/updated";

fn options() -> DataOptions {
    DataOptions {
        http: HttpOptions {
            timeout: Duration::from_millis(800),
            base_backoff: Duration::from_millis(5),
            ..HttpOptions::default()
        },
        governance: Governance {
            near_limit_pause: Duration::from_millis(300),
            ..Governance::default()
        },
        ..DataOptions::default()
    }
}

/// The test options with these limits.
fn governed(max_concurrency: usize, max_per_second: Option<f64>) -> DataOptions {
    let options = options();
    let governance = Governance { max_concurrency, max_per_second, ..options.governance };
    DataOptions { governance, ..options }
}

fn client_with(jira: &FakeJira, token: &str, options: DataOptions) -> JiraDataClient {
    let config = JiraConfig {
        base_url: jira.base_url().parse().unwrap(),
        email: EMAIL.into(),
        api_token: SecretString::from(token.to_owned()),
    };
    JiraDataClient::new(&config, options)
}

fn client(jira: &FakeJira) -> JiraDataClient {
    client_with(jira, TOKEN, options())
}

async fn fake() -> FakeJira {
    FakeJira::start(EMAIL, TOKEN).await
}

fn issue_id(id: &str) -> IssueId {
    IssueId::parse(id).unwrap()
}

/// Every issue of a search, page by page; also the number of pages.
async fn search_all(client: &JiraDataClient, jql: &str) -> (Vec<String>, usize) {
    let fields = client.sync_fields();
    let (mut keys, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let page = client.search(jql, &fields, 100, token.as_deref()).await.unwrap();
        pages += 1;
        keys.extend(page.issues.iter().map(|issue| issue.key.clone()));
        if page.is_last {
            return (keys, pages);
        }
        token = page.next_page_token;
    }
}

#[tokio::test]
async fn search_pages_follow_next_page_token_with_named_fields() {
    let jira = fake().await;
    let seeded = jira.seed_project("KAN", 25, 1, 1);
    jira.set_search_page_cap(10);
    let client = client(&jira);
    let (keys, pages) = search_all(&client, &project_issues_jql("KAN", None)).await;
    assert_eq!(keys.len(), 25, "short pages must not end the search");
    assert_eq!(pages, 3);
    assert_eq!(jira.requests(SEARCH), 3);
    assert_eq!(client.requests(), 3);

    let page = client.search("key = KAN-1", &client.sync_fields(), 10, None).await.unwrap();
    let issue = &page.issues[0];
    assert_eq!(issue.id, seeded.issue_ids.start.to_string());
    assert_eq!(issue.project_key(), Some("KAN"));
    assert!(issue.summary.is_some() && issue.status.is_some() && issue.issue_type.is_some());
    assert_eq!(issue.status_category.as_deref(), Some("new"));
    assert!(issue.reporter.is_some() && issue.created.is_some() && issue.updated.is_some());
    assert_eq!(issue.sprints.len(), 1, "KAN-1 is in the closed sprint");
    assert_eq!(issue.sprints[0].board_id, Some(seeded.board_id));
    assert_eq!(issue.story_points, Some(1.0));
    assert!(issue.comments_complete() && issue.worklogs_complete());

    let bare = client.search("key = KAN-1", &["id"], 10, None).await.unwrap();
    assert_eq!(bare.issues[0].summary, None, "fields default to the id alone");
}

#[tokio::test]
async fn truncated_embedded_comments_are_reported_incomplete() {
    let jira = fake().await;
    jira.add_user(FakeUser::new("acc-ann", "Ann"));
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "Chatty"));
    for n in 0..25 {
        jira.add_comment("KAN-1", FakeComment::new("acc-ann", &format!("comment {n}")));
    }
    for _ in 0..3 {
        jira.add_worklog("KAN-1", FakeJiraWorklog::new("acc-ann", Utc::now(), 600));
    }
    let client = client(&jira);
    let page = client.search("key = KAN-1", &client.sync_fields(), 10, None).await.unwrap();
    let issue = &page.issues[0];
    let embedded = issue.comments.as_ref().unwrap();
    assert_eq!((embedded.comments.len(), embedded.total), (20, 25));
    assert!(!issue.comments_complete());
    assert!(issue.worklogs_complete());
    let all = client.all_issue_comments(&issue_id(&issue.id)).await.unwrap();
    let texts: Vec<String> = all.iter().map(|c| c.text()).collect();
    assert_eq!(texts.len(), 25);
    assert_eq!(texts[24], "comment 24");
}

#[tokio::test]
async fn comment_and_worklog_pages_are_read_to_the_end() {
    let jira = fake().await;
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "Busy"));
    for n in 0..250 {
        jira.add_comment("KAN-1", FakeComment::new("acc-1", &format!("line one {n}\nline two")));
    }
    for n in 0..120 {
        let mut worklog = FakeJiraWorklog::new("acc-1", Utc::now(), 60 * (n + 1));
        worklog.comment = Some(format!("work {n}"));
        jira.add_worklog("KAN-1", worklog);
    }
    let client = client(&jira);
    let comments = client.all_issue_comments(&issue_id("10001")).await.unwrap();
    assert_eq!(comments.len(), 250);
    assert_eq!(comments[249].text(), "line one 249\nline two");
    assert_eq!(jira.requests(COMMENTS), 3, "pages of 100");
    let worklogs = client.all_issue_worklogs(&issue_id("10001")).await.unwrap();
    assert_eq!(worklogs.len(), 120);
    assert_eq!(worklogs[119].time_spent_seconds, Some(7200));
    assert_eq!(worklogs[0].text(), "work 0");
    assert_eq!(jira.requests(WORKLOGS), 1);
}

/// A worklog of `KAN-1` last changed `ago` before now.
fn worklog_changed(jira: &FakeJira, ago: chrono::Duration) -> u64 {
    let at = Utc::now() - ago;
    let worklog =
        FakeJiraWorklog { created: at, updated: at, ..FakeJiraWorklog::new("acc-1", at, 60) };
    jira.add_worklog("KAN-1", worklog).unwrap().parse().unwrap()
}

#[tokio::test]
async fn worklog_changes_follow_until_not_the_clock() {
    let jira = fake().await;
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    let older = worklog_changed(&jira, chrono::Duration::minutes(10));
    // Changed 20 s ago: inside the last minute, which the feed never lists.
    let recent = worklog_changed(&jira, chrono::Duration::seconds(20));
    let client = client(&jira);
    let clock = Utc::now().timestamp_millis();
    let first = client.worklog_changes(ChangeFeed::Updated, 0).await.unwrap();
    let ids: Vec<u64> = first.values.iter().map(|v| v.worklog_id).collect();
    assert_eq!(ids, [older]);
    assert!(first.next_since < clock - 60_000, "the cursor is the feed's until");

    // A minute later the recent change is listed; a cursor taken from the clock skips it.
    jira.set_worklog_feed_lag(Duration::ZERO);
    let next = client.worklog_changes(ChangeFeed::Updated, first.next_since).await.unwrap();
    assert!(next.values.iter().any(|v| v.worklog_id == recent));
    let from_clock = client.worklog_changes(ChangeFeed::Updated, clock).await.unwrap();
    assert!(from_clock.values.is_empty());
}

#[tokio::test]
async fn a_page_of_1000_worklogs_sharing_one_timestamp_does_not_stall() {
    let jira = fake().await;
    jira.set_worklog_feed_lag(Duration::ZERO);
    let at = Utc::now() - chrono::Duration::hours(1);
    for issue in 0..15 {
        let key = format!("KAN-{}", issue + 1);
        jira.add_issue(FakeIssue::new(&(10_001 + issue).to_string(), &key, "bulk import"));
        for _ in 0..100 {
            let worklog =
                FakeJiraWorklog { created: at, updated: at, ..FakeJiraWorklog::new("a", at, 60) };
            jira.add_worklog(&key, worklog);
        }
    }
    let later: Vec<u64> =
        (0..5).map(|_| worklog_changed(&jira, chrono::Duration::minutes(5))).collect();
    let client = client(&jira);
    let changes = tokio::time::timeout(
        Duration::from_secs(10),
        // From a cursor just before the bulk import.
        client.worklog_changes(ChangeFeed::Updated, at.timestamp_millis() - 1),
    )
    .await
    .expect("reading the feed must end");
    let changes = changes.unwrap();
    assert!(later.iter().all(|id| changes.values.iter().any(|v| v.worklog_id == *id)));
    assert!(changes.values.len() >= 1005);
    assert!(jira.requests(UPDATED) <= 3, "{} pages", jira.requests(UPDATED));
}

#[tokio::test]
async fn changes_at_the_previous_until_are_not_read_twice() {
    let jira = fake().await;
    jira.set_worklog_feed_lag(Duration::ZERO);
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    let first_id = worklog_changed(&jira, chrono::Duration::minutes(10));
    let client = client(&jira);
    let first = client.worklog_changes(ChangeFeed::Updated, 0).await.unwrap();
    assert_eq!(first.values.iter().map(|v| v.worklog_id).collect::<Vec<_>>(), [first_id]);

    // The feed answers the change at `until` again; the client leaves it out.
    let again = client.worklog_changes(ChangeFeed::Updated, first.next_since).await.unwrap();
    assert!(again.values.is_empty(), "{:?}", again.values);
    assert_eq!(again.next_since, first.next_since);
    let newer = worklog_changed(&jira, chrono::Duration::minutes(5));
    let next = client.worklog_changes(ChangeFeed::Updated, first.next_since).await.unwrap();
    assert_eq!(next.values.iter().map(|v| v.worklog_id).collect::<Vec<_>>(), [newer]);
}

#[tokio::test]
async fn deleted_worklogs_are_listed_since_a_cursor() {
    let jira = fake().await;
    jira.set_worklog_feed_lag(Duration::ZERO);
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    let ids: Vec<String> = (0..3)
        .map(|_| jira.add_worklog("KAN-1", FakeJiraWorklog::new("a", Utc::now(), 60)).unwrap())
        .collect();
    let client = client(&jira);
    let cursor = Utc::now().timestamp_millis() - 1;
    assert!(jira.delete_worklog(&ids[0]));
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(jira.delete_worklog(&ids[1]));
    // Even without a lag, the feed lists a change only once its millisecond has passed.
    tokio::time::sleep(Duration::from_millis(2)).await;
    let first = client.worklog_changes(ChangeFeed::Deleted, cursor).await.unwrap();
    let deleted: Vec<String> = first.values.iter().map(|v| v.worklog_id.to_string()).collect();
    assert_eq!(deleted, ids[..2]);

    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(jira.delete_worklog(&ids[2]));
    tokio::time::sleep(Duration::from_millis(2)).await;
    let next = client.worklog_changes(ChangeFeed::Deleted, first.next_since).await.unwrap();
    let deleted: Vec<String> = next.values.iter().map(|v| v.worklog_id.to_string()).collect();
    assert!(deleted.contains(&ids[2]) && !deleted.contains(&ids[0]), "{deleted:?}");
    let remaining = client.all_issue_worklogs(&issue_id("10001")).await.unwrap();
    assert!(remaining.is_empty());
}

#[tokio::test]
async fn worklog_list_chunks_by_1000() {
    let jira = fake().await;
    jira.seed_project("BIG", 500, 0, 5);
    let client = client(&jira);
    let changes = client.worklog_changes(ChangeFeed::Updated, 0).await.unwrap();
    let ids: Vec<u64> = changes.values.iter().map(|v| v.worklog_id).collect();
    assert_eq!(ids.len(), 2500);
    let worklogs = client.worklogs_by_id(&ids).await.unwrap();
    assert_eq!(worklogs.len(), 2500);
    assert_eq!(jira.requests("POST /rest/api/3/worklog/list"), 3);
    assert!(worklogs.iter().all(|w| w.issue_id.is_some() && w.author.is_some()));
}

#[tokio::test]
async fn boards_without_sprints_are_empty_not_errors() {
    let jira = fake().await;
    jira.add_board(FakeBoard::scrum(7, "KAN scrum", "KAN"));
    jira.add_board(FakeBoard::kanban(8, "KAN flow", "KAN"));
    jira.add_board(FakeBoard::scrum(9, "OPS scrum", "OPS"));
    jira.add_sprint(FakeSprint::new(1, 7, "Sprint 1", "closed"));
    jira.add_sprint(FakeSprint {
        goal: Some("Ship".into()),
        ..FakeSprint::new(2, 7, "Sprint 2", "active")
    });
    let client = client(&jira);
    let boards = client.boards("KAN").await.unwrap();
    let ids: Vec<u64> = boards.iter().map(|b| b.id).collect();
    assert_eq!(ids, [7, 8]);
    assert_eq!(boards[0].project_key.as_deref(), Some("KAN"));
    assert!(client.sprints(8).await.unwrap().is_empty());
    let sprints = client.sprints(7).await.unwrap();
    assert_eq!(sprints.len(), 2);
    assert_eq!(sprints[1].goal.as_deref(), Some("Ship"));
    assert_eq!(sprints[0].board_id, Some(7));
    let missing = client.sprints(404).await.unwrap_err();
    assert_eq!(missing.code, ErrorCode::NotFound, "only 400 means no sprints");
}

#[tokio::test]
async fn retry_after_and_rate_limit_reset_are_honoured() {
    let jira = fake().await;
    let client = client(&jira);
    jira.inject(MYSELF, Fault::RateLimited { retry_after_secs: 1 }, 1);
    let started = Instant::now();
    client.myself().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(jira.requests(MYSELF), 2);

    jira.rate_limit_with_reset(1, Duration::from_millis(700));
    let started = Instant::now();
    client.myself().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500), "{:?}", started.elapsed());
    assert_eq!(jira.requests(MYSELF), 4);
}

#[tokio::test]
async fn near_limit_slows_the_next_request() {
    let jira = fake().await;
    jira.set_near_limit(true);
    let client = client(&jira);
    client.myself().await.unwrap();
    let started = Instant::now();
    client.myself().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
}

#[tokio::test]
async fn concurrency_is_bounded() {
    let jira = fake().await;
    jira.set_latency(Duration::from_millis(100));
    let client = Arc::new(client_with(&jira, TOKEN, governed(3, None)));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..12 {
        let client = client.clone();
        calls.spawn(async move { client.myself().await.map(|_| ()) });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap().unwrap();
    }
    let peak = jira.peak_in_flight();
    assert!((2..=3).contains(&peak), "peak {peak}");
    assert_eq!(client.requests(), 12);
}

#[tokio::test]
async fn zone_less_dates_miss_updates_that_epoch_ms_finds() {
    let jira = fake().await;
    jira.update_user(API_USER_ACCOUNT_ID, |me| me.time_zone = "America/Los_Angeles".into());
    let now = Utc::now();
    jira.add_issue(FakeIssue {
        updated: now - chrono::Duration::hours(1),
        ..FakeIssue::new("1", "KAN-1", "x")
    });
    let cursor = now - chrono::Duration::hours(2);
    let client = client(&jira);
    let (found, _) = search_all(&client, &project_issues_jql("KAN", Some(cursor))).await;
    assert_eq!(found, ["KAN-1"]);
    let utc_text = cursor.format("%Y-%m-%d %H:%M");
    let naive = format!("project = KAN AND updated >= \"{utc_text}\" ORDER BY updated ASC");
    let (missed, _) = search_all(&client, &naive).await;
    assert!(missed.is_empty(), "read in Los Angeles time, the UTC cursor lies hours ahead");
}

#[tokio::test]
async fn rate_limit_after_the_attempts() {
    let jira = fake().await;
    jira.inject(MYSELF, Fault::RateLimited { retry_after_secs: 0 }, 3);
    let error = client(&jira).myself().await.unwrap_err();
    assert_eq!(error.code, ErrorCode::RateLimit);
    assert_eq!(error.status, Some(429));
    assert!(error.is_retryable());
    assert_eq!(jira.requests(MYSELF), 3);
}

#[tokio::test]
async fn auth_expired_from_a_401() {
    let jira = fake().await;
    let stale = "s3cr3t-stale-token";
    let error = client_with(&jira, stale, options()).myself().await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::AuthExpired, Some(401)));
    assert!(error.advice.contains("ATLASSIAN_API_TOKEN"));
    assert!(!format!("{error} {error:?}").contains(stale), "the token never shows");
    assert_eq!(jira.requests(MYSELF), 1, "not retried");
}

#[tokio::test]
async fn auth_expired_from_a_seraph_200() {
    let jira = fake().await;
    jira.seed_project("KAN", 3, 0, 0);
    jira.set_seraph_auth_failed(true);
    let client = client(&jira);
    let error = client.search("project = KAN", &["id"], 50, None).await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::AuthExpired, Some(200)));
    assert!(error.message.contains("AUTHENTICATED_FAILED"));
    let feed = client.worklogs_updated(0).await.unwrap_err();
    assert_eq!(feed.code, ErrorCode::AuthExpired, "empty results are not data");
}

#[tokio::test]
async fn permission_denied_from_a_403() {
    let jira = fake().await;
    jira.inject(SEARCH, Fault::Status(403), 1);
    let error = client(&jira).search("project = KAN", &["id"], 50, None).await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::PermissionDenied, Some(403)));
    assert!(error.advice.contains("Browse Projects"));
}

#[tokio::test]
async fn not_found_from_a_404() {
    let jira = fake().await;
    let error = client(&jira).issue_comments(&issue_id("999"), 0, 100).await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::NotFound, Some(404)));
}

#[tokio::test]
async fn site_unavailable_when_status_answers_503_too() {
    let jira = fake().await;
    jira.set_site_status(503);
    let client = client(&jira);
    let error = client.myself().await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::SiteUnavailable, Some(503)));
    assert_eq!(jira.requests(MYSELF), 3);
    assert_eq!(jira.requests("GET /status"), 1);

    jira.set_site_status(200);
    jira.inject(MYSELF, Fault::Status(503), 3);
    let passing = client.myself().await.unwrap_err();
    assert_eq!(passing.code, ErrorCode::NetworkGlitch, "the site itself is up");
}

#[tokio::test]
async fn suspended_payment_when_the_license_is_unlicensed() {
    let jira = fake().await;
    jira.set_license_plan("UNLICENSED");
    let error = client(&jira).projects().await.unwrap_err();
    assert_eq!(error.code, ErrorCode::SuspendedPayment);
    assert!(error.advice.contains("site admin"));
}

#[tokio::test]
async fn api_removed_from_a_410() {
    let jira = fake().await;
    // What the old `/rest/api/3/search` answers now, should `search/jql` follow it one day.
    jira.inject(SEARCH, Fault::Status(410), 1);
    let error = client(&jira).search("project = KAN", &["id"], 50, None).await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::ApiRemoved, Some(410)));
    assert_eq!(jira.requests(SEARCH), 1, "not retried");
}

#[tokio::test]
async fn network_glitch_from_a_timeout() {
    let jira = fake().await;
    jira.inject(MYSELF, Fault::Delay(Duration::from_secs(2)), 3);
    let error = client(&jira).myself().await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::NetworkGlitch, None));
    assert!(error.is_retryable());
    assert_eq!(jira.requests(MYSELF), 3);
}

#[tokio::test]
async fn schema_mismatch_from_a_garbage_200() {
    let jira = fake().await;
    jira.serve_proxy_page(1);
    let error = client(&jira).myself().await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::SchemaMismatch, Some(200)));
    assert!(error.advice.contains("JIRA_BASE_URL"));
}

#[tokio::test]
async fn unknown_from_a_418() {
    let jira = fake().await;
    jira.inject(MYSELF, Fault::Status(418), 1);
    let error = client(&jira).myself().await.unwrap_err();
    assert_eq!((error.code, error.status), (ErrorCode::Unknown, Some(418)));
    assert_eq!(error.code.as_str(), "UNKNOWN");
}

#[tokio::test]
async fn four_hundreds_are_never_swallowed() {
    let jira = fake().await;
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    jira.add_board(FakeBoard::scrum(7, "KAN scrum", "KAN"));
    let injected = [
        (SEARCH, 400),
        (COMMENTS, 403),
        (WORKLOGS, 404),
        (UPDATED, 400),
        ("GET /rest/api/3/worklog/deleted", 403),
        ("POST /rest/api/3/worklog/list", 400),
        ("GET /rest/api/3/project/search", 400),
        ("GET /rest/agile/1.0/board", 400),
        ("GET /rest/agile/1.0/board/{boardId}/sprint", 403),
        ("GET /rest/api/3/user/assignable/search", 400),
        ("GET /rest/api/3/user/bulk", 409),
        ("POST /rest/api/3/search/approximate-count", 400),
    ];
    for (endpoint, status) in injected {
        jira.inject(endpoint, Fault::Status(status), 1);
    }
    let client = client(&jira);
    let issue = issue_id("10001");
    let account = [AccountId::parse("acc-1").unwrap()];
    let statuses = [
        client.search("project = KAN", &["id"], 50, None).await.map(drop),
        client.issue_comments(&issue, 0, 100).await.map(drop),
        client.issue_worklogs(&issue, 0, 100).await.map(drop),
        client.worklogs_updated(0).await.map(drop),
        client.worklogs_deleted(0).await.map(drop),
        client.worklogs_by_id(&[1]).await.map(drop),
        client.projects().await.map(drop),
        client.boards("KAN").await.map(drop),
        client.sprints(7).await.map(drop),
        client.assignable_users("KAN").await.map(drop),
        client.users(&account).await.map(drop),
        client.approximate_count("project = KAN").await.map(drop),
    ]
    .map(|result| result.unwrap_err().status);
    let expected = injected.map(|(_, status)| Some(status));
    assert_eq!(statuses, expected);
    // And unbounded JQL, a real 400 from the site, is an error too.
    let unbounded = client.search("order by key", &["id"], 50, None).await.unwrap_err();
    assert_eq!((unbounded.code, unbounded.status), (ErrorCode::Unknown, Some(400)));
    assert!(unbounded.message.contains("Unbounded"), "{}", unbounded.message);
}

#[tokio::test]
async fn projects_users_and_counts() {
    let jira = fake().await;
    for n in 0..130 {
        jira.add_project(clockwork_testkit::FakeProject::new(
            &(10_000 + n).to_string(),
            &format!("P{n:03}"),
            "x",
        ));
    }
    let seeded = jira.seed_project("KAN", 40, 0, 0);
    jira.set_assignable("KAN", &[&seeded.account_ids[0], &seeded.account_ids[1]]);
    for n in 0..250 {
        jira.add_user(FakeUser::new(&format!("acc-{n}"), "Filler"));
    }
    jira.set_assignable("P000", &["acc-249"]);
    let client = client(&jira);
    assert_eq!(client.projects().await.unwrap().len(), 131);
    assert_eq!(jira.requests("GET /rest/api/3/project/search"), 2);
    assert_eq!(client.assignable_users("KAN").await.unwrap().len(), 2);
    let late = client.assignable_users("P000").await.unwrap();
    assert_eq!(late.len(), 1, "empty windows are not the end of assignable search");
    assert_eq!(jira.requests("GET /rest/api/3/user/assignable/search"), 20);
    let me = client.myself().await.unwrap();
    assert_eq!(me.account_id, API_USER_ACCOUNT_ID);
    let ids: Vec<AccountId> =
        seeded.account_ids.iter().map(|id| AccountId::parse(id).unwrap()).collect();
    let users = client.users(&ids).await.unwrap();
    assert_eq!(users.len(), 8);
    assert_eq!(users.iter().filter(|u| u.email_address.is_none()).count(), 4, "hidden emails");
    assert_eq!(client.approximate_count("project = KAN").await.unwrap(), 40);
}

#[tokio::test]
async fn changelogs_are_read_a_thousand_issues_a_request_and_gathered_per_issue() {
    let jira = fake().await;
    let seeded = jira.seed_project("KAN", 1001, 0, 0);
    // A thousand issues' histories can take the debug-built fake longer than the other
    // tests' short timeout on a busy machine; a retry would be a request more.
    let client = client_with(&jira, TOKEN, DataOptions::default());
    let ids: Vec<IssueId> =
        seeded.issue_ids.map(|id| IssueId::parse(&id.to_string()).unwrap()).collect();
    let logs = client.all_changelogs(&ids, &["status"]).await.unwrap();
    assert_eq!(jira.requests("POST /rest/api/3/changelog/bulkfetch"), 2);
    let histories: usize = logs.iter().map(|log| log.change_histories.len()).sum();
    assert_eq!(histories, 200 * (1 + 2 + 3), "seeded: 0, 1, 2, 3 and 0 moves by turns");
    let done = logs.iter().find(|log| log.change_histories.len() == 3).unwrap();
    let last = &done.change_histories[2];
    assert_eq!(last.items[0].to_string.as_deref(), Some("Done"));
    assert!(done.change_histories.windows(2).all(|w| w[0].created <= w[1].created), "oldest first");
}
