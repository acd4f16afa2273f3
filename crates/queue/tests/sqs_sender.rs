//! The routes' SQS client: against moto (`.ci/services` starts it), read back with the SDK;
//! and against a scripted stand-in for SQS on port 0 for what moto cannot be made to do
//! (throttle, fail) and to see the requests as they arrive.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use clockwork_core::event::{Event, PROJECT_SYNC_REQUESTED, TIMERS_SYNC_REQUESTED};
use clockwork_queue::sqs::{EVENT_NAME_ATTRIBUTE, SqsQueue, SqsSender};
use clockwork_queue::{Queue, QueueError};
use clockwork_testkit::moto;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

const KEY_ID: &str = "AKIDTEST";
/// Distinctive so a test can prove it never appears in a header or an error message.
const SECRET_KEY: &str = "sender-secret-never-shown";
const SESSION_TOKEN: &str = "sender-session-token";

fn credentials(name: &str) -> Option<String> {
    match name {
        "AWS_ACCESS_KEY_ID" => Some(KEY_ID.to_owned()),
        "AWS_SECRET_ACCESS_KEY" => Some(SECRET_KEY.to_owned()),
        _ => None,
    }
}

fn temporary_credentials(name: &str) -> Option<String> {
    match name {
        "AWS_SESSION_TOKEN" => Some(SESSION_TOKEN.to_owned()),
        _ => credentials(name),
    }
}

fn sender(queue_url: &str, endpoint: &str) -> SqsSender {
    SqsSender::from_lookup(queue_url, Some("us-east-1"), Some(endpoint), &credentials)
}

fn event() -> Event {
    Event::with_id(PROJECT_SYNC_REQUESTED, "run-42", json!({"projectKey": "ABC", "full": true}))
}

#[tokio::test]
async fn a_sent_event_arrives_as_the_sdk_would_have_sent_it() {
    let client = moto::client();
    let url = moto::create_queue(&client, 30).await;

    sender(&url, &moto::endpoint()).send(&event()).await.expect("send");
    let sent = moto::receive_one(&client, &url).await;
    SqsQueue::with_client(client.clone(), &url).send(&event()).await.expect("SDK send");
    let by_sdk = moto::receive_one(&client, &url).await;

    let received: Event = serde_json::from_str(sent.body().expect("a body")).expect("envelope");
    assert_eq!(received, event());
    assert_eq!(sent.body, by_sdk.body);
    let name = sent.message_attributes.as_ref().and_then(|a| a.get(EVENT_NAME_ATTRIBUTE));
    let name = name.expect("eventName attribute");
    assert_eq!((name.data_type(), name.string_value()), ("String", Some(PROJECT_SYNC_REQUESTED)));
    assert_eq!(sent.message_attributes, by_sdk.message_attributes);
    assert_eq!(sent.md5_of_message_attributes, by_sdk.md5_of_message_attributes);
}

#[tokio::test]
async fn ping_succeeds_on_an_existing_queue() {
    let client = moto::client();
    let url = moto::create_queue(&client, 30).await;

    sender(&url, &moto::endpoint()).ping().await.expect("ping");
}

#[tokio::test]
async fn a_missing_queue_is_rejected_with_the_services_reason() {
    // A request to moto proves it is up, so the rejection below is about the queue alone.
    moto::create_queue(&moto::client(), 30).await;
    let missing = format!("{}/000000000000/missing-{}", moto::endpoint(), uuid::Uuid::new_v4());
    let sender = sender(&missing, &moto::endpoint());

    for error in [sender.ping().await.unwrap_err(), sender.send(&event()).await.unwrap_err()] {
        let QueueError::Rejected(text) = &error else { panic!("{error:?}") };
        assert!(text.contains("NonExistentQueue") && text.contains("HTTP 400"), "{text}");
        assert!(!text.contains(SECRET_KEY), "{text}");
    }
}

#[tokio::test]
async fn missing_credentials_name_the_variables_to_set_and_nothing_is_sent() {
    let sqs = FakeSqs::start(vec![Answer::ok()]).await;
    let none = |_: &str| None;
    let key_id_only = |name: &str| (name == "AWS_ACCESS_KEY_ID").then(|| KEY_ID.to_owned());

    let without_any = SqsSender::from_lookup(&sqs.queue_url(), None, Some(&sqs.endpoint), &none);
    let error = without_any.send(&event()).await.unwrap_err();
    let QueueError::Misconfigured(text) = &error else { panic!("{error:?}") };
    assert!(text.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "{text}");

    let without_secret =
        SqsSender::from_lookup(&sqs.queue_url(), None, Some(&sqs.endpoint), &key_id_only);
    let error = without_secret.ping().await.unwrap_err();
    let QueueError::Misconfigured(text) = &error else { panic!("{error:?}") };
    assert!(text.contains("set AWS_SECRET_ACCESS_KEY (") && !text.contains(KEY_ID), "{text}");
    assert_eq!(sqs.requests().len(), 0);
}

