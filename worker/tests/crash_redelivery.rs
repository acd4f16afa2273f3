//! The long-polling worker process (`worker-poll`) killed with SIGKILL between the steps of
//! a timer sync: SQS delivers the message again, the steps that had finished replay from
//! their memos instead of running again, and every effect happens once.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use clockwork_core::event::{Event, TIMERS_SYNC_REQUESTED};
use clockwork_durable::record::{lease_key, memo_key, record_key};
use clockwork_queue::Queue;
use clockwork_queue::sqs::SqsQueue;
use clockwork_testkit::faults::Fault;
use clockwork_testkit::moto;
use common::{COOKIE, EMAIL, Site, Source, TOKEN};
use serde_json::{Value, json};

const SERVLET: &str = "POST /plugins/servlet/ac/clockwork-cloud/clockwork-timers";
const PAGES: &str = "GET /timers.json";
const BULK: &str = "GET /rest/api/3/user/bulk";
/// How soon SQS hands out a message again that a killed worker never settled.
const VISIBILITY_SECS: u32 = 1;
const RUN: &str = "killed-run";

/// A `worker-poll` process, killed with SIGKILL when dropped.
struct Worker(Child);

impl Worker {
    fn spawn(site: &Site, queue_url: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_worker-poll"))
            .env_clear()
            .env("REDIS_URL", &site.redis.url)
            .env("SQS_QUEUE_URL", queue_url)
            .env("AWS_ENDPOINT_URL", moto::endpoint())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("JIRA_BASE_URL", site.jira.base_url())
            .env("ATLASSIAN_EMAIL", EMAIL)
            .env("ATLASSIAN_API_TOKEN", TOKEN)
            .env("TIMER_SOURCE", "connect")
            .env("JIRA_FULL_COOKIE", COOKIE)
            .env("CLOCKWORK_REPORT_BASE_URL", site.clockwork.report_base_url())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("worker-poll starts");
        Self(child)
    }

    fn kill(mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("reaped");
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for `done`, failing the test after 30 s.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The worker is killed halfway through a step, so its lease would hold the run for the
/// lease's five minutes: the test lets it lapse at once instead of waiting.
async fn kill_and_let_the_lease_lapse(worker: Worker, site: &Site) {
    worker.kill();
    site.cache.del(&[lease_key(RUN)]).await.expect("DEL");
}

/// Messages on the queue, visible or handed out and not yet settled.
async fn on_the_queue(client: &aws_sdk_sqs::Client, queue_url: &str) -> usize {
    let attributes = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("GetQueueAttributes on moto")
        .attributes
        .unwrap_or_default();
    attributes.values().map(|count| count.parse::<usize>().expect("a count")).sum()
}

async fn memo(site: &Site, step: &str) -> Option<String> {
    site.redis.get(&memo_key(RUN, step)).await
}

#[tokio::test]
async fn a_worker_killed_between_steps_is_redelivered_and_each_effect_happens_once() {
    let site = Site::start(Source::Connect).await;
    site.user("acc-ann", "Ann", Some("ann@example.com"));
    site.user("acc-bob", "Bob", None);
    site.timer("acc-ann", 1);
    site.timer("acc-bob", 2);
    let client = moto::client();
    let queue_url = moto::create_queue(&client, VISIBILITY_SECS).await;
    let queue = SqsQueue::with_client(client.clone(), &queue_url);
    queue.send(&Event::with_id(TIMERS_SYNC_REQUESTED, RUN, json!({}))).await.expect("sent");

    // Killed while fetching the timers: the credential step had finished.
    site.clockwork.inject(PAGES, Fault::Delay(Duration::from_secs(60)), 1);
    let worker = Worker::spawn(&site, &queue_url);
    until("the timers are being fetched", async || site.clockwork.requests(PAGES) == 1).await;
    assert!(memo(&site, "acquire-jwt").await.is_some(), "the credential step is memoized");
    assert!(memo(&site, "fetch-timers").await.is_none());
    kill_and_let_the_lease_lapse(worker, &site).await;

    // Killed while resolving the authors: credential and timers had finished.
    site.jira.inject(BULK, Fault::Delay(Duration::from_secs(60)), 1);
    let worker = Worker::spawn(&site, &queue_url);
    until("the authors are being resolved", async || site.jira.requests(BULK) == 1).await;
    assert!(memo(&site, "fetch-timers").await.is_some(), "the timers step is memoized");
    assert!(site.cached("all").await.is_none(), "nothing is cached before the last step");
    kill_and_let_the_lease_lapse(worker, &site).await;

    // The third delivery finishes the run.
    let worker = Worker::spawn(&site, &queue_url);
    until("the run completes", async || {
        site.redis
            .get(&record_key(RUN))
            .await
            .is_some_and(|record| record.contains("\"completed\""))
    })
    .await;
    until("the message is deleted", async || on_the_queue(&client, &queue_url).await == 0).await;

    assert_eq!(site.jira.requests(SERVLET), 1, "the credential was acquired once");
    assert_eq!(site.clockwork.requests(PAGES), 2, "the killed fetch, then one that finished");
    assert_eq!(site.jira.requests(BULK), 2, "the killed lookup, then one that finished");
    let all = site.cached("all").await.expect("every timer is cached");
    let mut running: Vec<(String, Option<String>)> = all
        .timers
        .iter()
        .map(|t| (t.running_for.clone(), t.author.as_ref().and_then(|a| a.display_name.clone())))
        .collect();
    running.sort();
    assert_eq!(
        running,
        [
            ("acc-ann".to_owned(), Some("Ann".to_owned())),
            ("acc-bob".to_owned(), Some("Bob".into()))
        ]
    );
    assert_eq!(site.cached("acc-ann").await.expect("Ann's key").timers.len(), 1);
    assert_eq!(site.cached("ann@example.com").await.expect("Ann's email key").timers.len(), 1);
    assert_eq!(site.active_users().await, ["acc-ann", "acc-bob"]);
    let record: Value =
        serde_json::from_str(&site.redis.get(&record_key(RUN)).await.expect("record")).unwrap();
    assert_eq!(record["status"], "completed", "{record}");

    // A late duplicate of the finished run is acknowledged without running anything.
    let cached_at = all.cached_at;
    queue.send(&Event::with_id(TIMERS_SYNC_REQUESTED, RUN, json!({}))).await.expect("sent");
    until("the duplicate is acknowledged", async || on_the_queue(&client, &queue_url).await == 0)
        .await;
    drop(worker);
    assert_eq!(site.clockwork.requests(PAGES), 2, "the duplicate fetched nothing");
    assert_eq!(site.cached("all").await.expect("still cached").cached_at, cached_at);
}
