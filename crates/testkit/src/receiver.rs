//! A local HTTP receiver for webhook-style clients (Slack incoming webhooks, generic JSON
//! webhooks): it records every request (path, headers, body) and answers `200 ok`, or what
//! [`WebhookReceiver::fail_next`] queued, so retry behaviour can be tested.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, Uri};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One request as received, with the status it was answered with.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: Method,
    /// The path and query, e.g. `/services/T000/B000/XXX`.
    pub path: String,
    pub headers: HeaderMap,
    /// The body as JSON; `Null` when it is not JSON (see `raw`).
    pub json: serde_json::Value,
    pub raw: String,
    pub answered: StatusCode,
}

#[derive(Debug, Default)]
struct Book {
    received: Vec<ReceivedRequest>,
    faults: VecDeque<(StatusCode, String)>,
}

type Shared = Arc<Mutex<Book>>;

fn lock(book: &Shared) -> MutexGuard<'_, Book> {
    book.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A receiver on `127.0.0.1`, a free port; it stops when dropped.
#[derive(Debug)]
pub struct WebhookReceiver {
    addr: SocketAddr,
    book: Shared,
    task: JoinHandle<()>,
}

impl WebhookReceiver {
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let book = Shared::default();
        let router = Router::new().fallback(record).with_state(book.clone());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, %addr, "webhook receiver stopped");
            }
        });
        Ok(Self { addr, book, task })
    }

    /// `http://127.0.0.1:PORT{path}`; `path` starts with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers the next `times` requests with `status` and `body` as plain text (Slack words
    /// its errors so: `invalid_payload`, `rate_limited`), after any failures already queued.
    ///
    /// # Panics
    /// When `status` is not an HTTP status code.
    pub fn fail_next(&self, times: usize, status: u16, body: &str) {
        let status = StatusCode::from_u16(status)
            .unwrap_or_else(|_| panic!("{status} is not an HTTP status code"));
        lock(&self.book).faults.extend(std::iter::repeat_n((status, body.to_owned()), times));
    }

    /// Every request so far, failed ones included, in order of arrival.
    pub fn received(&self) -> Vec<ReceivedRequest> {
        lock(&self.book).received.clone()
    }

    /// Waits (up to 10 s) until at least `count` requests have arrived and returns them all.
    ///
    /// # Panics
    /// When fewer arrive in time.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedRequest> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {count} requests, got {}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(
    State(book): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut book = lock(&book);
    let (status, answer) = book.faults.pop_front().unwrap_or((StatusCode::OK, "ok".to_owned()));
    let path = uri.path_and_query().map_or_else(|| uri.path().to_owned(), ToString::to_string);
    book.received.push(ReceivedRequest {
        method,
        path,
        headers,
        json: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
        raw: String::from_utf8_lossy(&body).into_owned(),
        answered: status,
    });
    (status, answer).into_response()
}
