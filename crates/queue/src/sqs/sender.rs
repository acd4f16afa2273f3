//! SQS for producers: SendMessage and GetQueueAttributes in SQS's AWS JSON 1.0 protocol,
//! signed with SigV4 (`aws-sigv4`, the SDK's own signer) and sent by reqwest.
//!
//! A deployed route only enqueues and pings, and `aws-sdk-sqs` for that was over a megabyte
//! of its binary, with configuration chains to load before its first request. The
//! credentials are the environment's (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, and
//! `AWS_SESSION_TOKEN` for temporary ones): Lambda sets them, a Vercel project is given them;
//! a process that needs the SDK's other sources (a profile, an instance role) uses
//! [`SqsQueue`].
//!
//! What the SDK retried is retried here too, sooner (a route is waiting): throttled and 5xx
//! answers, and connections that could not be opened, at most [`MAX_ATTEMPTS`] times in all.
//! A request that timed out is not: SQS may have taken the message, and the time is spent.
//!
//! [`SqsQueue`]: super::SqsQueue

use std::error::Error;
use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use clockwork_core::config::{Lookup, process_env};
use clockwork_core::event::Event;
use rand::Rng;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use tracing::instrument;

use super::{
    EVENT_NAME_ATTRIBUTE, FALLBACK_REGION, classify_answer, delay_seconds, message_body,
    reqwest_client,
};
use crate::{Queue, QueueError};

/// Attempts of one call, the first included.
const MAX_ATTEMPTS: u32 = 3;
/// The wait before the second attempt; doubled before each further one, with jitter.
const BASE_BACKOFF: Duration = Duration::from_millis(100);
/// One attempt, answer included; SQS answers in milliseconds.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The service name in the signature's scope.
const SIGNING_NAME: &str = "sqs";
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// One queue, addressed by URL, that can be sent to and pinged.
pub struct SqsSender {
    queue_url: String,
    /// `AWS_ENDPOINT_URL`, else the region's SQS endpoint; requests are posted to its root.
    endpoint: String,
    region: String,
    /// What signs the requests, or which variables to set.
    identity: Result<Identity, String>,
    /// Built on first use, so a start-up loads no root certificates; a failure is answered,
    /// and the next call tries again.
    client: OnceCell<reqwest::Client>,
}

/// A failed attempt, and whether another one is worth making.
struct Failure {
    error: QueueError,
    retry: bool,
}

impl SqsSender {
    /// Reads the credentials from the process environment; see [`SqsSender::from_lookup`].
    pub fn from_env(queue_url: &str, region: Option<&str>, endpoint_url: Option<&str>) -> Self {
        Self::from_lookup(queue_url, region, endpoint_url, &process_env)
    }

