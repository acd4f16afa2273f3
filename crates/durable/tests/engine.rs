//! The engine's rules, on a real Redis database of the test's own.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use clockwork_cache::Cache;
use clockwork_cache::redis_backend::RedisCache;
use clockwork_core::event::Event;
use clockwork_durable::engine::DEADLINE_MARGIN;
use clockwork_durable::record::{RunRecord, RunStatus, record_key};
use clockwork_durable::{Engine, Function, Outcome, RunContext, RunEnd, StepError};
use clockwork_queue::in_process::InProcessQueue;
use clockwork_testkit::redis_db::RedisDb;
use secrecy::SecretString;
use serde_json::{Value, json};

const EVENT: &str = "test/counted";

/// Three steps, each counting its real executions; `fail_second` makes step two fail
/// (retryably) that many times first, and `refuse` fails step two permanently.
#[derive(Default)]
struct Counted {
    first: AtomicUsize,
    second: AtomicUsize,
    third: AtomicUsize,
    fail_second: AtomicUsize,
    refuse: bool,
}

#[async_trait]
impl Function for Counted {
    fn name(&self) -> &'static str {
        "counted"
    }

    fn event(&self) -> &'static str {
        EVENT
    }

    fn steps(&self) -> &'static [&'static str] {
        &["first", "second", "third"]
    }

    async fn run(&self, ctx: &mut RunContext<'_>, data: &Value) -> Result<RunEnd, StepError> {
        let base = data["base"].as_u64().unwrap_or(0);
        let a: u64 = ctx
            .step("first", || async {
                Ok(base + self.first.fetch_add(1, Ordering::SeqCst) as u64 + 1)
            })
            .await?;
        let b: u64 = ctx
            .step("second", || async {
                self.second.fetch_add(1, Ordering::SeqCst);
                if self.refuse {
                    return Err(StepError::permanent("BAD_CREDENTIALS", "renew the token"));
                }
                if self.fail_second.load(Ordering::SeqCst) > 0 {
                    self.fail_second.fetch_sub(1, Ordering::SeqCst);
                    return Err(StepError::retryable("UPSTREAM_DOWN", "try later"));
                }
                Ok(a * 10)
            })
            .await?;
        let c: u64 = ctx
            .step("third", || async { Ok(b + self.third.fetch_add(1, Ordering::SeqCst) as u64) })
            .await?;
        Ok(RunEnd::Completed(json!({ "result": c })))
    }
}

const PAGED: &str = "test/paged";

/// Works through `data.pages` pages, one step each (names not known ahead), counting real
/// executions per page; `fail_at` fails that page once, retryably. Takes `pause` per page.
#[derive(Default)]
struct Paged {
    executions: std::sync::Mutex<Vec<u64>>,
    fail_at: std::sync::Mutex<Option<u64>>,
    pause: Duration,
}

#[async_trait]
impl Function for Paged {
    fn name(&self) -> &'static str {
        "paged"
    }

    fn event(&self) -> &'static str {
        PAGED
    }

    fn steps(&self) -> &'static [&'static str] {
        &[]
    }

    async fn run(&self, ctx: &mut RunContext<'_>, data: &Value) -> Result<RunEnd, StepError> {
        let pages = data["pages"].as_u64().unwrap_or(0);
        let mut page = data["next"].as_u64().unwrap_or(0);
        let mut total = data["total"].as_u64().unwrap_or(0);
        let mut done_here = 0;
        while page < pages {
            if done_here > 0 && ctx.out_of_time() {
                return Ok(RunEnd::Continue(
                    json!({ "pages": pages, "next": page, "total": total }),
                ));
            }
            total += ctx
                .step(&format!("page-{page}"), || async {
                    tokio::time::sleep(self.pause).await;
                    if self.fail_at.lock().unwrap().take_if(|at| *at == page).is_some() {
                        return Err(StepError::retryable("UPSTREAM_DOWN", "try later"));
                    }
                    self.executions.lock().unwrap().push(page);
                    Ok(page * 10)
                })
                .await?;
            page += 1;
            done_here += 1;
        }
        Ok(RunEnd::Completed(json!({ "total": total })))
    }
}

