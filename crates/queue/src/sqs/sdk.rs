//! SQS through `aws-sdk-sqs`, with the SDK's region and credential chains.
//!
//! The worker uses [`SqsQueue::receive`], [`SqsQueue::delete`] and
//! [`SqsQueue::change_visibility`], and the [`Queue`] impl for its continuations.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::config::Region;
use aws_sdk_sqs::config::http::HttpResponse;
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName};
use clockwork_core::event::Event;
use tokio::sync::OnceCell;
use tracing::instrument;

use super::{EVENT_NAME_ATTRIBUTE, FALLBACK_REGION, classify_answer, delay_seconds, message_body};
use crate::{Queue, QueueError};

/// One queue, addressed by URL.
pub struct SqsQueue {
    queue_url: String,
    region: Option<String>,
    endpoint_url: Option<String>,
    /// Built on first use: loading the SDK's configuration chain may reach the instance
    /// metadata service, and its HTTP client loads the root certificates; neither belongs
    /// in a Lambda or Vercel cold start.
    client: OnceCell<Client>,
}

/// A message taken from the queue; it stays invisible until deleted or its visibility
/// timeout ends, then it is delivered again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMessage {
    /// The event envelope as JSON.
    pub body: String,
    /// Needed to delete the message or change its visibility; valid for this delivery only.
    pub receipt_handle: String,
    pub message_id: String,
    /// How many times SQS has handed this message out, this delivery included.
    pub receive_count: u32,
}

impl SqsQueue {
    /// Does no I/O: the client is built when first needed. `region` falls back to the SDK's
    /// chain, then to `us-east-1`; `endpoint_url` points at a local SQS-compatible server.
    pub fn new(queue_url: &str, region: Option<&str>, endpoint_url: Option<&str>) -> Self {
        Self {
            queue_url: queue_url.to_owned(),
            region: region.map(str::to_owned),
            endpoint_url: endpoint_url.map(str::to_owned),
            client: OnceCell::new(),
        }
    }

    /// Uses a client configured elsewhere (tests, or a process that already has one).
    pub fn with_client(client: Client, queue_url: &str) -> Self {
        Self {
            queue_url: queue_url.to_owned(),
            region: None,
            endpoint_url: None,
            client: OnceCell::new_with(Some(client)),
        }
    }

    /// The SDK client, built now if this is the first call; a failure (no root
    /// certificates) is answered, and the next call tries again.
    async fn client(&self) -> Result<&Client, QueueError> {
        self.client
            .get_or_try_init(|| async {
                // The loader's own chains (region, credentials) get the HTTP client too: the
                // SDK has no default one to fall back on, and would panic without it.
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .http_client(crate::sdk_http::http_client(self.endpoint_url.as_deref())?);
                if let Some(region) = &self.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                if let Some(endpoint_url) = &self.endpoint_url {
                    loader = loader.endpoint_url(endpoint_url);
                }
                let shared = loader.load().await;
                let mut config = aws_sdk_sqs::config::Builder::from(&shared);
                if shared.region().is_none() {
                    config = config.region(Region::from_static(FALLBACK_REGION));
                }
                Ok(Client::from_conf(config.build()))
            })
            .await
    }

    /// Long-polls for up to `wait_secs` (0–20) and returns at most `max` (1–10) messages.
    #[instrument(skip_all, fields(queue = %self.queue_url))]
    pub async fn receive(
        &self,
        max: i32,
        wait_secs: i32,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let output = self
            .client()
            .await?
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(max)
            .wait_time_seconds(wait_secs)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|err| classify("ReceiveMessage", err))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| {
                let receive_count = message
                    .attributes
                    .as_ref()
                    .and_then(|attributes| {
                        attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount)
                    })
                    .and_then(|count| count.parse().ok())
                    // A message in hand has been received at least this once.
                    .unwrap_or(1);
                ReceivedMessage {
                    body: message.body.unwrap_or_default(),
                    receipt_handle: message.receipt_handle.unwrap_or_default(),
                    message_id: message.message_id.unwrap_or_default(),
                    receive_count,
                }
            })
            .collect())
    }

    /// Acknowledges a processed message so it is never delivered again.
    #[instrument(skip_all, fields(queue = %self.queue_url))]
    pub async fn delete(&self, receipt_handle: &str) -> Result<(), QueueError> {
        self.client()
            .await?
            .delete_message()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|err| classify("DeleteMessage", err))?;
        Ok(())
    }

    /// Sets when an undeleted message comes back: the worker's back-off between retries
    /// (0 makes it visible again at once).
    #[instrument(skip_all, fields(queue = %self.queue_url, secs))]
    pub async fn change_visibility(
        &self,
        receipt_handle: &str,
        secs: i32,
    ) -> Result<(), QueueError> {
        self.client()
            .await?
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(secs)
            .send()
            .await
            .map_err(|err| classify("ChangeMessageVisibility", err))?;
        Ok(())
    }
}

#[async_trait]
impl Queue for SqsQueue {
    #[instrument(skip_all, fields(queue = %self.queue_url, event = %event.name, id = %event.id))]
    async fn send_after(&self, event: &Event, delay: Duration) -> Result<(), QueueError> {
        let body = message_body(event)?;
        let event_name = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(&event.name)
            .build()
            .map_err(|err| QueueError::Rejected(format!("event name attribute: {err}")))?;
        self.client()
            .await?
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes(EVENT_NAME_ATTRIBUTE, event_name)
            .delay_seconds(delay_seconds(delay))
            .send()
            .await
            .map_err(|err| classify("SendMessage", err))?;
        Ok(())
    }

    #[instrument(skip_all, fields(queue = %self.queue_url))]
    async fn ping(&self) -> Result<(), QueueError> {
        self.client()
            .await?
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(|err| classify("GetQueueAttributes", err))?;
        Ok(())
    }
}

/// Hand-written so that no configuration (credentials included) can reach a log line.
impl fmt::Debug for SqsQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsQueue")
            .field("queue_url", &self.queue_url)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

/// What an SDK failure means: answers by [`classify_answer`]; requests that could not be
/// built are rejected, anything else that kept an answer away is worth retrying. The SDK has
/// already retried transient failures by the time this sees them.
fn classify<E>(operation: &str, err: SdkError<E, HttpResponse>) -> QueueError
where
    E: ProvideErrorMetadata + Error + 'static,
{
    match &err {
        SdkError::ServiceError(service) => classify_answer(
            operation,
            service.raw().status().as_u16(),
            service.err().code(),
            service.err().message(),
        ),
        SdkError::ConstructionFailure(_) => QueueError::Rejected(format!(
            "{operation}: {}",
            clockwork_core::error::cause_chain(&err)
        )),
        SdkError::DispatchFailure(dispatch) if dispatch.is_user() => QueueError::Rejected(format!(
            "{operation}: {}",
            clockwork_core::error::cause_chain(&err)
        )),
        _ => QueueError::Unavailable(format!(
            "{operation}: {}",
            clockwork_core::error::cause_chain(&err)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn building_the_queue_does_no_io_until_first_use() {
        let queue =
            SqsQueue::new("http://127.0.0.1:1/000000000000/q", None, Some("http://127.0.0.1:1"));
        assert!(!queue.client.initialized());
    }

    #[tokio::test]
    async fn a_given_region_wins_over_the_sdk_chain() {
        let queue = SqsQueue::new("http://127.0.0.1:1/000000000000/q", Some("eu-west-2"), None);
        let region = queue.client().await.unwrap().config().region().map(Region::to_string);
        assert_eq!(region.as_deref(), Some("eu-west-2"));
    }
}
