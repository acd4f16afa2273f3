//! The report clients (Connect and Forge) against the test kit's fake Jira and report app.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use clockwork_clients::report::{self, AllTimers, fetch_all_timers};
use clockwork_clients::{
    ClientError, ConnectReport, Credential, ForgeReport, HttpClient, HttpOptions, RawTimer,
    ReportError, TimerReport,
};
use clockwork_core::config::TimerSourceConfig;
use clockwork_core::contract::{Author, Timer, TimerIssue};
use clockwork_testkit::demo::{
    DEMO_CLOUD_ID, DEMO_EXTENSION_ID, DEMO_JIRA_COOKIE, DEMO_TENANT_SESSION_TOKEN,
    DEMO_WORKSPACE_ID,
};
use clockwork_testkit::jira::ExpiryFormat;
use clockwork_testkit::{FakeAuthor, FakeClockwork, FakeJira, FakeTimer, Fault, start_demo};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use url::Url;

const COOKIE: &str = "cloud.session.token=secret-session-cookie; atlassian.xsrf.token=x";
const TENANT: &str = "secret-tenant-token";
const CLOUD_ID: &str = "cloud-1";
const WORKSPACE_ID: &str = "ws-1";
const EXTENSION: &str = "ari:cloud:ecosystem::extension/app/env/static/clockwork-timers";
const SERVLET: &str = "POST /plugins/servlet/ac/clockwork-cloud/clockwork-timers";
const TIMERS: &str = "GET /timers.json";

struct Site {
    jira: FakeJira,
    clockwork: FakeClockwork,
}

impl Site {
    async fn start() -> Self {
        let jira = FakeJira::start("bot@acme.example", "api-token").await;
        let clockwork = FakeClockwork::start().await;
        jira.set_session_cookie(COOKIE);
        jira.set_tenant_session_token(TENANT);
        jira.set_forge_app(CLOUD_ID, WORKSPACE_ID, EXTENSION);
        jira.link_report(&clockwork);
        Self { jira, clockwork }
    }

    fn connect_with(&self, cookie: &str) -> ConnectReport {
        ConnectReport::new(
            &url(&self.jira.base_url()),
            &SecretString::from(cookie),
            &url(&self.clockwork.report_base_url()),
            HttpClient::new(options()),
        )
    }

    fn connect(&self) -> ConnectReport {
        self.connect_with(COOKIE)
    }

    fn forge_with(&self, tenant: &str, extension: &str) -> ForgeReport {
        let jira = url(&self.jira.base_url());
        let token = SecretString::from(tenant);
        ForgeReport::new(
            &jira,
            &token,
            CLOUD_ID,
            WORKSPACE_ID,
            extension,
            HttpClient::new(options()),
        )
    }

    fn forge(&self) -> ForgeReport {
        self.forge_with(TENANT, EXTENSION)
    }

    /// `count` timers on KAN-1, every third one finished; returns their ids.
    fn add_timers(&self, count: usize) -> Vec<u64> {
        (0..count)
            .map(|n| {
                let started = Utc::now() - TimeDelta::minutes(30);
                let mut timer = FakeTimer::running("KAN-1", "10001", &format!("acc-{n}"), started);
                timer.finished_at = (n % 3 == 2).then(Utc::now);
                self.clockwork.add_timer(timer)
            })
            .collect()
    }
}

fn url(raw: &str) -> Url {
    raw.parse().expect("a URL")
}

fn options() -> HttpOptions {
    HttpOptions { base_backoff: Duration::from_millis(5), ..HttpOptions::default() }
}

fn ids(all: &AllTimers) -> Vec<u64> {
    all.timers.iter().map(|timer| timer.id).collect()
}

fn close_to(at: DateTime<Utc>, expected: DateTime<Utc>) -> bool {
    (at - expected).num_seconds().abs() <= 2
}

#[tokio::test]
async fn connect_reads_every_page_of_timers() {
    let site = Site::start().await;
    let added = site.add_timers(120);
    let report = site.connect();
    let credential = report.acquire().await.unwrap();
    let all = fetch_all_timers(&report, credential).await.unwrap();
    assert_eq!(all.pages, 3);
    assert_eq!(ids(&all), added);
    assert_eq!(site.clockwork.requests(TIMERS), 3);
    assert_eq!(site.jira.minted_credentials(), 1, "Connect pages reuse one credential");

    let last = report.timers_page(&all.credential, 3).await.unwrap();
    assert_eq!((last.page, last.pages, last.is_last, last.timers.len()), (3, Some(3), true, 20));
    assert!(last.refreshed.is_none());
}