async fn setup(function: Counted) -> (RedisDb, Arc<dyn Cache>, Arc<Counted>, Engine) {
    let redis = RedisDb::lease().await;
    let cache: Arc<dyn Cache> =
        Arc::new(RedisCache::connect(&SecretString::from(redis.url.clone())).await.unwrap());
    let function = Arc::new(function);
    let engine = Engine::new(cache.clone()).register(function.clone());
    (redis, cache, function, engine)
}

fn counts(f: &Counted) -> [usize; 3] {
    [
        f.first.load(Ordering::SeqCst),
        f.second.load(Ordering::SeqCst),
        f.third.load(Ordering::SeqCst),
    ]
}

async fn record(cache: &dyn Cache, run_id: &str) -> RunRecord {
    serde_json::from_str(&cache.get(&record_key(run_id)).await.unwrap().unwrap()).unwrap()
}

#[tokio::test]
async fn a_step_that_fails_once_then_succeeds_does_not_repeat_earlier_steps() {
    let (_redis, cache, f, engine) =
        setup(Counted { fail_second: AtomicUsize::new(1), ..Counted::default() }).await;
    let event = Event::with_id(EVENT, "run-1", json!({ "base": 4 }));
    let first = engine.handle(&event).await;
    assert!(first.should_retry(), "{first:?}");
    assert_eq!(counts(&f), [1, 1, 0]);
    let retried = engine.handle(&event).await;
    assert_eq!(
        retried,
        Outcome::Completed { run_id: "run-1".into(), output: json!({ "result": 50 }) }
    );
    assert_eq!(counts(&f), [1, 2, 1], "step one ran once; its memo was replayed");
    let record = record(cache.as_ref(), "run-1").await;
    assert_eq!(record.status, RunStatus::Completed);
    assert_eq!(record.attempts, 2);
    let statuses: Vec<&str> = record.steps.iter().map(|s| s.status.as_str()).collect();
    assert_eq!(statuses, ["memoized", "done", "done"]);
}

#[tokio::test]
async fn redelivered_message_skips_finished_steps() {
    let (_redis, _cache, f, engine) = setup(Counted::default()).await;
    let body = json!({ "name": EVENT, "id": "run-2", "data": {} }).to_string();
    assert!(matches!(engine.handle_body(&body, None).await, Outcome::Completed { .. }));
    assert_eq!(
        engine.handle_body(&body, None).await,
        Outcome::AlreadyFinished { run_id: "run-2".into() }
    );
    assert_eq!(counts(&f), [1, 1, 1]);
}

#[tokio::test]
async fn duplicate_event_id_has_one_effect() {
    let (_redis, _cache, f, engine) = setup(Counted::default()).await;
    let event = Event::with_id(EVENT, "same-id", json!({}));
    // Concurrent deliveries of one event, then a late redelivery.
    let (a, b, c) =
        tokio::join!(engine.handle(&event), engine.handle(&event), engine.handle(&event));
    let late = engine.handle(&event).await;
    let outcomes = [a, b, c, late];
    assert_eq!(
        outcomes.iter().filter(|o| matches!(o, Outcome::Completed { .. })).count(),
        1,
        "{outcomes:?}"
    );
    assert!(outcomes.iter().all(|o| matches!(
        o,
        Outcome::Completed { .. } | Outcome::Busy { .. } | Outcome::AlreadyFinished { .. }
    )));
    assert_eq!(counts(&f), [1, 1, 1]);
}

