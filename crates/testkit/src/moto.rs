//! Queues on the local SQS-compatible server (moto) that `.ci/services` starts.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_sqs::types::{Message, QueueAttributeName};
use aws_smithy_http_client::tls;

/// `AWS_ENDPOINT_URL` when set, else moto's default address.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:5000".to_owned())
}

/// An SQS client configuration for `endpoint` with dummy credentials (`secret_key` lets a
/// test prove a secret never shows), to adjust before building.
pub fn config(endpoint: &str, secret_key: &str) -> aws_sdk_sqs::config::Builder {
    aws_sdk_sqs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("test", secret_key, None, None, "testkit"))
        .http_client(http_client())
}

/// Dummy credentials as the environment would hold them (`AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`), for a client that reads its own: a configuration lookup.
pub fn credentials(name: &str) -> Option<String> {
    matches!(name, "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY").then(|| "test".to_owned())
}

/// An SQS client for moto with dummy credentials.
pub fn client() -> Client {
    Client::from_conf(config(&endpoint(), "test").build())
}

/// The SDK's HTTP client over rustls with *ring*, as the queue crate builds it.
fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::rustls(tls::rustls_provider::CryptoMode::Ring))
        .build_https()
}

/// A fresh queue of one's own, so tests share moto and still run in parallel.
///
/// # Panics
/// When moto does not answer, with how to start it.
pub async fn create_queue(client: &Client, visibility_timeout_secs: u32) -> String {
    let name = format!("clockwork-test-{}", uuid::Uuid::new_v4());
    let created = client
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, visibility_timeout_secs.to_string())
        .send()
        .await;
    match created {
        Ok(output) => output.queue_url.unwrap_or_default(),
        Err(err) => panic!(
            "cannot create a test queue on the SQS server at {} ({}). These tests need moto: \
             run `.ci/services` (or set AWS_ENDPOINT_URL).",
            endpoint(),
            aws_sdk_sqs::error::DisplayErrorContext(&err),
        ),
    }
}

/// The one message waiting on the queue, attributes included, read with the raw SDK (so
/// independently of the queue crate's clients), waiting up to a second for it.
///
/// # Panics
/// When the queue holds no message, or more than one.
pub async fn receive_one(client: &Client, queue_url: &str) -> Message {
    let output = client
        .receive_message()
        .queue_url(queue_url)
        .message_attribute_names("All")
        .wait_time_seconds(1)
        .send()
        .await
        .expect("ReceiveMessage on moto");
    let mut messages = output.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1, "{messages:?}");
    messages.remove(0)
}

/// Every message waiting on the queue (bodies), received and deleted.
pub async fn drain(client: &Client, queue_url: &str) -> Vec<String> {
    let mut bodies = Vec::new();
    loop {
        let output = client
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .expect("ReceiveMessage on moto");
        let messages = output.messages.unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        for message in messages {
            if let Some(handle) = message.receipt_handle() {
                client
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("DeleteMessage on moto");
            }
            bodies.extend(message.body);
        }
    }
}