#[tokio::test]
async fn connect_expiry_comes_from_the_jwt_exp() {
    let site = Site::start().await;
    site.jira.set_credential_ttl(Duration::from_secs(123));
    let credential = site.connect().acquire().await.unwrap();
    assert!(close_to(credential.expires_at, Utc::now() + TimeDelta::seconds(123)));
    assert!(credential.is_valid_at(Utc::now(), TimeDelta::seconds(60)));
    assert!(!credential.is_valid_at(Utc::now(), TimeDelta::seconds(125)));
}

#[tokio::test]
async fn expired_session_cookie_is_session_expired_with_advice() {
    let site = Site::start().await;
    let error = site.connect_with("cloud.session.token=expired").acquire().await.unwrap_err();
    assert_eq!(error, ReportError::SessionExpired);
    assert!(error.to_string().contains("copy a fresh JIRA_FULL_COOKIE"), "{error}");
    assert_eq!((error.code(), error.is_retryable()), ("SESSION_EXPIRED", false));
    assert_eq!(site.jira.requests(SERVLET), 1, "a refused cookie is not retried");
}

#[tokio::test]
async fn missing_servlet_is_source_gone() {
    let site = Site::start().await;
    site.jira.disable_connect_servlet();
    let error = site.connect().acquire().await.unwrap_err();
    assert_eq!(error, ReportError::SourceGone);
    assert!(error.to_string().contains("set TIMER_SOURCE=forge"), "{error}");
    assert_eq!((error.code(), error.is_retryable()), ("TIMER_SOURCE_GONE", false));
}

#[tokio::test]
async fn a_credential_the_report_app_refuses_is_rejected_and_retryable() {
    let site = Site::start().await;
    site.jira.set_credential_ttl(Duration::ZERO);
    let report = site.connect();
    let expired = report.acquire().await.unwrap();
    assert!(!expired.is_valid_at(Utc::now(), TimeDelta::zero()));
    let error = report.timers_page(&expired, 1).await.unwrap_err();
    assert_eq!(error, ReportError::CredentialRejected);
    assert_eq!((error.code(), error.is_retryable()), ("CREDENTIAL_REJECTED", true));
    assert_eq!(site.clockwork.requests(TIMERS), 1);
}

#[tokio::test]
async fn forge_reads_pages_through_graphql_and_returns_refreshed_tokens() {
    let site = Site::start().await;
    let added = site.add_timers(120);
    let report = site.forge();
    let credential = report.acquire().await.unwrap();
    let first = report.timers_page(&credential, 1).await.unwrap();
    let refreshed = first.refreshed.expect("a refreshed token");
    assert_ne!(refreshed.token.expose_secret(), credential.token.expose_secret());
    assert!(close_to(refreshed.expires_at, Utc::now() + TimeDelta::seconds(900)));
    assert_eq!(
        (first.page, first.pages, first.is_last, first.timers.len()),
        (1, Some(3), false, 50)
    );

    let all = fetch_all_timers(&report, refreshed.clone()).await.unwrap();
    assert_eq!((all.pages, ids(&all)), (3, added));
    assert_ne!(all.credential.token.expose_secret(), refreshed.token.expose_secret());
    assert_eq!(site.jira.minted_credentials(), 1 + 1 + 3, "one token, then one per page");
    assert_eq!(site.jira.requests("POST /gateway/api/graphql"), 4);
    assert_eq!(site.clockwork.requests(TIMERS), 0, "Forge never calls the report app directly");
}

#[tokio::test]
async fn forge_expires_at_accepts_seconds_millis_and_iso() {
    let site = Site::start().await;
    site.jira.set_credential_ttl(Duration::from_secs(600));
    let report = site.forge();
    for format in [ExpiryFormat::EpochSeconds, ExpiryFormat::EpochMillis, ExpiryFormat::Iso8601] {
        site.jira.set_expiry_format(format);
        let credential = report.acquire().await.unwrap();
        let expected = Utc::now() + TimeDelta::seconds(600);
        assert!(close_to(credential.expires_at, expected), "{format:?}: {credential:?}");
        let page = report.timers_page(&credential, 1).await.unwrap();
        let refreshed = page.refreshed.expect("a refreshed token");
        assert!(close_to(refreshed.expires_at, expected), "{format:?}: {refreshed:?}");
    }
}

