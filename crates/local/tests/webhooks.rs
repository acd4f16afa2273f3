//! `clockwork-local webhooks …` as a person runs it: the real binary against a fake Jira
//! started here (so what it registered can be read back), with a store of its own; and the
//! deliveries of the registered webhook reaching `serve`'s store.

use std::process::{Command, Output};
use std::time::Duration;

use clockwork_store::{Store, StoreConfig};
use clockwork_testkit::jira::FakeJira;
use demo::{Server, serve_with};
use serde_json::{Value, json};
use support::local;
use tempfile::TempDir;

#[path = "support/demo.rs"]
mod demo;
mod support;

const EMAIL: &str = "admin@acme.example";
const API_TOKEN: &str = "admin-api-token";
const APP_TOKEN: &str = "oauth-access-token";
const RECEIVER_SECRET: &str = "canary-receiver-secret-5e1b";
const RECEIVER: &str = "https://clockwork.example.com/api/webhooks/jira";
const DAY: Duration = Duration::from_secs(86_400);

struct Site {
    jira: FakeJira,
    folder: TempDir,
}

impl Site {
    async fn new() -> Self {
        let jira = FakeJira::start(EMAIL, API_TOKEN).await;
        jira.accept_app_token(APP_TOKEN);
        Self { jira, folder: tempfile::tempdir().expect("temp dir") }
    }

    fn database_url(&self) -> String {
        format!("sqlite://{}", self.folder.path().join("clockwork.db").display())
    }

    async fn track(&self, keys: &[&str]) {
        let store = Store::connect(&StoreConfig::new(&self.database_url()).unwrap()).await.unwrap();
        store.migrate().await.unwrap();
        for key in keys {
            store.track_project(key, &format!("id-{key}"), key).await.unwrap();
        }
    }

    /// The site's settings and `JIRA_WEBHOOK_SECRET`.
    fn configure(&self, command: &mut Command) {
        command
            .env("DATABASE_URL", self.database_url())
            .env("JIRA_BASE_URL", self.jira.base_url())
            .env("ATLASSIAN_EMAIL", EMAIL)
            .env("ATLASSIAN_API_TOKEN", API_TOKEN)
            .env("JIRA_OAUTH_ACCESS_TOKEN", APP_TOKEN)
            .env("JIRA_WEBHOOK_SECRET", RECEIVER_SECRET);
    }

    /// Runs the binary with the site's settings.
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = local();
        self.configure(&mut command);
        command.args(args);
        // The fake serves on this runtime's other threads while the binary runs.
        tokio::task::spawn_blocking(move || command.output().expect("run clockwork-local"))
            .await
            .expect("the binary's thread")
    }

    /// Runs a command that must succeed; its stdout, checked to hold no secret.
    async fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args).await;
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let stdout = String::from_utf8(output.stdout).expect("utf-8");
        assert_no_secret(&format!("{stdout}{}", stderr_of(&output.stderr)));
        stdout
    }

    /// Runs a command that must fail; its stderr, checked to hold no secret.
    async fn refused(&self, args: &[&str]) -> String {
        let output = self.run(args).await;
        assert!(!output.status.success(), "{args:?} succeeded");
        let stderr = stderr(&output);
        assert_no_secret(&stderr);
        stderr
    }
}

fn stderr(output: &Output) -> String {
    stderr_of(&output.stderr)
}

