//! The SQS backend against a real SQS-compatible server: moto, started by `.ci/services`.
//! Each test makes its own queue, so tests share one server and run in parallel.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sqs::config::retry::RetryConfig;
use aws_sdk_sqs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_sqs::error::BoxError;
use clockwork_core::event::{Event, PROJECT_SYNC_REQUESTED, TIMERS_SYNC_REQUESTED};
use clockwork_queue::sqs::{EVENT_NAME_ATTRIBUTE, SqsQueue};
use clockwork_queue::{Queue, QueueError};
use clockwork_testkit::moto;
use serde_json::{Value, json};

/// Distinctive so a test can prove it never appears in an error message.
const SECRET_KEY: &str = "test-secret-never-shown";

fn config(endpoint: &str) -> aws_sdk_sqs::config::Builder {
    moto::config(endpoint, SECRET_KEY).http_client(
        clockwork_queue::sdk_http::http_client(Some(endpoint)).expect("an HTTP client"),
    )
}

fn moto_client() -> Client {
    Client::from_conf(config(&moto::endpoint()).build())
}

/// Counts transmission attempts, retries included.
#[derive(Debug, Default, Clone)]
struct CountAttempts(Arc<AtomicUsize>);

impl Intercept for CountAttempts {
    fn name(&self) -> &'static str {
        "CountAttempts"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn sent_event_arrives_as_the_envelope_json() {
    let client = moto_client();
    let url = moto::create_queue(&client, 30).await;
    let queue = SqsQueue::with_client(client.clone(), &url);
    let event = Event::with_id(
        PROJECT_SYNC_REQUESTED,
        "run-42",
        json!({"projectKey": "ABC", "full": true}),
    );

    queue.send(&event).await.expect("send");

    let body: Value =
        serde_json::from_str(&moto::receive_one(&client, &url).await.body.expect("a body"))
            .expect("JSON");
    assert_eq!(
        body,
        json!({
            "name": "jira/project.sync.requested",
            "id": "run-42",
            "data": {"projectKey": "ABC", "full": true},
        })
    );
}

#[tokio::test]
async fn event_name_travels_as_a_message_attribute() {
    let client = moto_client();
    let url = moto::create_queue(&client, 30).await;
    let queue = SqsQueue::with_client(client.clone(), &url);

    queue.send(&Event::new(TIMERS_SYNC_REQUESTED, json!({}))).await.expect("send");

    let message = moto::receive_one(&client, &url).await;
    let attributes = message.message_attributes.expect("message attributes");
    let name = attributes.get(EVENT_NAME_ATTRIBUTE).expect("eventName attribute");
    assert_eq!(EVENT_NAME_ATTRIBUTE, "eventName");
    assert_eq!(name.data_type, "String");
    assert_eq!(name.string_value.as_deref(), Some(TIMERS_SYNC_REQUESTED));
}

#[tokio::test]
async fn missing_queue_is_rejected_not_retried() {
    let client = moto_client();
    // A request to moto proves it is up, so the rejection below is about the queue alone.
    moto::create_queue(&client, 30).await;
    let attempts = CountAttempts::default();
    let counted =
        Client::from_conf(config(&moto::endpoint()).interceptor(attempts.clone()).build());
    let missing = format!("{}/000000000000/missing-{}", moto::endpoint(), uuid::Uuid::new_v4());
    let queue = SqsQueue::with_client(counted, &missing);

    let err = queue.send(&Event::new(TIMERS_SYNC_REQUESTED, json!({}))).await.unwrap_err();

    assert!(matches!(err, QueueError::Rejected(_)), "{err:?}");
    assert_eq!(attempts.0.load(Ordering::SeqCst), 1, "a rejected send must not be retried");
    assert!(!err.to_string().contains(SECRET_KEY), "{err}");
    assert!(matches!(queue.ping().await, Err(QueueError::Rejected(_))));
}

#[tokio::test]
async fn unreachable_endpoint_is_unavailable() {
    // Nothing listens on port 1. The SDK's own retries are turned off only to keep this fast.
    let client = Client::from_conf(
        config("http://127.0.0.1:1").retry_config(RetryConfig::disabled()).build(),
    );
    let queue = SqsQueue::with_client(client, "http://127.0.0.1:1/000000000000/nowhere");

    let err = queue.send(&Event::new(TIMERS_SYNC_REQUESTED, json!({}))).await.unwrap_err();

    assert!(matches!(err, QueueError::Unavailable(_)), "{err:?}");
    assert!(!err.to_string().contains(SECRET_KEY), "{err}");
    assert!(matches!(queue.ping().await, Err(QueueError::Unavailable(_))));
}

#[tokio::test]
async fn ping_succeeds_on_an_existing_queue() {
    let client = moto_client();
    let url = moto::create_queue(&client, 30).await;

    SqsQueue::with_client(client, &url).ping().await.expect("ping");
}

#[tokio::test]
async fn receive_reports_the_receive_count() {
    let client = moto_client();
    let url = moto::create_queue(&client, 30).await;
    let queue = SqsQueue::with_client(client, &url);
    let event = Event::with_id(TIMERS_SYNC_REQUESTED, "run-7", json!({}));
    queue.send(&event).await.expect("send");

    let first = queue.receive(10, 1).await.expect("receive");
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].receive_count, 1);
    let received: Event = serde_json::from_str(&first[0].body).expect("envelope JSON");
    assert_eq!(received, event);

    // Without this the 30 s visibility timeout would hide the message from the next receive.
    queue.change_visibility(&first[0].receipt_handle, 0).await.expect("change visibility");
    let second = queue.receive(10, 1).await.expect("receive");
    assert_eq!(second.len(), 1, "{second:?}");
    assert_eq!(second[0].message_id, first[0].message_id);
    assert_eq!(second[0].receive_count, 2);
}

#[tokio::test]
async fn deleted_message_is_not_redelivered() {
    let client = moto_client();
    // A zero visibility timeout redelivers an undeleted message on the very next receive.
    let url = moto::create_queue(&client, 0).await;
    let queue = SqsQueue::with_client(client, &url);
    queue.send(&Event::new(TIMERS_SYNC_REQUESTED, json!({}))).await.expect("send");

    let first = queue.receive(10, 1).await.expect("receive");
    assert_eq!(first.len(), 1, "{first:?}");
    let again = queue.receive(10, 1).await.expect("receive");
    assert_eq!(again.len(), 1, "an undeleted message comes back: {again:?}");

    queue.delete(&again[0].receipt_handle).await.expect("delete");
    assert_eq!(queue.receive(10, 0).await.expect("receive"), vec![]);
}