#[tokio::test]
async fn forge_access_error_is_forbidden() {
    let site = Site::start().await;
    let report = site.forge();
    let forged = Credential::new("not-a-context-token", Utc::now() + TimeDelta::hours(1));
    let error = report.timers_page(&forged, 1).await.unwrap_err();
    assert_eq!(
        error,
        ReportError::Forbidden("User did not have access to specified resource".into())
    );
    assert!(error.to_string().contains("renew JIRA_TENANT_SESSION_TOKEN"), "{error}");
    assert_eq!((error.code(), error.is_retryable()), ("FORGE_FORBIDDEN", false));

    let credential = report.acquire().await.unwrap();
    let other_extension = site.forge_with(TENANT, "ari:cloud:ecosystem::extension/other");
    let error = other_extension.timers_page(&credential, 1).await.unwrap_err();
    assert!(matches!(error, ReportError::Forbidden(_)), "{error:?}");

    let stale_tenant = site.forge_with("stale-tenant-token", EXTENSION);
    let error = stale_tenant.acquire().await.unwrap_err();
    assert!(matches!(error, ReportError::Forbidden(_)), "{error:?}");
    let error = stale_tenant.timers_page(&credential, 1).await.unwrap_err();
    assert!(matches!(error, ReportError::Forbidden(_)), "{error:?}");
}

#[tokio::test]
async fn rate_limited_page_is_retried_after_retry_after() {
    let site = Site::start().await;
    site.add_timers(3);
    let report = site.connect();
    let credential = report.acquire().await.unwrap();
    site.clockwork.inject(TIMERS, Fault::RateLimited { retry_after_secs: 1 }, 1);
    let started = Instant::now();
    let page = report.timers_page(&credential, 1).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!((page.timers.len(), site.clockwork.requests(TIMERS)), (3, 2));

    site.clockwork.inject(TIMERS, Fault::RateLimited { retry_after_secs: 60 }, 1);
    let error = report.timers_page(&credential, 1).await.unwrap_err();
    assert!(
        matches!(error, ReportError::Client(ClientError::RateLimited { .. })),
        "a wait beyond max_retry_wait goes back to the caller: {error:?}"
    );
    assert_eq!((error.code(), error.is_retryable()), ("UPSTREAM_RATE_LIMITED", true));
}

#[tokio::test]
async fn outages_and_timeouts_stay_retryable() {
    let site = Site::start().await;
    site.jira.inject(SERVLET, Fault::Status(503), 1);
    let quick = HttpOptions { timeout: Duration::from_millis(300), ..options() };
    let report = ConnectReport::new(
        &url(&site.jira.base_url()),
        &SecretString::from(COOKIE),
        &url(&site.clockwork.report_base_url()),
        HttpClient::new(quick),
    );
    let credential = report.acquire().await.expect("the 503 is retried");
    assert_eq!(site.jira.requests(SERVLET), 2);
    site.clockwork.inject(TIMERS, Fault::Delay(Duration::from_secs(2)), 3);
    let error = report.timers_page(&credential, 1).await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(error.code(), "UPSTREAM_UNAVAILABLE");
}

#[tokio::test]
async fn finished_timers_are_not_running() {
    let site = Site::start().await;
    let added = site.add_timers(6);
    let report = site.connect();
    let all = fetch_all_timers(&report, report.acquire().await.unwrap()).await.unwrap();
    let running: Vec<u64> = all.timers.iter().filter(|t| t.is_running()).map(|t| t.id).collect();
    assert_eq!(running, [added[0], added[1], added[3], added[4]]);
    let finished = all.timers.into_iter().find(|t| !t.is_running()).unwrap().into_timer();
    assert!(finished.finished_at.is_some());
}

#[test]
fn working_hours_clockwork_did_not_judge_are_within() {
    let raw: RawTimer = serde_json::from_value(json!({
        "id": 1, "started_at": "2026-02-10T02:00:00.000Z", "finished_at": null,
        "running_for": "acc-mai", "comment": null, "started_within_working_hours": null,
        "within_working_hours": null, "issue": { "key": "KAN-9", "id": 10009 }, "till_now": 5,
        "worklog_count": 0,
    }))
    .unwrap();
    let timer = raw.into_timer();
    assert!(timer.within_working_hours, "null would show the client's \"On Hold\"");
    assert!(timer.started_within_working_hours);
}

