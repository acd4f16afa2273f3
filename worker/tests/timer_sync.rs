//! `sync-active-timers` end to end: fake Jira and report app, real Redis, the real engine.

mod common;

use std::time::Duration;

use clockwork_core::contract::keys;
use clockwork_durable::Outcome;
use clockwork_testkit::faults::Fault;
use clockwork_timer_sync::credential::CACHE_KEY as CREDENTIAL_KEY;
use common::{Site, Source, completed};

const BULK: &str = "GET /rest/api/3/user/bulk";
const PAGES: &str = "GET /timers.json";
const SERVLET: &str = "POST /plugins/servlet/ac/clockwork-cloud/clockwork-timers";

/// Ann has an email, Bob hides his, Cy is unknown to Jira.
fn people(site: &Site) {
    site.user("acc-ann", "Ann", Some("Ann@Acme.example"));
    site.user("acc-bob", "Bob", None);
}

async fn every_key_is_filled(source: Source) {
    let site = Site::start(source).await;
    people(&site);
    site.timer("acc-ann", 1);
    site.timer("acc-ann", 2);
    site.timer("acc-bob", 3);
    site.timer("acc-cy", 4);
    let finished = site.timer("acc-bob", 5);
    site.clockwork.finish_timer(finished);

    let outcome = site.sync("run-1").await;
    let summary = completed(&outcome);
    assert_eq!(
        (summary["timers"].as_u64(), summary["users"].as_u64()),
        (Some(4), Some(3)),
        "{summary}"
    );

    let ann = site.cached("acc-ann").await.expect("Ann's timers");
    assert_eq!(ann.timers.len(), 2);
    let author = ann.timers[0].author.clone().expect("author filled in");
    assert_eq!(author.email_address.as_deref(), Some("Ann@Acme.example"));
    assert_eq!(author.display_name.as_deref(), Some("Ann"));
    assert!(author.avatar_url.is_some());
    assert_eq!(site.cached("ann@acme.example").await.expect("by email").timers.len(), 2);
    assert_eq!(
        site.cached("acc-bob").await.expect("Bob's timers").timers.len(),
        1,
        "finished timers are left out"
    );
    assert!(site.cached("acc-cy").await.is_some());
    assert_eq!(site.cached("all").await.expect("all").timers.len(), 4);
    assert_eq!(site.active_users().await, ["acc-ann", "acc-bob", "acc-cy"]);
    for key in [
        keys::timers("acc-ann"),
        keys::timers("ann@acme.example"),
        keys::TIMERS_ALL.into(),
        keys::ACTIVE_USERS.into(),
    ] {
        assert!((590..=600).contains(&site.redis.ttl(&key).await), "{key}");
    }
}

#[tokio::test]
async fn connect_source_fills_every_key() {
    every_key_is_filled(Source::Connect).await;
}

#[tokio::test]
async fn forge_source_fills_every_key() {
    every_key_is_filled(Source::Forge).await;
}

#[tokio::test]
async fn hidden_emails_and_unknown_users_are_cached_without_email() {
    let site = Site::start(Source::Connect).await;
    people(&site);
    site.timer("acc-bob", 1);
    site.timer("acc-cy", 2);
    completed(&site.sync("run-1").await);

    let bob = site.cached("acc-bob").await.expect("Bob");
    assert_eq!(bob.timers[0].author.as_ref().and_then(|a| a.email_address.clone()), None);
    assert_eq!(
        bob.timers[0].author.as_ref().and_then(|a| a.display_name.clone()).as_deref(),
        Some("Bob")
    );
    assert_eq!(site.cached_user("acc-bob").await.expect("cached").email_address, "");
    assert!(site.redis.ttl("jira:user:acc-bob").await > 172_000);
    let cy = site.cached_user("acc-cy").await.expect("unknown ids are cached too");
    assert_eq!(cy.email_address, "");
    assert!(
        (3_500..=3_600).contains(&site.redis.ttl("jira:user:acc-cy").await),
        "an hour, not two days"
    );
    assert_eq!(site.active_users().await, ["acc-bob", "acc-cy"]);
}

