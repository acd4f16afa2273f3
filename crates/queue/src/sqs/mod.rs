//! Amazon SQS, or any SQS-compatible server (`AWS_ENDPOINT_URL`, e.g. moto), two ways:
//!
//! - [`SqsSender`]: what the deployed routes enqueue with. SendMessage and GetQueueAttributes
//!   as AWS JSON 1.0 requests over reqwest, SigV4-signed with the environment's credentials:
//!   no AWS SDK in a route binary, and no SDK configuration to load on its first call.
//! - [`SqsQueue`]: `aws-sdk-sqs`, with the SDK's region and credential chains; the worker's
//!   receive, delete and change-visibility, and its continuations.
//!
//! Both send the same message (the envelope as JSON, its name in [`EVENT_NAME_ATTRIBUTE`]),
//! reach the queue with the same reqwest set-up and judge a failed answer by one rule.

mod sdk;
mod sender;

use std::time::Duration;

pub use sdk::{ReceivedMessage, SqsQueue};
pub use sender::SqsSender;

use clockwork_core::event::Event;

use crate::QueueError;

/// The message attribute carrying the event name, so consumers can route without parsing
/// the body.
pub const EVENT_NAME_ATTRIBUTE: &str = "eventName";

/// The region when none is configured.
const FALLBACK_REGION: &str = "us-east-1";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// SQS signals throttling with 400s, so these codes are matched before the status is.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "KmsThrottled",
];

/// SQS's `DelaySeconds` for `delay`: whole seconds, rounded up, at most [`crate::MAX_DELAY`].
fn delay_seconds(delay: Duration) -> i32 {
    let delay = delay.min(crate::MAX_DELAY);
    let seconds = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

/// The message body: the event envelope as JSON.
fn message_body(event: &Event) -> Result<String, QueueError> {
    serde_json::to_string(event)
        .map_err(|err| QueueError::Rejected(format!("event is not serializable: {err}")))
}

/// The one place deciding whether an error answer is worth retrying: throttling and server
/// errors are, anything else the service refused is not. The text is built from the error
/// code and the service's message, neither of which carries credentials.
fn classify_answer(
    operation: &str,
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
) -> QueueError {
    let code = code.unwrap_or("unknown error");
    let message = message.unwrap_or("no message");
    let text = format!("{operation}: {code}: {message} (HTTP {status})");
    // Query-compatible SQS codes are namespaced, e.g. `AWS.SimpleQueueService.X`.
    let short_code = code.rsplit('.').next().unwrap_or(code);
    if status >= 500 || status == 429 || THROTTLING_CODES.contains(&short_code) {
        QueueError::Unavailable(text)
    } else {
        QueueError::Rejected(text)
    }
}

/// The reqwest client the queue's requests go out on, built now. Building loads the
/// system's root certificates and fails, naming what to fix, when none can be loaded; unless
/// `endpoint_url` speaks plain HTTP (a local SQS server such as moto), where certificates
/// could never be used and loading ~290 of them would only delay the first call by ~10 ms.
pub(crate) fn reqwest_client(endpoint_url: Option<&str>) -> Result<reqwest::Client, QueueError> {
    clockwork_core::tls::install_crypto_provider();
    let builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(60));
    let plain_http = endpoint_url.is_some_and(|url| url.starts_with("http://"));
    let builder = if plain_http { builder.tls_certs_only([]) } else { builder };
    builder
        .build()
        .map_err(|error| QueueError::Unavailable(clockwork_core::tls::setup_failure("SQS", &error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_is_retryable_whatever_its_status_and_namespace() {
        for code in ["ThrottlingException", "AWS.SimpleQueueService.RequestThrottled"] {
            let error = classify_answer("SendMessage", 400, Some(code), Some("slow down"));
            assert!(matches!(error, QueueError::Unavailable(_)), "{code}: {error:?}");
        }
    }

    #[test]
    fn server_errors_are_retryable_and_other_refusals_are_not() {
        let error = classify_answer("SendMessage", 500, Some("InternalError"), None);
        assert!(matches!(error, QueueError::Unavailable(_)), "{error:?}");
        let error = classify_answer(
            "SendMessage",
            400,
            Some("AWS.SimpleQueueService.NonExistentQueue"),
            Some("The specified queue does not exist."),
        );
        let QueueError::Rejected(text) = error else { panic!("{error:?}") };
        assert_eq!(
            text,
            "SendMessage: AWS.SimpleQueueService.NonExistentQueue: The specified queue does \
             not exist. (HTTP 400)"
        );
    }
}
