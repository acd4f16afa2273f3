//! The webhook registration clients against the test kit's fake Jira.

use std::time::Duration;

use clockwork_clients::WebhookUrl;
use clockwork_clients::webhooks::{AdminWebhookSpec, projects_jql};
use clockwork_clients::{AdminWebhooks, ClientError, DynamicWebhooks, HttpClient, HttpOptions};
use clockwork_core::config::{JiraAppConfig, JiraConfig};
use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::FakeJira;
use secrecy::SecretString;

const APP_TOKEN: &str = "oauth-access-token";
const SIGNING_SECRET: &str = "canary-signing-secret-81d2";

fn http() -> HttpClient {
    HttpClient::new(HttpOptions {
        timeout: Duration::from_millis(800),
        base_backoff: Duration::from_millis(5),
        ..HttpOptions::default()
    })
}

async fn fake() -> FakeJira {
    let jira = FakeJira::start("admin@acme.example", "token").await;
    jira.accept_app_token(APP_TOKEN);
    jira
}

fn admin(jira: &FakeJira) -> AdminWebhooks {
    let config = JiraConfig {
        base_url: jira.base_url().parse().unwrap(),
        email: "admin@acme.example".into(),
        api_token: SecretString::from("token"),
    };
    AdminWebhooks::new(&config, http())
}

fn app(jira: &FakeJira, token: &str) -> DynamicWebhooks {
    let config = JiraAppConfig {
        base_url: jira.base_url().parse().unwrap(),
        access_token: SecretString::from(token.to_owned()),
    };
    DynamicWebhooks::new(&config, http())
}

fn spec(url: &str, secret: Option<&str>) -> AdminWebhookSpec {
    AdminWebhookSpec {
        name: "clockwork".into(),
        url: WebhookUrl::new(url),
        events: vec!["jira:issue_updated".into(), "worklog_created".into()],
        jql: projects_jql(&["KAN", "OPS"]),
        secret: secret.map(|s| SecretString::from(s.to_owned())),
    }
}

#[tokio::test]
async fn an_admin_webhook_is_created_listed_replaced_and_deleted_by_the_id_in_its_self_url() {
    let jira = fake().await;
    let client = admin(&jira);
    let created = client
        .create(&spec("https://hooks.example/api/webhooks/jira", Some(SIGNING_SECRET)))
        .await
        .unwrap();
    let stored = jira.admin_webhooks();
    assert_eq!(stored.len(), 1);
    assert_eq!(created.id, stored[0].id.to_string());
    assert_eq!(stored[0].jql, "project in (KAN, OPS)");
    assert_eq!(stored[0].secret.as_deref(), Some(SIGNING_SECRET));
    assert_eq!(client.list().await.unwrap(), vec![created.clone()]);

    let mut replacement = spec("https://hooks.example/api/webhooks/jira", None);
    replacement.jql = projects_jql(&["KAN"]);
    let replaced = client.update(&created.id, &replacement).await.unwrap();
    assert_eq!(
        (replaced.id.as_str(), replaced.jql.as_str()),
        (created.id.as_str(), "project in (KAN)")
    );
    assert_eq!(jira.admin_webhooks()[0].secret, None);

    client.delete(&created.id).await.unwrap();
    assert!(client.list().await.unwrap().is_empty());
    assert_eq!(client.delete(&created.id).await, Err(ClientError::NotFound));
}

#[tokio::test]
async fn a_non_admin_token_is_refused_with_403() {
    let jira = fake().await;
    jira.set_site_admin(false);
    let refused = admin(&jira).list().await;
    assert_eq!(refused, Err(ClientError::Unauthorized { status: 403 }));
}

#[tokio::test]
async fn an_admin_list_is_retried_after_a_429() {
    let jira = fake().await;
    jira.inject("GET /rest/webhooks/1.0/webhook", Fault::RateLimited { retry_after_secs: 0 }, 1);
    assert!(admin(&jira).list().await.unwrap().is_empty());
    assert_eq!(jira.requests("GET /rest/webhooks/1.0/webhook"), 2);
}

#[tokio::test]
async fn a_dynamic_webhook_outside_the_documented_subset_is_refused_per_webhook() {
    let jira = fake().await;
    let client = app(&jira, APP_TOKEN);
    let url = WebhookUrl::new("https://hooks.example/api/webhooks/jira?secret=t0k3n");
    let issue_events = vec!["jira:issue_created".to_owned()];
    let answers = client
        .register(
            &url,
            &[
                (issue_events.clone(), projects_jql(&["KAN", "OPS"])),
                (vec!["worklog_created".into()], projects_jql(&["KAN"])),
                (issue_events, "summary ~ \"x\"".into()),
            ],
        )
        .await
        .unwrap();
    assert!(answers[0].is_ok(), "{answers:?}");
    assert!(answers[1].as_ref().unwrap_err()[0].contains("worklog_created"), "{answers:?}");
    assert!(answers[2].as_ref().unwrap_err()[0].contains("summary"), "{answers:?}");
    let listed = client.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].url, url);
    assert_eq!(listed[0].jql, "project in (KAN, OPS)");
}

#[tokio::test]
async fn a_dynamic_webhook_expires_thirty_days_after_its_refresh_and_is_deleted_by_id() {
    let jira = fake().await;
    let client = app(&jira, APP_TOKEN);
    let url = WebhookUrl::new("https://hooks.example/api/webhooks/jira?secret=t0k3n");
    let id = client
        .register(&url, &[(vec!["jira:issue_updated".into()], "project = KAN".into())])
        .await
        .unwrap()[0]
        .clone()
        .unwrap();
    jira.age_dynamic_webhooks(Duration::from_secs(26 * 86_400));
    let aged = jira.dynamic_webhooks()[0].expires_ms;
    let refreshed = client.refresh(&[id]).await.unwrap();
    assert!(
        refreshed >= aged + 26 * 86_400_000,
        "the refresh gave back at least the days that passed"
    );
    assert_eq!(client.list().await.unwrap()[0].expires_ms, Some(refreshed));
    client.delete(&[id]).await.unwrap();
    assert!(client.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_dynamic_api_is_for_apps_only() {
    let jira = fake().await;
    assert_eq!(app(&jira, "wrong").list().await, Err(ClientError::Unauthorized { status: 401 }));
}

#[tokio::test]
async fn dynamic_webhooks_are_listed_past_the_first_page() {
    let jira = fake().await;
    let client = app(&jira, APP_TOKEN);
    let url = WebhookUrl::new("https://hooks.example/api/webhooks/jira");
    let many: Vec<(Vec<String>, String)> = (0..130)
        .map(|n| (vec!["jira:issue_updated".into()], format!("issueKey = KAN-{n}")))
        .collect();
    client.register(&url, &many).await.unwrap();
    assert_eq!(client.list().await.unwrap().len(), 130);
}