#[tokio::test]
async fn a_permanent_failure_ends_the_run_with_its_advice() {
    let (_redis, cache, f, engine) = setup(Counted { refuse: true, ..Counted::default() }).await;
    let event = Event::with_id(EVENT, "run-3", json!({}));
    let outcome = engine.handle(&event).await;
    assert!(!outcome.should_retry());
    assert!(matches!(&outcome, Outcome::Failed { error, .. } if error.code == "BAD_CREDENTIALS"));
    let record = record(cache.as_ref(), "run-3").await;
    assert_eq!(record.status, RunStatus::Failed);
    assert_eq!(record.error.unwrap().message, "renew the token");
    assert_eq!(engine.handle(&event).await, Outcome::AlreadyFinished { run_id: "run-3".into() });
    assert_eq!(counts(&f), [1, 1, 0]);
}

#[tokio::test]
async fn malformed_and_unknown_events_fail_permanently() {
    let (_redis, _cache, f, engine) = setup(Counted::default()).await;
    for body in [
        "not json",
        r#"{"name":"test/counted"}"#,
        r#"{"name":"test/counted","id":"../x"}"#,
        r#"{"name":"nobody/listens","id":"r"}"#,
    ] {
        let outcome = engine.handle_body(body, None).await;
        assert!(
            matches!(&outcome, Outcome::Failed { error, .. } if !error.retryable),
            "{body}: {outcome:?}"
        );
    }
    assert_eq!(counts(&f), [0, 0, 0]);
}

#[tokio::test]
async fn run_records_and_memos_expire() {
    let (redis, _cache, _f, engine) = setup(Counted::default()).await;
    engine.handle(&Event::with_id(EVENT, "run-4", json!({}))).await;
    let week = 7 * 24 * 3600;
    assert!((week - 5..=week).contains(&redis.ttl("run:run-4:record").await));
    let day = 24 * 3600;
    assert!((day - 5..=day).contains(&redis.ttl("run:run-4:step:first").await));
    assert_eq!(redis.ttl("run:run-4:lease").await, -2, "the lease is released");
}

#[tokio::test]
async fn a_memo_may_be_shorter_lived_or_skipped() {
    struct Expiring;
    #[async_trait]
    impl Function for Expiring {
        fn name(&self) -> &'static str {
            "expiring"
        }
        fn event(&self) -> &'static str {
            EVENT
        }
        fn steps(&self) -> &'static [&'static str] {
            &["short", "never"]
        }
        async fn run(&self, ctx: &mut RunContext<'_>, _: &Value) -> Result<RunEnd, StepError> {
            let _: u8 =
                ctx.step_with_ttl("short", |_| Duration::from_secs(60), || async { Ok(1) }).await?;
            let _: u8 = ctx.step_with_ttl("never", |_| Duration::ZERO, || async { Ok(2) }).await?;
            Ok(RunEnd::Completed(Value::Null))
        }
    }
    let redis = RedisDb::lease().await;
    let cache: Arc<dyn Cache> =
        Arc::new(RedisCache::connect(&SecretString::from(redis.url.clone())).await.unwrap());
    Engine::new(cache)
        .register(Arc::new(Expiring))
        .handle(&Event::with_id(EVENT, "run-5", json!({})))
        .await;
    assert!((55..=60).contains(&redis.ttl("run:run-5:step:short").await));
    assert_eq!(redis.ttl("run:run-5:step:never").await, -2);
}

#[tokio::test]
async fn steps_named_at_run_time_are_replayed_on_redelivery() {
    let redis = RedisDb::lease().await;
    let cache: Arc<dyn Cache> =
        Arc::new(RedisCache::connect(&SecretString::from(redis.url.clone())).await.unwrap());
    let paged = Arc::new(Paged { fail_at: std::sync::Mutex::new(Some(3)), ..Paged::default() });
    let engine = Engine::new(cache.clone()).register(paged.clone());
    let event = Event::with_id(PAGED, "run-p", json!({ "pages": 5 }));
    assert!(engine.handle(&event).await.should_retry());
    assert_eq!(
        engine.handle(&event).await,
        Outcome::Completed { run_id: "run-p".into(), output: json!({ "total": 100 }) }
    );
    assert_eq!(*paged.executions.lock().unwrap(), [0, 1, 2, 3, 4], "each page ran once");
}