#[tokio::test]
async fn what_a_timer_carried_is_never_overwritten() {
    let site = Site::start(Source::Connect).await;
    people(&site);
    site.timer_with_author("acc-ann", 1, Some("ann.private@acme.example"));
    completed(&site.sync("run-1").await);
    let by_own_email =
        site.cached("ann.private@acme.example").await.expect("keyed by the timer's own email");
    let author = by_own_email.timers[0].author.clone().expect("author");
    assert_eq!(author.display_name.as_deref(), Some("As Clockwork knows them"));
    assert!(site.cached("ann@acme.example").await.is_none());
}

#[tokio::test]
async fn authors_come_from_the_cache_first_and_the_misses_in_bulk() {
    let site = Site::start(Source::Connect).await;
    for n in 0..120 {
        let id = format!("acc-{n}");
        site.user(&id, &id, Some(&format!("{id}@acme.example")));
        site.timer(&id, n);
    }
    let cold = completed(&site.sync("run-1").await).clone();
    assert_eq!(site.jira.requests(BULK), 3, "120 users in chunks of 50");
    assert_eq!((cold["jiraCalls"].as_u64(), cold["cacheHits"].as_u64()), (Some(3), Some(0)));
    let warm = completed(&site.sync("run-2").await).clone();
    assert_eq!(site.jira.requests(BULK), 3, "no Jira call with a warm cache");
    assert_eq!((warm["jiraCalls"].as_u64(), warm["cacheHits"].as_u64()), (Some(0), Some(120)));
}

#[tokio::test]
async fn jira_failing_still_caches_every_timer() {
    let site = Site::start(Source::Connect).await;
    people(&site);
    site.timer("acc-ann", 1);
    site.timer("acc-bob", 2);
    site.jira.inject(BULK, Fault::Status(500), 3);
    let summary = completed(&site.sync("run-1").await).clone();
    assert_eq!(summary["timers"], 2);
    assert_eq!(site.cached("all").await.expect("all").timers.len(), 2);
    assert!(site.cached("acc-ann").await.is_some());
    assert!(site.cached("ann@acme.example").await.is_none(), "no email known yet");
    assert!(site.cached_user("acc-ann").await.is_none(), "a failure is not cached as unknown");
}

#[tokio::test]
async fn users_whose_timers_stopped_disappear_from_every_key() {
    let site = Site::start(Source::Connect).await;
    people(&site);
    let ann = site.timer("acc-ann", 1);
    site.timer("acc-bob", 2);
    completed(&site.sync("run-1").await);
    assert!(site.cached("ann@acme.example").await.is_some());

    site.clockwork.finish_timer(ann);
    completed(&site.sync("run-2").await);
    assert!(site.cached("acc-ann").await.is_none());
    assert!(site.cached("ann@acme.example").await.is_none());
    let all = site.cached("all").await.expect("all");
    assert!(all.timers.iter().all(|t| t.running_for == "acc-bob"));
    assert_eq!(site.active_users().await, ["acc-bob"]);
}

#[tokio::test]
async fn a_valid_credential_is_reused_across_runs_and_processes() {
    let site = Site::start(Source::Connect).await;
    site.timer("acc-ann", 1);
    completed(&site.sync("run-1").await);
    completed(&site.sync("run-2").await);
    // Another process (a cold Lambda) finds the credential in the shared cache.
    let event = clockwork_core::event::Event::with_id(
        clockwork_core::event::TIMERS_SYNC_REQUESTED,
        "run-3",
        serde_json::json!({}),
    );
    completed(&site.another_process().handle(&event).await);
    assert_eq!(site.jira.minted_credentials(), 1);
    assert_eq!(site.jira.requests(SERVLET), 1);
}

