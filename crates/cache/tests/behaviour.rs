//! One suite of rules, run against every backend: Redis, Upstash (the fake REST server in front
//! of the same Redis) and memory. A rule is an `async fn` over a [`Subject`]; `rules!` makes
//! one `#[tokio::test]` per rule and backend, e.g. `on_upstash::set_nx_only_sets_once`.
//!
//! Tests run in parallel beside other suites on one Redis, so each works under its own random
//! key prefix and nothing flushes the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clockwork_cache::memory::MemoryCache;
use clockwork_cache::redis_backend::RedisCache;
use clockwork_cache::upstash::UpstashCache;
use clockwork_cache::{Cache, CacheError, Write};
use clockwork_testkit::upstash::FakeUpstash;
use secrecy::SecretString;

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const TOKEN: &str = "test-token";
const TEN_MINUTES: Duration = Duration::from_secs(600);

/// A backend under test, with the means to let time pass.
struct Subject {
    cache: Arc<dyn Cache>,
    prefix: String,
    /// Memory only: moved forward instead of sleeping.
    clock: Option<Arc<AtomicU64>>,
    /// Upstash only: the fake, kept alive and asked how many requests it saw.
    upstash: Option<FakeUpstash>,
}

impl Subject {
    fn new(cache: Arc<dyn Cache>) -> Self {
        let prefix = format!("test:{}:", uuid::Uuid::new_v4());
        Self { cache, prefix, clock: None, upstash: None }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    async fn elapse(&self, by: Duration) {
        match &self.clock {
            Some(offset) => {
                offset.fetch_add(
                    by.as_millis().try_into().expect("short test delay"),
                    Ordering::SeqCst,
                );
            }
            // Real Redis keeps real time; expiry checks are exact, so a short sleep is enough.
            None => tokio::time::sleep(by).await,
        }
    }
}

async fn redis() -> Subject {
    let cache = RedisCache::connect(&SecretString::from(REDIS_URL)).await.expect("Redis at 6379");
    Subject::new(Arc::new(cache))
}

async fn upstash() -> Subject {
    let fake = FakeUpstash::start(REDIS_URL, TOKEN).await;
    let url = fake.base_url().parse().expect("fake URL");
    let cache = UpstashCache::new(url, SecretString::from(TOKEN)).expect("Upstash client");
    Subject { upstash: Some(fake), ..Subject::new(Arc::new(cache)) }
}

async fn memory() -> Subject {
    let start = Instant::now();
    let offset = Arc::new(AtomicU64::new(0));
    let now = offset.clone();
    let clock = Arc::new(move || start + Duration::from_millis(now.load(Ordering::SeqCst)));
    Subject { clock: Some(offset), ..Subject::new(Arc::new(MemoryCache::with_clock(clock))) }
}

fn assert_ten_minutes(ttl: Option<Duration>) {
    let ttl = ttl.expect("a TTL");
    assert!(ttl >= Duration::from_secs(599) && ttl <= TEN_MINUTES, "TTL {ttl:?}");
}

async fn missing_key_reads_as_none(s: Subject) {
    let key = s.key("absent");
    assert_eq!(s.cache.get(&key).await.unwrap(), None);
    assert_eq!(s.cache.ttl(&key).await.unwrap(), None);
    assert_eq!(s.cache.smembers(&key).await.unwrap(), Vec::<String>::new());
}

async fn set_then_get_round_trips_unicode(s: Subject) {
    let key = s.key("unicode ключ ⏱");
    let value = r#"{"comment":"Zeit läuft ⏱ — 時間 \"quoted\" \\ back\nslash","emoji":"🦀"}"#;
    s.cache.set(&key, value, Some(TEN_MINUTES)).await.unwrap();
    assert_eq!(s.cache.get(&key).await.unwrap().as_deref(), Some(value));
}

async fn mget_returns_values_in_request_order_with_gaps(s: Subject) {
    let (a, b, c) = (s.key("a"), s.key("b"), s.key("c"));
    s.cache.set(&a, "1", Some(TEN_MINUTES)).await.unwrap();
    s.cache.set(&c, "3", Some(TEN_MINUTES)).await.unwrap();
    let values = s.cache.mget(&[c, b, a]).await.unwrap();
    assert_eq!(values, [Some("3".to_owned()), None, Some("1".to_owned())]);
}

async fn ttl_is_applied_and_reported(s: Subject) {
    let (timed, forever) = (s.key("timed"), s.key("forever"));
    s.cache.set(&timed, "v", Some(TEN_MINUTES)).await.unwrap();
    s.cache.set(&forever, "v", None).await.unwrap();
    assert_ten_minutes(s.cache.ttl(&timed).await.unwrap());
    assert_eq!(s.cache.ttl(&forever).await.unwrap(), None);
    s.cache.del(&[forever]).await.unwrap();
}

async fn expired_values_disappear(s: Subject) {
    let key = s.key("brief");
    s.cache.set(&key, "v", Some(Duration::from_millis(50))).await.unwrap();
    assert_eq!(s.cache.get(&key).await.unwrap().as_deref(), Some("v"));
    s.elapse(Duration::from_millis(120)).await;
    assert_eq!(s.cache.get(&key).await.unwrap(), None);
    assert_eq!(s.cache.mget(std::slice::from_ref(&key)).await.unwrap(), [None]);
    assert_eq!(s.cache.ttl(&key).await.unwrap(), None);
    assert!(s.cache.set_nx(&key, "again", TEN_MINUTES).await.unwrap(), "expired key is free");
}

async fn set_nx_only_sets_once(s: Subject) {
    let key = s.key("lock");
    assert!(s.cache.set_nx(&key, "first", TEN_MINUTES).await.unwrap());
    assert!(!s.cache.set_nx(&key, "second", TEN_MINUTES).await.unwrap());
    assert_eq!(s.cache.get(&key).await.unwrap().as_deref(), Some("first"));
    assert_ten_minutes(s.cache.ttl(&key).await.unwrap());
}

async fn a_counter_counts_within_its_window_then_starts_again(s: Subject) {
    let key = s.key("counter");
    assert_eq!(s.cache.incr(&key, TEN_MINUTES).await.unwrap(), 1);
    assert_eq!(s.cache.incr(&key, TEN_MINUTES).await.unwrap(), 2);
    assert_ten_minutes(s.cache.ttl(&key).await.unwrap());
    let brief = s.key("brief-counter");
    assert_eq!(s.cache.incr(&brief, Duration::from_millis(50)).await.unwrap(), 1);
    assert_eq!(s.cache.incr(&brief, Duration::from_secs(60)).await.unwrap(), 2, "keeps its window");
    s.elapse(Duration::from_millis(120)).await;
    assert_eq!(s.cache.incr(&brief, Duration::from_millis(50)).await.unwrap(), 1);
    let rounds = s.cache.round_trips();
    s.cache.incr(&key, TEN_MINUTES).await.unwrap();
    assert_eq!(s.cache.round_trips() - rounds, 1);
}

async fn del_counts_existing_keys(s: Subject) {
    let (a, b) = (s.key("a"), s.key("b"));
    s.cache.set(&a, "1", Some(TEN_MINUTES)).await.unwrap();
    s.cache.set(&b, "2", Some(TEN_MINUTES)).await.unwrap();
    assert_eq!(s.cache.del(&[a.clone(), b, s.key("missing")]).await.unwrap(), 2);
    assert_eq!(s.cache.get(&a).await.unwrap(), None);
    assert_eq!(s.cache.del(&[]).await.unwrap(), 0);
}

async fn atomic_writes_apply_together(s: Subject) {
    let (timers, stale, users) = (s.key("timers"), s.key("stale"), s.key("active_users"));
    s.cache.set(&stale, "old", None).await.unwrap();
    s.cache
        .atomic(&[
            Write::Set { key: timers.clone(), value: "[1,2]".into(), ttl: Some(TEN_MINUTES) },
            Write::Del { keys: vec![stale.clone()] },
            Write::ReplaceSet {
                key: users.clone(),
                members: vec!["u2".into(), "u1".into()],
                ttl: Some(TEN_MINUTES),
            },
        ])
        .await
        .unwrap();
    assert_eq!(s.cache.get(&timers).await.unwrap().as_deref(), Some("[1,2]"));
    assert_eq!(s.cache.get(&stale).await.unwrap(), None);
    let mut members = s.cache.smembers(&users).await.unwrap();
    members.sort();
    assert_eq!(members, ["u1", "u2"]);
    assert_ten_minutes(s.cache.ttl(&users).await.unwrap());
}

async fn replace_set_drops_old_members(s: Subject) {
    let key = s.key("set");
    let replace = |members: &[&str]| Write::ReplaceSet {
        key: key.clone(),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
        ttl: Some(TEN_MINUTES),
    };
    s.cache.atomic(&[replace(&["a", "b"])]).await.unwrap();
    s.cache.atomic(&[replace(&["c"])]).await.unwrap();
    assert_eq!(s.cache.smembers(&key).await.unwrap(), ["c"]);
    s.cache.atomic(&[replace(&[])]).await.unwrap();
    assert_eq!(s.cache.smembers(&key).await.unwrap(), Vec::<String>::new());
    assert_eq!(s.cache.ttl(&key).await.unwrap(), None, "an empty set is no key at all");
}

async fn remove_members_drops_only_those(s: Subject) {
    let key = s.key("set");
    let members = vec!["a".into(), "b".into(), "c".into()];
    s.cache
        .atomic(&[Write::ReplaceSet { key: key.clone(), members, ttl: Some(TEN_MINUTES) }])
        .await
        .unwrap();
    let remove = |members: &[&str]| Write::RemoveMembers {
        key: key.clone(),
        members: members.iter().map(|m| (*m).to_owned()).collect(),
    };
    s.cache.atomic(&[remove(&["a", "never-there"])]).await.unwrap();
    let mut left = s.cache.smembers(&key).await.unwrap();
    left.sort();
    assert_eq!(left, ["b", "c"]);
    assert_ten_minutes(s.cache.ttl(&key).await.unwrap());
    s.cache.atomic(&[remove(&["b", "c"])]).await.unwrap();
    assert_eq!(s.cache.ttl(&key).await.unwrap(), None, "an empty set is no key at all");
}

async fn reading_a_set_as_a_string_is_a_protocol_error(s: Subject) {
    let key = s.key("set");
    let members = vec!["a".into()];
    s.cache
        .atomic(&[Write::ReplaceSet { key: key.clone(), members, ttl: Some(TEN_MINUTES) }])
        .await
        .unwrap();
    let error = s.cache.get(&key).await.unwrap_err();
    assert!(matches!(error, CacheError::Protocol(_)), "{error:?}");
}

async fn atomic_is_one_round_trip(s: Subject) {
    let writes = [
        Write::Set { key: s.key("a"), value: "1".into(), ttl: Some(TEN_MINUTES) },
        Write::Del { keys: vec![s.key("b"), s.key("c")] },
        Write::ReplaceSet { key: s.key("d"), members: vec!["x".into()], ttl: Some(TEN_MINUTES) },
    ];
    let (before, requests_before) =
        (s.cache.round_trips(), s.upstash.as_ref().map(FakeUpstash::requests));
    s.cache.atomic(&writes).await.unwrap();
    assert_eq!(s.cache.round_trips() - before, 1);
    if let (Some(fake), Some(requests_before)) = (&s.upstash, requests_before) {
        assert_eq!(fake.requests() - requests_before, 1, "requests the fake Upstash saw");
    }
    s.cache.atomic(&[]).await.unwrap();
    assert_eq!(s.cache.round_trips() - before, 1, "an empty batch sends nothing");
}

async fn mget_is_one_round_trip(s: Subject) {
    let keys: Vec<String> = (0..20).map(|i| s.key(&i.to_string())).collect();
    let before = s.cache.round_trips();
    assert_eq!(s.cache.mget(&keys).await.unwrap().len(), 20);
    assert_eq!(s.cache.round_trips() - before, 1);
    assert_eq!(s.cache.mget(&[]).await.unwrap(), Vec::<Option<String>>::new());
    assert_eq!(s.cache.round_trips() - before, 1, "an empty MGET sends nothing");
}

async fn ping_answers(s: Subject) {
    s.cache.ping().await.unwrap();
}

macro_rules! rules {
    ($($rule:ident),* $(,)?) => {
        mod on_redis {
            $( #[tokio::test] async fn $rule() { super::$rule(super::redis().await).await } )*
        }
        mod on_upstash {
            $( #[tokio::test] async fn $rule() { super::$rule(super::upstash().await).await } )*
        }
        mod in_memory {
            $( #[tokio::test] async fn $rule() { super::$rule(super::memory().await).await } )*
        }
    };
}

rules! {
    missing_key_reads_as_none,
    set_then_get_round_trips_unicode,
    mget_returns_values_in_request_order_with_gaps,
    ttl_is_applied_and_reported,
    expired_values_disappear,
    set_nx_only_sets_once,
    a_counter_counts_within_its_window_then_starts_again,
    del_counts_existing_keys,
    atomic_writes_apply_together,
    replace_set_drops_old_members,
    remove_members_drops_only_those,
    reading_a_set_as_a_string_is_a_protocol_error,
    atomic_is_one_round_trip,
    mget_is_one_round_trip,
    ping_answers,
}