#[tokio::test]
async fn raw_timer_maps_to_the_contract_timer() {
    let raw: RawTimer = serde_json::from_value(json!({
        "id": 123,
        "started_at": "2026-02-10T02:00:00.000Z",
        "finished_at": null,
        "error_messages": null,
        "running_for": "acc-mai",
        "comment": "Pairing",
        "started_within_working_hours": true,
        "within_working_hours": false,
        "issue": { "key": "KAN-9", "id": "10009" },
        "till_now": 754,
        "worklog_count": 2,
        "author": {
            "accountId": "acc-mai",
            "displayName": "Mai Nguyen",
            "emailAddress": "",
            "avatarUrl": "https://avatars.example/mai.png",
        },
        "something_new": true,
    }))
    .unwrap();
    assert!(raw.is_running());
    let expected = Timer {
        id: 123,
        started_at: "2026-02-10T02:00:00.000Z".into(),
        finished_at: None,
        comment: Some("Pairing".into()),
        running_for: "acc-mai".into(),
        till_now: 754,
        worklog_count: 2,
        issue: TimerIssue { key: "KAN-9".into(), id: 10009 },
        author: Some(Author {
            account_id: "acc-mai".into(),
            email_address: None,
            display_name: Some("Mai Nguyen".into()),
            avatar_url: Some("https://avatars.example/mai.png".into()),
        }),
        within_working_hours: false,
        started_within_working_hours: true,
    };
    assert_eq!(raw.into_timer(), expected);

    // The same through the wire: the fake's author, with its email, survives the trip.
    let site = Site::start().await;
    let mut timer = FakeTimer::running("KAN-9", "10009", "acc-mai", Utc::now());
    timer.author = Some(FakeAuthor {
        account_id: "acc-mai".into(),
        display_name: "Mai Nguyen".into(),
        email: Some("mai@acme.example".into()),
        avatar_url: None,
    });
    site.clockwork.add_timer(timer);
    let report = site.connect();
    let page = report.timers_page(&report.acquire().await.unwrap(), 1).await.unwrap();
    let timer = page.timers.into_iter().next().unwrap().into_timer();
    let author = timer.author.expect("an author");
    assert_eq!(author.email_address.as_deref(), Some("mai@acme.example"));
    assert_eq!(timer.issue, TimerIssue { key: "KAN-9".into(), id: 10009 });
}

#[tokio::test]
async fn credential_debug_never_shows_the_token() {
    let site = Site::start().await;
    site.add_timers(1);
    let connect = site.connect();
    let credential = connect.acquire().await.unwrap();
    let forge = site.forge();
    let page = forge.timers_page(&forge.acquire().await.unwrap(), 1).await.unwrap();
    let refreshed = page.refreshed.clone().expect("a refreshed token");
    let debug = format!("{credential:?} {page:?} {connect:?} {forge:?}");
    for secret in [
        credential.token.expose_secret(),
        refreshed.token.expose_secret(),
        "secret-session-cookie",
        TENANT,
    ] {
        assert!(!debug.contains(secret), "{debug}");
    }
    let cached = credential.to_cache_json();
    assert!(cached.contains(credential.token.expose_secret()), "only the explicit cache form");
}

#[tokio::test]
async fn the_demo_syncs_timers_through_either_source() {
    let demo = start_demo(None, None).await.expect("demo starts");
    let jira_base_url = url(&demo.jira.base_url());
    let sources = [
        TimerSourceConfig::Connect {
            jira_base_url: jira_base_url.clone(),
            cookie: SecretString::from(DEMO_JIRA_COOKIE),
            report_base_url: url(&demo.clockwork.report_base_url()),
        },
        TimerSourceConfig::Forge {
            jira_base_url,
            tenant_session_token: SecretString::from(DEMO_TENANT_SESSION_TOKEN),
            cloud_id: DEMO_CLOUD_ID.into(),
            workspace_id: DEMO_WORKSPACE_ID.into(),
            extension_id: DEMO_EXTENSION_ID.into(),
        },
    ];
    for source in &sources {
        let report = report::from_config(source, HttpClient::new(options()));
        let credential = report.acquire().await.unwrap();
        let all = fetch_all_timers(report.as_ref(), credential).await.unwrap();
        let running = all.timers.iter().filter(|timer| timer.is_running()).count();
        assert_eq!(running, demo.clockwork.running_timers().len(), "{report:?}");
        assert!(running < all.timers.len(), "the finished timer is listed too");
    }
}