    /// Does no I/O: the HTTP client is built by the first call. The credentials are read
    /// through `env` now; without them every call fails, naming the variables to set.
    /// `region` falls back to `AWS_DEFAULT_REGION`, then to `us-east-1`, as the SDK's chain
    /// does away from AWS; `endpoint_url` points at a local SQS-compatible server.
    pub fn from_lookup(
        queue_url: &str,
        region: Option<&str>,
        endpoint_url: Option<&str>,
        env: Lookup<'_>,
    ) -> Self {
        let region = region
            .map(str::to_owned)
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| FALLBACK_REGION.to_owned());
        let endpoint = match endpoint_url {
            Some(url) => format!("{}/", url.trim_end_matches('/')),
            None => format!("https://sqs.{region}.amazonaws.com/"),
        };
        Self {
            queue_url: queue_url.to_owned(),
            endpoint,
            region,
            identity: identity(env),
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&reqwest::Client, QueueError> {
        self.client.get_or_try_init(|| async { reqwest_client(Some(&self.endpoint)) }).await
    }

    /// One operation with its JSON input, attempted again while that may help.
    async fn call(&self, operation: &'static str, input: &Value) -> Result<(), QueueError> {
        let identity =
            self.identity.as_ref().map_err(|missing| QueueError::Misconfigured(missing.clone()))?;
        let client = self.client().await?;
        let body = Bytes::from(input.to_string());
        let mut attempt = 1;
        loop {
            let failure = match self.attempt(client, identity, operation, &body).await {
                Ok(()) => return Ok(()),
                Err(failure) => failure,
            };
            if !failure.retry || attempt == MAX_ATTEMPTS {
                return Err(failure.error);
            }
            let (error, wait) = (&failure.error, backoff(attempt));
            let wait_ms = wait.as_millis() as u64;
            tracing::info!(operation, attempt, %error, wait_ms, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        client: &reqwest::Client,
        identity: &Identity,
        operation: &'static str,
        body: &Bytes,
    ) -> Result<(), Failure> {
        let headers = self
            .signed_headers(identity, operation, body)
            .map_err(|error| Failure { error, retry: false })?;
        let response = client
            .post(&self.endpoint)
            .headers(headers)
            .timeout(REQUEST_TIMEOUT)
            .body(body.clone())
            .send()
            .await
            .map_err(|error| Failure {
                // A connection never opened carried nothing; a timed-out request may have.
                retry: error.is_connect() && !error.is_timeout(),
                error: QueueError::Unavailable(format!(
                    "{operation}: {}",
                    clockwork_core::error::cause_chain(&error)
                )),
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        // Read whole, so the connection can carry the next call; a success's answer (the
        // message id, the queue's ARN) is not needed.
        let answer = response.bytes().await.unwrap_or_default();
        if status.is_success() {
            return Ok(());
        }
        let (code, message) = error_details(&headers, &answer);
        let error =
            classify_answer(operation, status.as_u16(), code.as_deref(), message.as_deref());
        let retry = matches!(error, QueueError::Unavailable(_));
        Err(Failure { error, retry })
    }

    /// The headers of one request, signature included; each attempt is signed anew, so its
    /// date stays within the five minutes SQS allows.
    fn signed_headers(
        &self,
        identity: &Identity,
        operation: &str,
        body: &[u8],
    ) -> Result<HeaderMap, QueueError> {
        let unsignable = |error: &(dyn Error + 'static)| {
            QueueError::Rejected(format!(
                "{operation}: cannot sign the request: {}",
                clockwork_core::error::cause_chain(error)
            ))
        };
        let target = format!("AmazonSQS.{operation}");
        // `x-amzn-query-mode` asks for the query-compatible error codes the SDK gets too.
        let fixed = [
            ("content-type", CONTENT_TYPE),
            ("x-amz-target", target.as_str()),
            ("x-amzn-query-mode", "true"),
        ];
        let params = v4::SigningParams::builder()
            .identity(identity)
            .region(&self.region)
            .name(SIGNING_NAME)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|error| unsignable(&error))?
            .into();
        let request = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            fixed.into_iter(),
            SignableBody::Bytes(body),
        )
        .map_err(|error| unsignable(&error))?;
        let (instructions, _signature) =
            sign(request, &params).map_err(|error| unsignable(&error))?.into_parts();
        // Signed in headers, so the query part is empty.
        let (signature, _query) = instructions.into_parts();
        let mut headers = HeaderMap::new();
        for (name, value) in fixed {
            headers.insert(name, HeaderValue::from_str(value).map_err(|error| unsignable(&error))?);
        }
        for header in signature {
            let mut value = HeaderValue::from_str(header.value()).map_err(|e| unsignable(&e))?;
            value.set_sensitive(header.sensitive());
            headers.insert(header.name(), value);
        }
        Ok(headers)
    }
}

#[async_trait]
impl Queue for SqsSender {
    #[instrument(skip_all, fields(queue = %self.queue_url, event = %event.name, id = %event.id))]
    async fn send_after(&self, event: &Event, delay: Duration) -> Result<(), QueueError> {
        let body = message_body(event)?;
        let mut input = json!({
            "QueueUrl": self.queue_url,
            "MessageBody": body,
            "MessageAttributes": {
                EVENT_NAME_ATTRIBUTE: { "DataType": "String", "StringValue": event.name },
            },
        });
        if !delay.is_zero() {
            input["DelaySeconds"] = json!(delay_seconds(delay));
        }
        self.call("SendMessage", &input).await
    }

    #[instrument(skip_all, fields(queue = %self.queue_url))]
    async fn ping(&self) -> Result<(), QueueError> {
        let input = json!({ "QueueUrl": self.queue_url, "AttributeNames": ["QueueArn"] });
        self.call("GetQueueAttributes", &input).await
    }
}

/// Hand-written so that no credential can reach a log line.
impl fmt::Debug for SqsSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let credentials = if self.identity.is_ok() { "from the environment" } else { "missing" };
        f.debug_struct("SqsSender")
            .field("queue_url", &self.queue_url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("credentials", &credentials)
            .finish_non_exhaustive()
    }
}

/// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN` for temporary
/// credentials), or which of the two to set.
fn identity(env: Lookup<'_>) -> Result<Identity, String> {
    match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(key_id), Some(secret)) => {
            let token = env("AWS_SESSION_TOKEN");
            Ok(Credentials::new(key_id, secret, token, None, "environment").into())
        }
        (key_id, secret) => {
            let names = [(key_id, "AWS_ACCESS_KEY_ID"), (secret, "AWS_SECRET_ACCESS_KEY")];
            let missing: Vec<&str> =
                names.iter().filter(|(value, _)| value.is_none()).map(|(_, name)| *name).collect();
            Err(format!(
                "no AWS credentials to sign SQS requests with: set {} (and AWS_SESSION_TOKEN \
                 with temporary credentials)",
                missing.join(" and ")
            ))
        }
    }
}