#[tokio::test]
async fn a_run_out_of_time_continues_under_the_same_id_until_done() {
    let redis = RedisDb::lease().await;
    let cache: Arc<dyn Cache> =
        Arc::new(RedisCache::connect(&SecretString::from(redis.url.clone())).await.unwrap());
    let paged = Arc::new(Paged { pause: Duration::from_millis(40), ..Paged::default() });
    let (queue, mut receiver) = InProcessQueue::new();
    // A budget of 100 ms an attempt: a couple of pages each.
    let engine = Engine::new(cache.clone())
        .register(paged.clone())
        .with_lease(DEADLINE_MARGIN + Duration::from_millis(100))
        .with_continuations(Arc::new(queue));
    let mut event = Event::with_id(PAGED, "run-long", json!({ "pages": 12 }));
    let mut deliveries = 1;
    let output = loop {
        match engine.handle(&event).await {
            Outcome::Continued { run_id } => {
                assert_eq!(run_id, "run-long");
                assert_eq!(record(cache.as_ref(), "run-long").await.status, RunStatus::Continuing);
                event = receiver.recv().await.expect("a continuation was enqueued");
                assert_eq!(event.id, "run-long");
                deliveries += 1;
            }
            Outcome::Completed { output, .. } => break output,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(output, json!({ "total": 660 }));
    assert!(deliveries > 2, "the run was cut into slices: {deliveries}");
    assert_eq!(*paged.executions.lock().unwrap(), (0..12).collect::<Vec<_>>(), "no page twice");
    let record = record(cache.as_ref(), "run-long").await;
    assert_eq!(record.status, RunStatus::Completed);
    assert_eq!(record.attempts, deliveries);
}

#[tokio::test]
async fn a_waiting_run_is_delivered_again_after_its_delay_and_replays_its_steps() {
    struct Waits {
        executions: AtomicUsize,
    }
    #[async_trait]
    impl Function for Waits {
        fn name(&self) -> &'static str {
            "waits"
        }
        fn event(&self) -> &'static str {
            EVENT
        }
        fn steps(&self) -> &'static [&'static str] {
            &["before"]
        }
        async fn run(&self, ctx: &mut RunContext<'_>, data: &Value) -> Result<RunEnd, StepError> {
            let _: u8 = ctx
                .step("before", || async {
                    self.executions.fetch_add(1, Ordering::SeqCst);
                    Ok(1)
                })
                .await?;
            if data["waited"] != json!(true) {
                return Ok(RunEnd::ContinueAfter(
                    Duration::from_millis(300),
                    json!({ "waited": true }),
                ));
            }
            Ok(RunEnd::Completed(json!("done")))
        }
    }
    let redis = RedisDb::lease().await;
    let cache: Arc<dyn Cache> =
        Arc::new(RedisCache::connect(&SecretString::from(redis.url.clone())).await.unwrap());
    let waits = Arc::new(Waits { executions: AtomicUsize::new(0) });
    let (queue, mut receiver) = InProcessQueue::new();
    let engine =
        Engine::new(cache.clone()).register(waits.clone()).with_continuations(Arc::new(queue));
    let started = std::time::Instant::now();

    let first = engine.handle(&Event::with_id(EVENT, "run-w", json!({}))).await;
    assert_eq!(first, Outcome::Continued { run_id: "run-w".into() });
    let again = receiver.recv().await.expect("the continuation");
    assert!(started.elapsed() >= Duration::from_millis(300), "held back for its delay");
    assert_eq!((again.id.as_str(), &again.data), ("run-w", &json!({ "waited": true })));
    let output = engine.handle(&again).await;
    assert_eq!(output, Outcome::Completed { run_id: "run-w".into(), output: json!("done") });
    assert_eq!(waits.executions.load(Ordering::SeqCst), 1, "the step before the wait ran once");
}
