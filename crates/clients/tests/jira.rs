//! The Jira client against the test kit's fake Jira.

use std::time::Duration;

use clockwork_clients::{ClientError, HttpClient, HttpOptions, JiraApi, JiraClient};
use clockwork_core::config::JiraConfig;
use clockwork_core::{AccountId, IssueId, IssueKey};
use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::{FakeIssue, FakeJira, FakeUser};
use secrecy::SecretString;

const BULK: &str = "GET /rest/api/3/user/bulk";
const SEARCH: &str = "POST /rest/api/3/search/jql";
const ISSUE: &str = "GET /rest/api/3/issue/{issueIdOrKey}";

fn options() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_millis(800),
        base_backoff: Duration::from_millis(5),
        ..HttpOptions::default()
    }
}

fn client(jira: &FakeJira, token: &str) -> JiraClient {
    let config = JiraConfig {
        base_url: jira.base_url().parse().unwrap(),
        email: "bot@acme.example".into(),
        api_token: SecretString::from(token.to_owned()),
    };
    JiraClient::new(&config, HttpClient::new(options()))
}

async fn fake() -> FakeJira {
    FakeJira::start("bot@acme.example", "token").await
}

fn ids(list: &[String]) -> Vec<AccountId> {
    list.iter().map(|id| AccountId::parse(id).unwrap()).collect()
}

#[tokio::test]
async fn bulk_users_come_in_chunks_of_fifty_with_max_results_set() {
    let jira = fake().await;
    let wanted: Vec<String> = (0..120).map(|n| format!("acc-{n}")).collect();
    for id in &wanted {
        jira.add_user(FakeUser::new(id, id).with_email(&format!("{id}@acme.example")));
    }
    let users = client(&jira, "token").users(&ids(&wanted)).await.unwrap();
    assert_eq!(users.len(), 120, "Jira's default of 10 a page would lose users");
    assert_eq!(jira.requests(BULK), 3);
}

#[tokio::test]
async fn hidden_emails_and_unknown_users() {
    let jira = fake().await;
    jira.add_user(FakeUser::new("acc-shy", "Shy Person"));
    jira.add_user(FakeUser::new("acc-open", "Open Person").with_email("open@acme.example"));
    let users = client(&jira, "token")
        .users(&ids(&["acc-shy".into(), "acc-open".into(), "acc-gone".into()]))
        .await
        .unwrap();
    assert_eq!(users.len(), 2, "an unknown id is simply absent");
    let shy = users.iter().find(|u| u.account_id == "acc-shy").unwrap();
    assert_eq!(shy.email_address, None);
    assert!(shy.avatar_url().is_some());
    let open = users.iter().find(|u| u.account_id == "acc-open").unwrap();
    assert_eq!(open.email_address.as_deref(), Some("open@acme.example"));

    let error =
        client(&jira, "token").user(&AccountId::parse("acc-gone").unwrap()).await.unwrap_err();
    assert_eq!(error, ClientError::NotFound);
}

#[tokio::test]
async fn issues_by_id_follow_next_page_token_when_pages_come_short() {
    let jira = fake().await;
    let wanted: Vec<IssueId> = (1..=250)
        .map(|n| {
            jira.add_issue(FakeIssue::new(&(10_000 + n).to_string(), &format!("KAN-{n}"), "x"));
            IssueId::parse(&(10_000 + n).to_string()).unwrap()
        })
        .collect();
    jira.set_search_page_cap(40);
    let issues = client(&jira, "token").issues_by_id(&wanted).await.unwrap();
    assert_eq!(issues.len(), 250);
    // Three chunks of at most 100 ids, each read in pages of 40: 3 + 3 + 2.
    assert_eq!(jira.requests(SEARCH), 8);
}

#[tokio::test]
async fn an_issue_maps_to_the_contract_fields() {
    let jira = fake().await;
    jira.add_user(FakeUser::new("acc-ann", "Ann"));
    jira.add_issue(FakeIssue {
        assignee: Some("acc-ann".into()),
        priority: None,
        ..FakeIssue::new("10009", "KAN-9", "Fix login")
    });
    let issue = client(&jira, "token").issue(&IssueKey::parse("KAN-9").unwrap()).await.unwrap();
    assert_eq!(
        (issue.id.as_str(), issue.key.as_str(), issue.summary.as_str()),
        ("10009", "KAN-9", "Fix login")
    );
    assert_eq!(issue.status, "To Do");
    assert_eq!(issue.priority, None);
    assert_eq!(issue.project.key, "KAN");
    assert_eq!(issue.assignee.unwrap().display_name.as_deref(), Some("Ann"));
    assert_eq!(issue.url, format!("{}/browse/KAN-9", jira.base_url()));
}

#[tokio::test]
async fn retry_after_is_honoured_then_the_call_succeeds() {
    let jira = fake().await;
    jira.add_issue(FakeIssue::new("10001", "KAN-1", "x"));
    jira.inject(ISSUE, Fault::RateLimited { retry_after_secs: 1 }, 1);
    let started = std::time::Instant::now();
    let issue = client(&jira, "token").issue(&IssueKey::parse("KAN-1").unwrap()).await;
    assert!(issue.is_ok());
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(jira.requests(ISSUE), 2);
}

#[tokio::test]
async fn server_errors_are_retried_at_most_three_times() {
    let jira = fake().await;
    jira.inject(ISSUE, Fault::Status(503), 5);
    let error = client(&jira, "token").issue(&IssueKey::parse("KAN-1").unwrap()).await.unwrap_err();
    assert!(matches!(error, ClientError::Transient(_)), "{error:?}");
    assert_eq!(jira.requests(ISSUE), 3);
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_not_retried() {
    let jira = fake().await;
    let error = client(&jira, "wrong").issue(&IssueKey::parse("KAN-1").unwrap()).await.unwrap_err();
    assert_eq!(error, ClientError::Unauthorized { status: 401 });
    assert_eq!(jira.requests(ISSUE), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out_as_transient() {
    let jira = fake().await;
    jira.inject(ISSUE, Fault::Delay(Duration::from_secs(2)), 3);
    let error = client(&jira, "token").issue(&IssueKey::parse("KAN-1").unwrap()).await.unwrap_err();
    assert_eq!(error, ClientError::Transient("jira timed out".into()));
}