/// The code and message of an error answer, read as the SDK reads them: the code is the
/// query-compatible one in `x-amzn-query-error` (`AWS.SimpleQueueService.NonExistentQueue;
/// Sender`) when given, else `x-amzn-errortype` or the body's `code` or `__type`
/// (`com.amazonaws.sqs#QueueDoesNotExist`) without its namespace.
fn error_details(headers: &HeaderMap, body: &[u8]) -> (Option<String>, Option<String>) {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let json: Value = serde_json::from_slice(body).unwrap_or_default();
    let field = |names: &[&str]| names.iter().find_map(|name| json[*name].as_str());
    let query_code = header("x-amzn-query-error").and_then(|value| value.split_once(';'));
    let code = match query_code {
        Some((code, _fault)) => Some(code),
        None => header("x-amzn-errortype").or_else(|| field(&["code", "__type"])).map(|code| {
            let code = code.split(':').next().unwrap_or(code);
            code.rsplit('#').next().unwrap_or(code)
        }),
    };
    let message = field(&["message", "Message", "errorMessage"]);
    (code.map(str::to_owned), message.map(str::to_owned))
}

/// A random wait in [step/2, step], the step doubling from [`BASE_BACKOFF`] each attempt.
fn backoff(attempt: u32) -> Duration {
    let step = BASE_BACKOFF.saturating_mul(1 << attempt.saturating_sub(1).min(10));
    let millis = step.as_millis() as u64;
    Duration::from_millis(rand::rng().random_range(millis / 2..=millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUE_URL: &str = "https://sqs.eu-west-2.amazonaws.com/123456789012/jobs";

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, value)| (*value).to_owned())
    }

    #[test]
    fn the_endpoint_is_the_regions_unless_one_is_given() {
        let env = lookup(&[]);
        let sender = SqsSender::from_lookup(QUEUE_URL, Some("eu-west-2"), None, &env);
        assert_eq!(sender.endpoint, "https://sqs.eu-west-2.amazonaws.com/");
        let local = SqsSender::from_lookup(QUEUE_URL, None, Some("http://127.0.0.1:5000/"), &env);
        assert_eq!(local.endpoint, "http://127.0.0.1:5000/");
    }

    #[test]
    fn the_region_falls_back_to_aws_default_region_then_us_east_1() {
        let env = lookup(&[("AWS_DEFAULT_REGION", "ap-south-1")]);
        assert_eq!(SqsSender::from_lookup(QUEUE_URL, None, None, &env).region, "ap-south-1");
        let env = lookup(&[]);
        assert_eq!(SqsSender::from_lookup(QUEUE_URL, None, None, &env).region, "us-east-1");
    }

    #[tokio::test]
    async fn building_the_sender_does_no_io_until_first_use() {
        let env = lookup(&[]);
        let sender = SqsSender::from_lookup(QUEUE_URL, None, None, &env);
        assert!(!sender.client.initialized());
    }

    #[test]
    fn debug_output_shows_no_credentials() {
        let env = lookup(&[
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret-never-shown"),
            ("AWS_SESSION_TOKEN", "token-never-shown"),
        ]);
        let shown = format!("{:?}", SqsSender::from_lookup(QUEUE_URL, None, None, &env));
        assert!(shown.contains("from the environment"), "{shown}");
        for secret in ["AKIDEXAMPLE", "secret-never-shown", "token-never-shown"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn error_codes_are_read_as_the_sdk_reads_them() {
        // moto's shape: both spellings of the message.
        let body =
            br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"no","Message":"no"}"#;
        let mut headers = HeaderMap::new();
        let details = error_details(&headers, body);
        assert_eq!(details, (Some("QueueDoesNotExist".into()), Some("no".into())));
        headers.insert(
            "x-amzn-query-error",
            HeaderValue::from_static("AWS.SimpleQueueService.NonExistentQueue;Sender"),
        );
        let details = error_details(&headers, body);
        assert_eq!(details.0.as_deref(), Some("AWS.SimpleQueueService.NonExistentQueue"));
        assert_eq!(error_details(&HeaderMap::new(), b"<html>"), (None, None));
    }

    #[test]
    fn backoff_doubles_and_stays_jittered() {
        for _ in 0..50 {
            let (first, second) = (backoff(1), backoff(2));
            assert!(first >= BASE_BACKOFF / 2 && first <= BASE_BACKOFF, "{first:?}");
            assert!(second >= BASE_BACKOFF && second <= BASE_BACKOFF * 2, "{second:?}");
        }
    }
}