#[tokio::test]
async fn a_warm_run_spends_no_round_trip_on_the_credential_it_holds() {
    let site = Site::start(Source::Connect).await;
    site.timer("acc-ann", 1);
    completed(&site.sync("run-1").await);
    // Take the shared copy away: a warm run that wrote it again would put it back.
    site.cache.del(&[CREDENTIAL_KEY.to_owned()]).await.expect("del");
    completed(&site.sync("run-2").await);
    assert_eq!(site.redis.get(CREDENTIAL_KEY).await, None);
    assert_eq!(site.jira.minted_credentials(), 1);
}

#[tokio::test]
async fn an_expired_credential_is_acquired_again() {
    let site = Site::start(Source::Connect).await;
    // Inside the minute of margin, so each one counts as expired at once.
    site.jira.set_credential_ttl(Duration::from_secs(30));
    site.timer("acc-ann", 1);
    completed(&site.sync("run-1").await);
    completed(&site.sync("run-2").await);
    assert_eq!(site.jira.minted_credentials(), 2);
    assert_eq!(
        site.redis.ttl("run:run-1:step:acquire-jwt").await,
        -2,
        "never memoized past expiry"
    );
}

#[tokio::test]
async fn a_step_that_fails_once_then_succeeds_does_not_repeat_earlier_steps() {
    let site = Site::start(Source::Connect).await;
    site.timer("acc-ann", 1);
    site.clockwork.inject(PAGES, Fault::Status(503), 3);
    let first = site.sync("run-1").await;
    assert!(
        matches!(&first, Outcome::Retry { error, .. } if error.code == "UPSTREAM_UNAVAILABLE"),
        "{first:?}"
    );
    assert!(site.cached("all").await.is_none());
    let second = site.sync("run-1").await;
    completed(&second);
    assert_eq!(site.jira.requests(SERVLET), 1, "acquire-jwt replayed from its memo");
    let record = site.redis.get("run:run-1:record").await.expect("record");
    let record: serde_json::Value = serde_json::from_str(&record).expect("JSON");
    assert_eq!(record["attempts"], 2);
    assert_eq!(record["steps"][0]["status"], "memoized");
}

#[tokio::test]
async fn redelivered_message_skips_finished_steps() {
    let site = Site::start(Source::Connect).await;
    site.timer("acc-ann", 1);
    completed(&site.sync("run-1").await);
    let pages = site.clockwork.requests(PAGES);
    assert_eq!(site.sync("run-1").await, Outcome::AlreadyFinished { run_id: "run-1".into() });
    assert_eq!(site.clockwork.requests(PAGES), pages);
}

#[tokio::test]
async fn a_refused_credential_is_dropped_and_acquired_anew() {
    let site = Site::start(Source::Connect).await;
    site.timer("acc-ann", 1);
    completed(&site.sync("run-1").await);
    site.clockwork.inject(PAGES, Fault::Status(401), 1);
    let refused = site.sync("run-2").await;
    assert!(
        matches!(&refused, Outcome::Retry { error, .. } if error.code == "CREDENTIAL_REJECTED"),
        "{refused:?}"
    );
    completed(&site.sync("run-2").await);
    assert_eq!(site.jira.minted_credentials(), 2);
}

#[tokio::test]
async fn an_expired_session_cookie_fails_for_good_with_advice() {
    let site = Site::start(Source::Connect).await;
    site.jira.set_session_cookie("a-newer-session");
    let outcome = site.sync("run-1").await;
    let Outcome::Failed { error, .. } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(error.code, "SESSION_EXPIRED");
    assert!(error.message.contains("JIRA_FULL_COOKIE"));
    assert!(!error.message.contains("s3cr3t"), "the cookie never appears in errors");
    assert_eq!(site.sync("run-1").await, Outcome::AlreadyFinished { run_id: "run-1".into() });
}
