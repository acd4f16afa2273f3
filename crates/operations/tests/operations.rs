//! The operations' rules against the fake Jira, each on both databases, with the clock in the
//! test's hands: scheduled runs through the tick and the worker's durable function, the
//! telemetry ladder, and alerts received by a real HTTP receiver and a real SMTP server.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use clockwork_cache::memory::MemoryCache;
use clockwork_clients::HttpOptions;
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_core::config::JiraConfig;
use clockwork_core::event::Event;
use clockwork_durable::Engine;
use clockwork_jira_sync::{ProjectSync, SyncEngine, SyncOptions};
use clockwork_notify::{
    Channel, EmailChannel, EmailConfig, Notifier, RetryPolicy, WebhookChannel, http_client,
};
use clockwork_operations::{Operations, OperationsConfig, Scheduler, Triggered};
use clockwork_queue::Queue;
use clockwork_queue::in_process::{InProcessQueue, Receiver};
use clockwork_store::{JobStatus, LogLevel, Store, StoreConfig};
use clockwork_testkit::databases::{Kind, with_database};
use clockwork_testkit::faults::Fault;
use clockwork_testkit::jira::FakeJira;
use clockwork_testkit::on_both_databases;
use clockwork_testkit::receiver::WebhookReceiver;
use clockwork_testkit::smtp::SmtpSink;
use secrecy::SecretString;

const SEARCH: &str = "POST /rest/api/3/search/jql";
const PROJECT: &str = "KAN";
/// 2026-12-03T10:00:00Z: the clock every world starts at.
const T0: i64 = 1_796_292_000_000;

struct World {
    jira: FakeJira,
    store: Store,
    clock: Arc<AtomicI64>,
    operations: Operations,
    engine: Engine,
    receiver: tokio::sync::Mutex<Receiver>,
    /// A run that failed retryably: the queue delivers it again, under its lease.
    redelivery: tokio::sync::Mutex<Option<Event>>,
    hooks: WebhookReceiver,
    smtp: Option<SmtpSink>,
}

impl World {
    /// A fake Jira with KAN seeded and tracked, a store on a fresh database of `kind`, and
    /// alerts sent to a webhook receiver (and to a real SMTP server with `with_email`).
    async fn start<F, Fut>(kind: Kind, with_email: bool, rule: F)
    where
        F: FnOnce(World) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        with_database(kind, move |database| async move {
            let jira = FakeJira::start("bot@acme.example", "token").await;
            jira.seed_project(PROJECT, 30, 2, 1);
            let config = JiraConfig {
                base_url: jira.base_url().parse().expect("URL"),
                email: "bot@acme.example".into(),
                api_token: SecretString::from("token"),
            };
            // A Retry-After past 50 ms is not waited for: a rate-limited run fails at once.
            let http = HttpOptions {
                base_backoff: Duration::from_millis(5),
                max_retry_wait: Duration::from_millis(50),
                ..DataOptions::default().http
            };
            let client = Arc::new(JiraDataClient::new(
                &config,
                DataOptions { http, ..DataOptions::default() },
            ));
            let clock = Arc::new(AtomicI64::new(T0));
            let now = Arc::clone(&clock);
            let store = Store::connect(&StoreConfig::new(&database.url).expect("config"))
                .await
                .expect("connect")
                .with_clock(Arc::new(move || now.load(Ordering::SeqCst)));
            store.migrate().await.expect("migrate");

            let hooks = WebhookReceiver::start().await.expect("receiver");
            let client_http = http_client().expect("HTTP client");
            let mut channels: Vec<Arc<dyn Channel>> = vec![Arc::new(WebhookChannel::new(
                SecretString::from(hooks.url("/alerts")),
                client_http,
            ))];
            let smtp =
                if with_email { Some(SmtpSink::start().await.expect("SMTP server")) } else { None };
            if let Some(smtp) = &smtp {
                let email = EmailConfig {
                    smtp_url: SecretString::from(smtp.url()),
                    from: "Clockwork <alerts@acme.example>".into(),
                    to: vec!["admin@acme.example".into()],
                    cc: Vec::new(),
                    bcc: Vec::new(),
                };
                channels.push(Arc::new(EmailChannel::new(email).expect("email channel")));
            }
            let (queue, receiver) = InProcessQueue::new();
            let queue: Arc<dyn Queue> = Arc::new(queue);
            let settings = OperationsConfig::from_lookup(&|_| None).expect("defaults");
            let retry = RetryPolicy { attempts: 2, base_delay: Duration::from_millis(1) };
            let notifier = Arc::new(Notifier::new(channels).with_retry(retry));
            let site = "acme.atlassian.net".to_owned();
            let operations = Operations::new(&settings, store.clone(), Some(queue), notifier, site);
            let sync = SyncEngine::new(client, store.clone(), SyncOptions::default())
                .with_observer(operations.telemetry.clone());
            let engine = Engine::new(Arc::new(MemoryCache::new()))
                .register(Arc::new(ProjectSync::new(Arc::new(sync))));
            operations.controls.track(PROJECT, "10000", "Kanban").await.expect("track");
            let world = World {
                jira,
                store,
                clock,
                operations,
                engine,
                receiver: receiver.into(),
                redelivery: None.into(),
                hooks,
                smtp,
            };
            rule(world).await;
            drop(database);
        })
        .await;
    }

    fn scheduler(&self) -> &Scheduler {
        self.operations.scheduler.as_ref().expect("a queue")
    }

    /// Moves the clock to the project's next scheduled run and runs what comes then, as
    /// the worker would: the queue's redelivery of a run that failed retryably (it still
    /// holds the project), else what the tick starts. How many runs it ran.
    async fn next_scheduled_run(&self) -> usize {
        let job = self.store.sync_job(PROJECT).await.expect("job").expect("a schedule");
        self.clock.store(job.next_run_ms.expect("a next run"), Ordering::SeqCst);
        let redelivery = self.redelivery.lock().await.take();
        match redelivery {
            Some(event) => {
                self.handle(event).await;
                1
            }
            None => self.tick().await,
        }
    }

    async fn tick(&self) -> usize {
        let report = self.scheduler().tick_now().await.expect("tick");
        for _ in &report.started {
            self.run_enqueued().await;
        }
        report.started.len()
    }

    /// Runs the next enqueued sync as the worker would.
    async fn run_enqueued(&self) {
        let event = self.receiver.lock().await.recv().await.expect("an enqueued run");
        self.handle(event).await;
    }

    async fn handle(&self, event: Event) {
        if self.engine.handle(&event).await.should_retry() {
            *self.redelivery.lock().await = Some(event);
        }
    }

    async fn job(&self) -> clockwork_store::SyncJob {
        self.store.sync_job(PROJECT).await.expect("job").expect("a schedule")
    }

    async fn counts(&self) -> (i64, i64, i64) {
        let counts = self.store.counts().await.expect("counts");
        (counts.issues, counts.comments, counts.worklogs)
    }
}