#[tokio::test]
async fn requests_are_json_1_0_calls_whose_signature_verifies_as_received() {
    let sqs = FakeSqs::start(vec![Answer::ok()]).await;
    let queue_url = sqs.queue_url();
    let sender = SqsSender::from_lookup(
        &queue_url,
        Some("eu-west-2"),
        Some(&sqs.endpoint),
        &temporary_credentials,
    );

    sender.send(&event()).await.expect("send");
    sender.ping().await.expect("ping");

    let requests = sqs.requests();
    let [send, ping] = requests.as_slice() else { panic!("{} requests", requests.len()) };
    let header = |request: &Received, name: &str| {
        request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    assert_eq!(header(send, "x-amz-target"), "AmazonSQS.SendMessage");
    assert_eq!(header(ping, "x-amz-target"), "AmazonSQS.GetQueueAttributes");
    for request in [send, ping] {
        assert_eq!(request.path, "/");
        assert_eq!(header(request, "content-type"), "application/x-amz-json-1.0");
        assert_eq!(header(request, "x-amz-security-token"), SESSION_TOKEN);
        let authorization = header(request, "authorization");
        let scope = format!("Credential={KEY_ID}/");
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 ") && authorization.contains(&scope));
        assert!(authorization.contains("/eu-west-2/sqs/aws4_request"), "{authorization}");
        assert_eq!(authorization, expected_authorization(request), "as the receiver computes it");
        let everything =
            format!("{:?} {}", request.headers, String::from_utf8_lossy(&request.body));
        assert!(!everything.contains(SECRET_KEY), "{everything}");
    }
    let body: Value = serde_json::from_slice(&send.body).expect("JSON");
    assert_eq!(
        body,
        json!({
            "QueueUrl": queue_url,
            "MessageBody": serde_json::to_string(&event()).expect("JSON"),
            "MessageAttributes": {
                "eventName": {"DataType": "String", "StringValue": PROJECT_SYNC_REQUESTED},
            },
        })
    );
    let body: Value = serde_json::from_slice(&ping.body).expect("JSON");
    assert_eq!(body, json!({"QueueUrl": queue_url, "AttributeNames": ["QueueArn"]}));
}

#[tokio::test]
async fn throttling_is_unavailable_after_the_retries() {
    let throttled_in_body = Answer::throttled();
    let throttled_in_header = Answer::error(
        400,
        &[("x-amzn-query-error", "AWS.SimpleQueueService.RequestThrottled;Sender")],
        r#"{"__type":"com.amazonaws.sqs#RequestThrottled","message":"Rate exceeded"}"#,
    );
    for answer in [throttled_in_body, throttled_in_header] {
        let sqs = FakeSqs::start(vec![answer]).await;

        let error = sender(&sqs.queue_url(), &sqs.endpoint).send(&event()).await.unwrap_err();

        let QueueError::Unavailable(text) = &error else { panic!("{error:?}") };
        assert!(text.contains("Throttl") && text.contains("Rate exceeded"), "{text}");
        assert_eq!(sqs.requests().len(), 3, "three attempts in all");
    }
}

#[tokio::test]
async fn a_throttled_send_succeeds_when_a_retry_is_accepted() {
    let throttled = Answer::throttled();
    let sqs = FakeSqs::start(vec![throttled, Answer::ok()]).await;

    sender(&sqs.queue_url(), &sqs.endpoint).send(&event()).await.expect("send");

    assert_eq!(sqs.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    let sqs = FakeSqs::start(vec![Answer::error(
        500,
        &[],
        r#"{"__type":"com.amazonaws.sqs#InternalError","message":"oops"}"#,
    )])
    .await;

    let error = sender(&sqs.queue_url(), &sqs.endpoint).ping().await.unwrap_err();

    let QueueError::Unavailable(text) = &error else { panic!("{error:?}") };
    assert_eq!(text, "GetQueueAttributes: InternalError: oops (HTTP 500)");
    assert_eq!(sqs.requests().len(), 3);
}

#[tokio::test]
async fn other_client_errors_are_rejected_without_a_retry() {
    let sqs = FakeSqs::start(vec![Answer::error(
        403,
        &[("x-amzn-query-error", "AccessDenied;Sender")],
        r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"denied"}"#,
    )])
    .await;

    let error = sender(&sqs.queue_url(), &sqs.endpoint).send(&event()).await.unwrap_err();

    let QueueError::Rejected(text) = &error else { panic!("{error:?}") };
    assert_eq!(text, "SendMessage: AccessDenied: denied (HTTP 403)");
    assert_eq!(sqs.requests().len(), 1);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_unavailable() {
    // Nothing listens on port 1.
    let sender = sender("http://127.0.0.1:1/000000000000/nowhere", "http://127.0.0.1:1");

    let error = sender.send(&Event::new(TIMERS_SYNC_REQUESTED, json!({}))).await.unwrap_err();

    assert!(matches!(error, QueueError::Unavailable(_)), "{error:?}");
    assert!(!error.to_string().contains(SECRET_KEY), "{error}");
    assert!(matches!(sender.ping().await, Err(QueueError::Unavailable(_))));
}

/// The `Authorization` a receiver holding the secret computes from the request it got.
fn expected_authorization(request: &Received) -> String {
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    let date = header("x-amz-date").expect("x-amz-date");
    let time = chrono::NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ").expect("a date");
    let host = header("host").expect("host");
    let signed = ["content-type", "x-amz-target", "x-amzn-query-mode"]
        .map(|name| (name, header(name).unwrap_or_default()));
    let identity: Identity =
        Credentials::new(KEY_ID, SECRET_KEY, Some(SESSION_TOKEN.to_owned()), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("eu-west-2")
        .name("sqs")
        .time(SystemTime::from(time.and_utc()))
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    let uri = format!("http://{host}{}", request.path);
    let signable =
        SignableRequest::new("POST", uri, signed.into_iter(), SignableBody::Bytes(&request.body))
            .expect("a signable request");
    let (instructions, _signature) = sign(signable, &params).expect("signed").into_parts();
    let authorization = instructions.headers().find(|(name, _)| *name == "authorization");
    authorization.expect("an authorization header").1.to_owned()
}

/// What the stand-in answers: a status, headers and a JSON body.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
}

impl Answer {
    fn ok() -> Self {
        Self { status: 200, headers: Vec::new(), body: "{}" }
    }

    fn error(status: u16, headers: &[(&'static str, &'static str)], body: &'static str) -> Self {
        Self { status, headers: headers.to_vec(), body }
    }

    /// Throttling as a JSON 1.0 error body alone.
    fn throttled() -> Self {
        let body =
            r#"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"}"#;
        Self::error(400, &[], body)
    }
}

#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A stand-in for SQS on port 0: answers the n-th request with the n-th [`Answer`] (the last
/// one from then on) and keeps every request.
struct FakeSqs {
    endpoint: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeSqs {
    async fn start(answers: Vec<Answer>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = received.clone();
        let answer = move |request: axum::extract::Request| {
            let (kept, answers) = (kept.clone(), answers.clone());
            async move {
                let (parts, body) = request.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.expect("a body");
                let mut kept = kept.lock().expect("not poisoned");
                let path = parts.uri.path().to_owned();
                kept.push(Received { path, headers: parts.headers, body });
                let answer = answers.get(kept.len() - 1).or(answers.last()).expect("an answer");
                let mut response = http::Response::new(axum::body::Body::from(answer.body));
                *response.status_mut() = StatusCode::from_u16(answer.status).expect("a status");
                let headers = response.headers_mut();
                headers.insert("content-type", "application/x-amz-json-1.0".parse().unwrap());
                for (name, value) in &answer.headers {
                    headers.insert(*name, value.parse().expect("a header value"));
                }
                response
            }
        };
        let router = axum::Router::new().fallback(answer);
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("the stand-in serves");
        });
        Self { endpoint, received, task }
    }

    fn queue_url(&self) -> String {
        format!("{}/000000000000/jobs", self.endpoint)
    }

    fn requests(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }
}

impl Drop for FakeSqs {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test]
async fn a_delayed_event_stays_invisible_until_its_delay_has_passed() {
    let client = moto::client();
    let url = moto::create_queue(&client, 30).await;
    let delay = std::time::Duration::from_millis(1500);

    sender(&url, &moto::endpoint()).send_after(&event(), delay).await.expect("send");
    SqsQueue::with_client(client.clone(), &url)
        .send_after(&event(), delay)
        .await
        .expect("SDK send");

    assert_eq!(moto::drain(&client, &url).await.len(), 0, "both wait for their delay");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // Rounded up to whole seconds: both are visible after two.
    assert_eq!(moto::drain(&client, &url).await.len(), 2);
}
