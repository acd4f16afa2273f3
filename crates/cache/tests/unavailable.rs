//! A cache that cannot be used says so as `Unavailable`, and never with the secret that was
//! supposed to open it.

use clockwork_cache::redis_backend::RedisCache;
use clockwork_cache::upstash::UpstashCache;
use clockwork_cache::{Cache, CacheError};
use clockwork_testkit::upstash::FakeUpstash;
use secrecy::SecretString;

#[tokio::test]
async fn unreachable_redis_reports_unavailable_without_the_password() {
    let url = SecretString::from("redis://:hunter2@127.0.0.1:1");
    let error = RedisCache::connect(&url).await.expect_err("nothing listens on port 1");
    let CacheError::Unavailable(message) = &error else { panic!("{error:?}") };
    assert!(message.contains("127.0.0.1:1"), "names where it looked: {message}");
    assert!(!format!("{error} {error:?}").contains("hunter2"), "{error:?}");
}

#[tokio::test]
async fn upstash_rejects_a_wrong_token_without_echoing_it() {
    let fake = FakeUpstash::start("redis://127.0.0.1:6379", "right-token").await;
    let wrong = "wrong-token-s3cret";
    let cache =
        UpstashCache::new(fake.base_url().parse().unwrap(), SecretString::from(wrong)).unwrap();
    let error = cache.get("test:never-read").await.expect_err("the token is wrong");
    let CacheError::Unavailable(message) = &error else { panic!("{error:?}") };
    assert!(message.contains("token"), "says the token was rejected: {message}");
    assert!(!format!("{error} {error:?} {cache:?}").contains(wrong), "{error:?}");
}