async fn run_rule<F, Fut>(kind: Kind, rule: F)
where
    F: FnOnce(World) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    World::start(kind, false, rule).await;
}

on_both_databases! { run_rule, World;
    async fn a_tracked_project_runs_on_its_schedule_and_only_when_due(world) {
        let job = world.job().await;
        assert_eq!((job.cron.as_str(), job.status), ("*/15 * * * *", JobStatus::Active));
        assert_eq!(job.next_run_ms, Some(T0 + 15 * 60_000), "the next quarter hour");
        assert_eq!(world.tick().await, 0, "not due yet");
        assert_eq!(world.next_scheduled_run().await, 1);
        assert_eq!(world.counts().await, (30, 60, 30));
        assert_eq!(world.tick().await, 0, "the same due run is not started twice");
        assert_eq!(world.job().await.next_run_ms, Some(T0 + 30 * 60_000));
    }

    async fn failing_runs_move_down_the_ladder_once_per_three_and_recover_after_one_success(world) {
        assert_eq!(world.next_scheduled_run().await, 1);
        let ingested = world.counts().await;
        // Two rejected credentials, then two runs of a suspended site: never three of a kind.
        for _ in 0..2 {
            world.jira.inject(SEARCH, Fault::Status(401), 1);
            world.next_scheduled_run().await;
        }
        world.jira.set_license_plan("UNLICENSED");
        for _ in 0..2 {
            world.next_scheduled_run().await;
        }
        world.jira.set_license_plan("PAID");
        let job = world.job().await;
        assert_eq!((job.backoff_rung, job.consecutive_failures, job.status), (0, 4, JobStatus::Active));
        assert_eq!(job.last_error_code.as_deref(), Some("SUSPENDED_PAYMENT"));
        assert!(world.hooks.received().is_empty(), "no alert without a move");

        // Three rate-limited runs in a row: one rung down, one alert.
        for _ in 0..3 {
            world.jira.inject(SEARCH, Fault::RateLimited { retry_after_secs: 60 }, 1);
            world.next_scheduled_run().await;
        }
        let job = world.job().await;
        assert_eq!((job.backoff_rung, job.cron.as_str()), (1, "0 * * * *"));
        assert_eq!(job.original_cron, "*/15 * * * *");
        assert_eq!(job.backoff_reason.as_deref(), Some("3 runs in a row failed with RATE_LIMIT"));
        let next = chrono::DateTime::from_timestamp_millis(job.next_run_ms.unwrap()).unwrap();
        assert_eq!(next.format("%M").to_string(), "00", "on the hour: {next}");
        let alerts = world.hooks.wait_for(1).await;
        assert_eq!(alerts.len(), 1);
        let alert = &alerts[0].json;
        assert!(alert["subject"].as_str().unwrap().contains("KAN") && alert["subject"].as_str().unwrap().contains("RATE_LIMIT"), "{alert}");
        assert_eq!(alert["facts"]["Error code"], "RATE_LIMIT");
        assert_eq!(alert["facts"]["Site"], "acme.atlassian.net");
        assert!(alert["facts"]["What to do"].as_str().unwrap().contains("throttling"), "{alert}");
        let logs = world.store.sync_logs(PROJECT, 20).await.unwrap();
        let move_log = logs.iter().find(|log| log.message.starts_with("backing off")).expect("logged");
        assert_eq!((move_log.level, move_log.details.as_ref().unwrap()["code"].as_str()), (LogLevel::Error, Some("RATE_LIMIT")));

        // Three more: the next rung, one more alert.
        for _ in 0..3 {
            world.jira.inject(SEARCH, Fault::RateLimited { retry_after_secs: 60 }, 1);
            world.next_scheduled_run().await;
        }
        assert_eq!((world.job().await.backoff_rung, world.job().await.cron), (2, "0 */6 * * *".to_owned()));
        assert_eq!(world.hooks.wait_for(2).await.len(), 2);

        // New work on the site, then one success: the original cron, a recovered alert, and
        // everything ingested before still there, once.
        world.jira.seed_project("KAN", 0, 0, 0);
        assert_eq!(world.next_scheduled_run().await, 1);
        let job = world.job().await;
        assert_eq!((job.backoff_rung, job.cron.as_str(), job.consecutive_failures), (0, "*/15 * * * *", 0));
        let alerts = world.hooks.wait_for(3).await;
        assert_eq!(alerts.len(), 3);
        assert!(alerts[2].json["subject"].as_str().unwrap().contains("recovered"), "{}", alerts[2].json);
        assert_eq!(world.counts().await, ingested);
        let counts = world.store.counts().await.unwrap();
        assert_eq!((counts.issues_deleted, counts.comments_deleted, counts.worklogs_deleted), (0, 0, 0));
    }

    async fn a_permanent_failure_stops_the_schedule_until_an_admin_acts(world) {
        for _ in 0..3 {
            world.jira.inject(SEARCH, Fault::Status(401), 1);
            world.next_scheduled_run().await;
        }
        let job = world.job().await;
        assert_eq!((job.status, job.last_error_code.as_deref()), (JobStatus::Error, Some("AUTH_EXPIRED")));
        let alerts = world.hooks.wait_for(1).await;
        assert!(alerts[0].json["facts"]["What to do"].as_str().unwrap().contains("API token"), "{}", alerts[0].json);
        // No more scheduled runs, whatever the time.
        world.clock.fetch_add(24 * 3_600_000, Ordering::SeqCst);
        assert_eq!(world.tick().await, 0);
        // A trigger still runs; failing again it sends no second alert.
        world.jira.inject(SEARCH, Fault::Status(401), 1);
        assert_eq!(world.operations.controls.trigger(PROJECT, false, &[]).await.unwrap(), Triggered::Started);
        world.run_enqueued().await;
        assert_eq!(world.hooks.received().len(), 1);
        // The token is fixed; the admin resumes and triggers: recovered.
        world.operations.controls.start(PROJECT, false).await.unwrap();
        world.run_enqueued().await;
        assert_eq!(world.job().await.status, JobStatus::Active);
        assert_eq!(world.hooks.wait_for(2).await.len(), 2);
    }

    async fn an_undelivered_alert_is_retried_then_logged_with_the_channels_failure_count(world) {
        world.hooks.fail_next(2, 503, "unavailable");
        for _ in 0..3 {
            world.jira.inject(SEARCH, Fault::Status(401), 1);
            world.next_scheduled_run().await;
        }
        let attempts = world.hooks.wait_for(2).await;
        assert_eq!(attempts.len(), 2, "two attempts, then given up");
        let logs = world.store.sync_logs(PROJECT, 10).await.unwrap();
        let undelivered = logs.iter().find(|log| log.message.starts_with("alert not delivered")).expect("logged");
        let details = undelivered.details.as_ref().unwrap();
        assert_eq!((undelivered.level, details["channel"].as_str()), (LogLevel::Warn, Some("webhook")));
        assert_eq!((details["failures"].as_u64(), details["retryable"].as_bool()), (Some(1), Some(true)));
    }

    async fn pause_resume_and_reschedule_change_what_the_tick_starts(world) {
        let controls = world.operations.controls.clone();
        controls.pause(PROJECT).await.unwrap();
        world.clock.fetch_add(3_600_000, Ordering::SeqCst);
        assert_eq!(world.tick().await, 0, "paused");
        let job = controls.resume(PROJECT).await.unwrap();
        assert_eq!(world.tick().await, 0, "resuming fires no run");
        assert!(job.next_run_ms.unwrap() > world.clock.load(Ordering::SeqCst));
        let error = controls.reschedule(PROJECT, "0 24 * * *").await.unwrap_err();
        assert_eq!(error.code(), "INVALID_CRON");
        assert!(error.to_string().contains("hour"), "{error}");
        let job = controls.reschedule(PROJECT, "30 9 * * 1").await.unwrap();
        assert_eq!((job.cron.as_str(), job.original_cron.as_str()), ("30 9 * * 1", "30 9 * * 1"));
        let next = chrono::DateTime::from_timestamp_millis(job.next_run_ms.unwrap()).unwrap();
        assert_eq!(next.format("%a %H:%M").to_string(), "Mon 09:30");
        assert_eq!(controls.trigger("NOPE", false, &[]).await.unwrap_err().code(), "NOT_TRACKED");
    }

    async fn a_tick_and_a_trigger_never_start_a_run_while_one_holds_the_project(world) {
        let controls = world.operations.controls.clone();
        assert!(world.store.try_lease(PROJECT, "another-host", Duration::from_secs(7200)).await.unwrap());
        assert_eq!(controls.trigger(PROJECT, true, &[]).await.unwrap(), Triggered::AfterRunInProgress);
        world.clock.fetch_add(3_600_000, Ordering::SeqCst);
        assert_eq!(world.tick().await, 0);
        world.store.release_lease(PROJECT, "another-host").await.unwrap();
        assert_eq!(world.tick().await, 1, "the trigger was kept, not lost");
        assert_eq!(world.counts().await, (30, 60, 30));
    }
}

