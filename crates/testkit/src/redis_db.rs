//! A Redis logical database leased to one test.
//!
//! The cache keys are fixed by the architecture (`clockwork:timers:all`, …) and tests run in
//! parallel against one real Redis, so each test that writes such keys leases a database of
//! its own (1–15), emptied when leased and released when dropped. Leases live in database 0
//! with an expiry, so a test that crashed cannot hold one for long.

use std::time::Duration;

use redis::AsyncCommands;

/// The Redis the tests use.
pub const REDIS_URL: &str = "redis://127.0.0.1:6379";
const LEASE_TTL_MS: u64 = 300_000;
const DATABASES: std::ops::RangeInclusive<u8> = 1..=15;

#[derive(Debug)]
pub struct RedisDb {
    /// `redis://127.0.0.1:6379/<n>`.
    pub url: String,
    lease_key: String,
    holder: String,
}

impl RedisDb {
    /// Leases a free database and empties it; waits while all are leased.
    ///
    /// # Panics
    /// When Redis is not reachable on 127.0.0.1:6379 (tests need it), or no database frees
    /// up within two minutes.
    pub async fn lease() -> Self {
        let client = redis::Client::open(REDIS_URL).expect("a valid Redis URL");
        let mut control = client
            .get_multiplexed_async_connection()
            .await
            .expect("tests need Redis on 127.0.0.1:6379: run .ci/services");
        let holder = format!("{}-{:?}", std::process::id(), std::thread::current().id());
        for _ in 0..1200 {
            for db in DATABASES {
                let lease_key = format!("clockwork-test:lease:{db}");
                let acquired: bool = redis::cmd("SET")
                    .arg(&lease_key)
                    .arg(&holder)
                    .arg("NX")
                    .arg("PX")
                    .arg(LEASE_TTL_MS)
                    .query_async::<Option<String>>(&mut control)
                    .await
                    .expect("lease a Redis database")
                    .is_some();
                if acquired {
                    let url = format!("{REDIS_URL}/{db}");
                    let mut conn = redis::Client::open(url.as_str())
                        .expect("a valid Redis URL")
                        .get_multiplexed_async_connection()
                        .await
                        .expect("connect to the leased database");
                    let () = redis::cmd("FLUSHDB").query_async(&mut conn).await.expect("FLUSHDB");
                    return Self { url, lease_key, holder };
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no Redis test database became free within two minutes");
    }

    /// A connection to the leased database, for assertions.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .expect("a valid Redis URL")
            .get_multiplexed_async_connection()
            .await
            .expect("connect to the leased database")
    }

    /// A key's value, read directly.
    pub async fn get(&self, key: &str) -> Option<String> {
        self.connection().await.get(key).await.expect("GET")
    }

    /// A key's remaining time to live in seconds (-2 missing, -1 no expiry).
    pub async fn ttl(&self, key: &str) -> i64 {
        self.connection().await.ttl(key).await.expect("TTL")
    }
}

impl Drop for RedisDb {
    fn drop(&mut self) {
        // Release only our own lease; a blocking client, since Drop cannot await.
        let release = redis::Client::open(REDIS_URL).and_then(|client| client.get_connection());
        if let Ok(mut conn) = release {
            let _: redis::RedisResult<i64> = redis::cmd("EVAL")
                .arg("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0")
                .arg(1)
                .arg(&self.lease_key)
                .arg(&self.holder)
                .query(&mut conn);
        }
    }
}
