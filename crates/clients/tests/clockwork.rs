//! The Clockwork client against the test kit's fake Clockwork.

use std::time::Duration;

use chrono::DateTime;
use clockwork_clients::{ClientError, ClockworkApi, ClockworkClient, HttpClient, HttpOptions};
use clockwork_core::config::ClockworkConfig;
use clockwork_core::domain::parse_date;
use clockwork_core::{AccountId, DateRange, Email, IssueKey, UserRef};
use clockwork_testkit::clockwork::{FakeClockwork, FakeWorklog};
use clockwork_testkit::faults::Fault;
use secrecy::SecretString;

const WORKLOGS: &str = "GET /worklogs";

async fn setup() -> (FakeClockwork, ClockworkClient, SecretString) {
    let clockwork = FakeClockwork::start().await;
    clockwork.add_token("tok-ann", "acc-ann");
    clockwork.add_author("acc-ann", "Ann", Some("ann@acme.example"));
    clockwork.add_issue("10001", "KAN-1", "Login");
    let config =
        ClockworkConfig { api_base_url: clockwork.base_url().parse().unwrap(), api_token: None };
    let options = HttpOptions { base_backoff: Duration::from_millis(5), ..HttpOptions::default() };
    (
        clockwork,
        ClockworkClient::new(&config, HttpClient::new(options)),
        SecretString::from("tok-ann"),
    )
}

fn day(s: &str) -> DateRange {
    let date = parse_date(s).unwrap();
    DateRange::new(date, date).unwrap()
}

#[tokio::test]
async fn worklogs_are_read_by_account_or_by_email() {
    let (clockwork, client, token) = setup().await;
    let started = DateTime::parse_from_rfc3339("2026-02-10T09:00:00+07:00").unwrap();
    clockwork.add_worklog(FakeWorklog::new("1", "10001", "acc-ann", started, 1800));
    let by_account = UserRef::Account(AccountId::parse("acc-ann").unwrap());
    let worklogs = client.worklogs(&token, &by_account, day("2026-02-10")).await.unwrap();
    assert_eq!(worklogs.len(), 1);
    assert_eq!((worklogs[0].id.as_str(), worklogs[0].issue_id.as_str()), ("1", "10001"));
    assert_eq!(worklogs[0].time_spent_seconds, 1800);
    assert_eq!(worklogs[0].author.display_name.as_deref(), Some("Ann"), "authors are expanded");

    let by_email = UserRef::Email(Email::parse("ann@acme.example").unwrap());
    let worklogs = client.worklogs(&token, &by_email, day("2026-02-10")).await.unwrap();
    assert_eq!(worklogs.len(), 1);
    assert!(client.worklogs(&token, &by_account, day("2026-02-11")).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_rate_limited_read_waits_for_retry_after() {
    let (clockwork, client, token) = setup().await;
    clockwork.inject(WORKLOGS, Fault::RateLimited { retry_after_secs: 1 }, 1);
    let user = UserRef::Account(AccountId::parse("acc-ann").unwrap());
    let started = std::time::Instant::now();
    assert!(client.worklogs(&token, &user, day("2026-02-10")).await.is_ok());
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(clockwork.requests(WORKLOGS), 2);
}

#[tokio::test]
async fn start_and_stop_act_as_the_tokens_user_and_report_invalid_states() {
    let (clockwork, client, token) = setup().await;
    let key = IssueKey::parse("KAN-1").unwrap();
    let messages = client.start_timer(&token, &key, Some("pairing")).await.unwrap();
    assert!(!messages.is_empty());
    assert_eq!(clockwork.running_timers()[0].running_for, "acc-ann");
    assert!(matches!(
        client.start_timer(&token, &key, None).await,
        Err(ClientError::InvalidState(_))
    ));
    client.stop_timer(&token, &key).await.unwrap();
    let error = client.stop_timer(&token, &key).await.unwrap_err();
    assert!(matches!(&error, ClientError::InvalidState(m) if m.contains("KAN-1")), "{error:?}");
}

#[tokio::test]
async fn a_timer_action_is_sent_once_even_when_it_fails() {
    let (clockwork, client, token) = setup().await;
    clockwork.inject("POST /start_timer", Fault::Status(502), 1);
    let key = IssueKey::parse("KAN-1").unwrap();
    assert!(matches!(client.start_timer(&token, &key, None).await, Err(ClientError::Transient(_))));
    assert_eq!(clockwork.requests("POST /start_timer"), 1);
    let error = client.stop_timer(&SecretString::from("nope"), &key).await.unwrap_err();
    assert_eq!(error, ClientError::Unauthorized { status: 401 });
}