/// Two ticks at once, on two connections of their own: every due run is started once.
mod racing_ticks {
    use super::*;

    async fn race(kind: Kind) {
        with_database(kind, |database| async move {
            let connect = || async {
                let store =
                    Store::connect(&StoreConfig::new(&database.url).unwrap()).await.unwrap();
                store.with_clock(Arc::new(|| T0))
            };
            let store = connect().await;
            store.migrate().await.unwrap();
            for n in 0..200 {
                let key = format!("P{n}");
                store.track_project(&key, &n.to_string(), "Project").await.unwrap();
                store.create_sync_job(&key, "*/15 * * * *", Some(T0 - 1)).await.unwrap();
            }
            let fallback = clockwork_operations::Schedule::parse("*/15 * * * *").unwrap();
            let (queue, mut receiver) = InProcessQueue::new();
            let queue: Arc<dyn Queue> = Arc::new(queue);
            let first = Scheduler::new(connect().await, queue.clone(), fallback.clone());
            let second = Scheduler::new(connect().await, queue, fallback);
            let (a, b) = tokio::join!(first.tick(T0), second.tick(T0));
            let (a, b) = (a.unwrap(), b.unwrap());
            assert_eq!(
                a.started.len() + b.started.len(),
                200,
                "{} + {}",
                a.started.len(),
                b.started.len()
            );
            drop((first, second));
            let mut keys = Vec::new();
            while let Some(event) = receiver.recv().await {
                keys.push(event.data["projectKey"].as_str().unwrap().to_owned());
            }
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), 200, "each due run enqueued once");
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_ticks_start_each_due_run_once_on_sqlite() {
        race(Kind::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_ticks_start_each_due_run_once_on_postgres() {
        race(Kind::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_alert_tells_the_admin_what_to_do() {
    World::start(Kind::Sqlite, true, |world| async move {
        for _ in 0..3 {
            world.jira.inject(SEARCH, Fault::Status(401), 1);
            world.next_scheduled_run().await;
        }
        let smtp = world.smtp.as_ref().expect("SMTP");
        let mail = smtp.wait_for(1).await;
        assert_eq!(mail.len(), 1, "one email for one move");
        let subject = mail[0].subject().unwrap();
        assert!(subject.contains("KAN") && subject.contains("AUTH_EXPIRED"), "{subject}");
        let text = mail[0].text_body().unwrap();
        assert!(
            text.contains("acme.atlassian.net") && text.contains("ATLASSIAN_API_TOKEN"),
            "{text}"
        );
        let html = mail[0].html_body().unwrap();
        assert!(html.contains("AUTH_EXPIRED") && html.contains("What to do"), "{html}");
    })
    .await;
}