fn stderr_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_secret(text: &str) {
    for secret in [RECEIVER_SECRET, API_TOKEN, APP_TOKEN] {
        assert!(!text.contains(secret), "a secret leaked: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_twice_keeps_one_webhook_with_the_tracked_projects_jql() {
    let site = Site::new().await;
    site.track(&["KAN", "OPS"]).await;
    let first =
        site.ok(&["webhooks", "register", "--url", RECEIVER, "--secret", RECEIVER_SECRET]).await;
    assert!(first.contains("Registered admin webhook"), "{first}");
    let again =
        site.ok(&["webhooks", "register", "--url", RECEIVER, "--secret", RECEIVER_SECRET]).await;
    assert!(again.contains("Updated admin webhook"), "{again}");

    let webhooks = site.jira.admin_webhooks();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    let webhook = &webhooks[0];
    assert_eq!(webhook.jql, "project in (KAN, OPS)");
    assert_eq!(webhook.url, RECEIVER);
    assert_eq!(webhook.secret.as_deref(), Some(RECEIVER_SECRET));
    for kind in ["jira:issue", "comment", "worklog"] {
        for change in ["created", "updated", "deleted"] {
            let event = format!("{kind}_{change}");
            assert!(webhook.events.contains(&event), "{event} missing: {:?}", webhook.events);
        }
    }

    site.track(&["WEB"]).await;
    site.ok(&["webhooks", "register", "--url", RECEIVER, "--secret", RECEIVER_SECRET]).await;
    let webhooks = site.jira.admin_webhooks();
    assert_eq!((webhooks.len(), webhooks[0].id), (1, webhook.id));
    assert_eq!(webhooks[0].jql, "project in (KAN, OPS, WEB)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_secret_the_url_carries_the_receivers_token_and_the_user_is_told() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    let said = site.ok(&["webhooks", "register", "--url", RECEIVER]).await;
    assert!(said.contains("will not sign") && said.contains("secret parameter"), "{said}");
    let webhooks = site.jira.admin_webhooks();
    assert_eq!(webhooks[0].url, format!("{RECEIVER}?secret={RECEIVER_SECRET}"));
    assert_eq!(webhooks[0].secret, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_never_shows_the_secret() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    site.ok(&["webhooks", "register", "--url", RECEIVER]).await;
    site.ok(&[
        "webhooks",
        "register",
        "--url",
        "https://other.example.com/hook",
        "--secret",
        RECEIVER_SECRET,
    ])
    .await;
    site.ok(&["webhooks", "register", "--dynamic", "--url", RECEIVER]).await;

    let admin = site.ok(&["webhooks", "list"]).await;
    assert!(admin.contains(&format!("{RECEIVER}?secret=***")), "{admin}");
    assert!(admin.contains("https://other.example.com/hook"), "{admin}");
    assert!(admin.contains("project in (KAN)"), "{admin}");
    let dynamic = site.ok(&["webhooks", "list", "--dynamic"]).await;
    assert!(dynamic.contains(&format!("{RECEIVER}?secret=***")), "{dynamic}");
    assert!(dynamic.contains("UTC"), "the expiry is shown: {dynamic}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_url_is_refused_unless_it_is_loopback() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    let refused = site
        .refused(&[
            "webhooks",
            "register",
            "--url",
            "http://clockwork.example.com/api/webhooks/jira",
        ])
        .await;
    assert!(refused.contains("https"), "{refused}");
    assert!(site.jira.admin_webhooks().is_empty());
    site.ok(&["webhooks", "register", "--url", "http://127.0.0.1:8080/api/webhooks/jira"]).await;
    assert_eq!(site.jira.admin_webhooks().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registering_without_a_tracked_project_is_refused() {
    let site = Site::new().await;
    let refused = site.refused(&["webhooks", "register", "--url", RECEIVER]).await;
    assert!(
        refused.contains("no project is tracked") && refused.contains("projects track"),
        "{refused}"
    );
    assert!(site.jira.admin_webhooks().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_admin_token_is_told_that_a_site_admin_must_register() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    site.jira.set_site_admin(false);
    let refused = site.refused(&["webhooks", "register", "--url", RECEIVER]).await;
    assert!(refused.contains("403") && refused.contains("site admin"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_the_webhook_by_its_listed_id() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    site.ok(&["webhooks", "register", "--url", RECEIVER]).await;
    let id = site.jira.admin_webhooks()[0].id.to_string();
    site.ok(&["webhooks", "delete", &id]).await;
    assert!(site.jira.admin_webhooks().is_empty());
    let refused = site.refused(&["webhooks", "delete", &id]).await;
    assert!(refused.contains("no webhook") && refused.contains("webhooks list"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_webhook_is_registered_once_without_worklog_events_and_cannot_sign() {
    let site = Site::new().await;
    site.track(&["KAN", "OPS"]).await;
    let refused = site
        .refused(&["webhooks", "register", "--dynamic", "--url", RECEIVER, "--secret", "x"])
        .await;
    assert!(refused.contains("cannot sign"), "{refused}");
    site.ok(&["webhooks", "register", "--dynamic", "--url", RECEIVER]).await;
    let again = site.ok(&["webhooks", "register", "--dynamic", "--url", RECEIVER]).await;
    assert!(again.contains("registered already"), "{again}");
    let webhooks = site.jira.dynamic_webhooks();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert_eq!(webhooks[0].jql, "project in (KAN, OPS)");
    assert_eq!(webhooks[0].url, format!("{RECEIVER}?secret={RECEIVER_SECRET}"));
    assert!(webhooks[0].events.iter().all(|e| !e.starts_with("worklog")));

    site.track(&["WEB"]).await;
    site.ok(&["webhooks", "register", "--dynamic", "--url", RECEIVER]).await;
    let webhooks = site.jira.dynamic_webhooks();
    assert_eq!(webhooks.len(), 1, "{webhooks:?}");
    assert_eq!(webhooks[0].jql, "project in (KAN, OPS, WEB)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_webhook_is_refreshed_before_it_expires() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    site.ok(&["webhooks", "register", "--dynamic", "--url", RECEIVER]).await;
    let registered = site.jira.dynamic_webhooks()[0].expires_ms;

    site.jira.age_dynamic_webhooks(20 * DAY);
    let fresh = site.ok(&["webhooks", "refresh"]).await;
    assert!(fresh.contains("No dynamic webhook expires within 5 days"), "{fresh}");
    let aged = registered - 20 * 86_400_000;
    assert_eq!(site.jira.dynamic_webhooks()[0].expires_ms, aged, "not yet due");

    site.jira.age_dynamic_webhooks(6 * DAY);
    let refreshed = site.ok(&["webhooks", "refresh"]).await;
    assert!(refreshed.contains("Refreshed 1 dynamic webhook"), "{refreshed}");
    assert!(site.jira.dynamic_webhooks()[0].expires_ms >= registered, "30 days from now again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_registering_a_dynamic_webhook_refreshes_it_when_due() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    site.ok(&["webhooks", "register", "--dynamic", "--url", RECEIVER]).await;
    let registered = site.jira.dynamic_webhooks()[0].expires_ms;
    site.jira.age_dynamic_webhooks(27 * DAY);
    let said = site.ok(&["webhooks", "register", "--dynamic", "--url", RECEIVER]).await;
    assert!(said.contains("Refreshed 1 dynamic webhook"), "{said}");
    assert!(site.jira.dynamic_webhooks()[0].expires_ms >= registered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untracking_a_project_says_to_re_register_the_webhooks() {
    let site = Site::new().await;
    site.track(&["KAN"]).await;
    let said = site.ok(&["projects", "untrack", "KAN"]).await;
    assert!(said.contains("webhooks register"), "{said}");
}

/// How long a delivery may take to show: coalescing delays each apply by a few seconds.
const APPLIED_WITHIN: Duration = Duration::from_secs(30);

impl Site {
    /// `serve` with the site's settings (auth off) over the project `key` tracked and synced
    /// with 3 issues, its admin webhook registered to deliver to the server, signed.
    async fn serving(&self, key: &str) -> Server {
        self.jira.seed_project(key, 3, 0, 0);
        self.ok(&["projects", "track", key]).await;
        self.ok(&["sync", "jira", "--project", key]).await;
        let server = serve_with(|command| {
            self.configure(command);
            command.env("AUTH_DISABLED", "true");
        });
        let url = format!("{}/api/webhooks/jira", server.base);
        self.ok(&["webhooks", "register", "--url", &url, "--secret", RECEIVER_SECRET]).await;
        server
    }
}

/// Asks `serve`'s GraphQL for `issue(key)`'s summary until `wanted` says yes (at most
/// [`APPLIED_WITHIN`]); the last answer.
async fn issue_until(server: &Server, key: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    let http = clockwork_testkit::http_client();
    let query = json!({ "query": format!("{{ issue(key: \"{key}\") {{ key summary }} }}") });
    let deadline = tokio::time::Instant::now() + APPLIED_WITHIN;
    loop {
        let answer = http.post(format!("{}/api/graphql", server.base)).json(&query).send().await;
        let answer: Value = answer.expect("POST /api/graphql").json().await.expect("JSON");
        let issue = answer["data"]["issue"].clone();
        if wanted(&issue) || tokio::time::Instant::now() >= deadline {
            return issue;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_on_jira_reaches_the_store_through_the_registered_webhook_with_serve_running() {
    let site = Site::new().await;
    let server = site.serving("KAN").await;
    let synced = issue_until(&server, "KAN-2", |issue| !issue.is_null()).await;
    assert_eq!(synced["key"], "KAN-2", "synced before the edit");

    assert!(site.jira.update_issue("KAN-2", |issue| issue.summary = "Edited on Jira".into()));
    let event = site.jira.webhook_event("jira:issue_updated", "KAN-2").expect("an issue");
    assert_eq!(site.jira.deliver(&event).await, [202], "signed and accepted");
    let issue = issue_until(&server, "KAN-2", |issue| issue["summary"] == "Edited on Jira").await;
    assert_eq!(issue["summary"], "Edited on Jira", "{issue}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_deleted_on_jira_leaves_the_queries_through_the_registered_webhook() {
    let site = Site::new().await;
    let server = site.serving("KAN").await;
    assert!(!issue_until(&server, "KAN-3", |issue| !issue.is_null()).await.is_null());

    let event = site.jira.webhook_event("jira:issue_deleted", "KAN-3").expect("an issue");
    assert!(site.jira.remove_issue("KAN-3"));
    assert_eq!(site.jira.deliver(&event).await, [202]);
    let issue = issue_until(&server, "KAN-3", Value::is_null).await;
    assert!(issue.is_null(), "still listed: {issue}");
}
