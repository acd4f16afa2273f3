//! Faults between the routes and their dependencies, injected by a TCP proxy in front of the
//! real Redis and the real SQS-compatible server: the routes answer in seconds with a 503
//! naming what is down, recover by themselves, and a user's action that succeeded upstream
//! is never failed by a queue that is down.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clockwork_cache::redis_backend::RedisCache;
use clockwork_queue::sqs::SqsSender;
use clockwork_testkit::moto;
use clockwork_testkit::proxy::{FaultProxy, Mode};
use common::{ANN, Harness, assert_error, timer};
use http::StatusCode;
use secrecy::SecretString;

/// The harness with its cache reached through a fault proxy.
async fn with_proxied_redis() -> (Harness, FaultProxy) {
    let mut h = Harness::start().await;
    let proxy = FaultProxy::start("127.0.0.1:6379".parse().unwrap()).await.expect("proxy");
    let url = h.redis.url.replace("127.0.0.1:6379", &proxy.addr().to_string());
    h.app.cache = Arc::new(RedisCache::connect(&SecretString::from(url)).await.expect("Redis"));
    h.seed_timers(ANN, vec![timer(1, ANN, "KAN-1")]).await;
    (h, proxy)
}

/// Asks for Ann's timers until they come back (at most 10 s): the cache recovered by itself.
async fn recovers(h: &Harness) {
    let started = Instant::now();
    loop {
        let (status, body) =
            h.get(&format!("/api/timers/active?accountId={ANN}"), Some(&h.ann())).await;
        if status == StatusCode::OK {
            assert_eq!(body["timers"].as_array().map(Vec::len), Some(1), "{body}");
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still {status}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stalled_redis_is_a_503_cache_unavailable_in_seconds_and_then_recovers() {
    let (h, proxy) = with_proxied_redis().await;
    recovers(&h).await;
    proxy.set_mode(Mode::Stall);
    let asked = Instant::now();
    let answer = h.get(&format!("/api/timers/active?accountId={ANN}"), Some(&h.ann())).await;
    let waited = asked.elapsed();
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "CACHE_UNAVAILABLE");
    assert!(waited < Duration::from_secs(4), "a hung request: {waited:?}");
    proxy.set_mode(Mode::Pass);
    recovers(&h).await;
}

#[tokio::test]
async fn a_redis_that_went_away_is_a_503_and_its_return_is_noticed() {
    let (h, proxy) = with_proxied_redis().await;
    recovers(&h).await;
    proxy.set_mode(Mode::Down);
    let asked = Instant::now();
    let answer = h.get(&format!("/api/timers/active?accountId={ANN}"), Some(&h.ann())).await;
    assert_error(&answer, StatusCode::SERVICE_UNAVAILABLE, "CACHE_UNAVAILABLE");
    assert!(asked.elapsed() < Duration::from_secs(4), "{:?}", asked.elapsed());
    proxy.set_mode(Mode::Pass);
    recovers(&h).await;
}

#[tokio::test]
async fn a_timer_starts_even_when_the_queue_is_down_and_the_answer_says_the_refresh_is_delayed() {
    let mut h = Harness::start().await;
    h.clockwork.add_issue("10001", "KAN-1", "Login page");
    let proxy = FaultProxy::start("127.0.0.1:5000".parse().unwrap()).await.expect("proxy");
    proxy.set_mode(Mode::Down);
    let endpoint = format!("http://{}", proxy.addr());
    let queue = SqsSender::from_lookup(
        &h.queue_url,
        Some("us-east-1"),
        Some(&endpoint),
        &moto::credentials,
    );
    h.app.queue = Some(Arc::new(queue));
    let (status, body) =
        h.post("/api/timers/start", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["status"].as_str(), body["refresh"].as_str()),
        (Some("started"), Some("delayed"))
    );
    assert!(body["syncRunId"].is_null(), "{body}");
    assert!(body["notice"].as_str().is_some_and(|n| n.contains("next scheduled sync")), "{body}");
    assert_eq!(h.clockwork.running_timers().len(), 1, "started upstream");
    // The queue is back: the next change is followed by a sync again.
    proxy.set_mode(Mode::Pass);
    let (_, body) = h.post("/api/timers/stop", Some(&h.ann()), r#"{"issueKey":"KAN-1"}"#).await;
    assert_eq!(body["refresh"], "queued", "{body}");
}
