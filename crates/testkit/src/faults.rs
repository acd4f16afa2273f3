//! Machinery shared by every fake: serving on a spawned task, per-endpoint request counts,
//! injected faults, global latency, and raw query-string parsing.
//!
//! Endpoints are keyed by `"METHOD /path/template"` exactly as the route is declared
//! (`"GET /rest/api/3/issue/{issueIdOrKey}"`), minus the server's base path (`/v1` for
//! Clockwork, so `"POST /start_timer"`).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A misbehaviour injected into one endpoint for a number of requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and the service's JSON error shape.
    Status(u16),
    /// Answer 429 with `Retry-After` (and the service's other rate-limit headers).
    RateLimited { retry_after_secs: u64 },
    /// Answer normally, after sleeping this long.
    Delay(Duration),
}

/// How a service words its errors: the JSON error body and the extra headers of a 429.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    /// Builds an error response in the service's own JSON shape.
    pub error: fn(StatusCode, &str) -> Response,
    /// Adds the headers a 429 carries besides `Retry-After`.
    pub rate_limit_headers: fn(u64, &mut HeaderMap),
}

#[derive(Debug, Default)]
struct Book {
    counts: HashMap<String, usize>,
    faults: HashMap<String, VecDeque<Fault>>,
    latency: Duration,
}

/// Counts requests and hands out injected faults; shared by a fake's handle and its router.
#[derive(Debug)]
pub struct Control {
    dialect: Dialect,
    base_path: &'static str,
    book: Mutex<Book>,
}

impl Control {
    /// `base_path` is stripped from route templates to form endpoint keys (`""` for none).
    pub fn new(dialect: Dialect, base_path: &'static str) -> Arc<Self> {
        Arc::new(Self { dialect, base_path, book: Mutex::default() })
    }

    fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Requests received by `endpoint` (e.g. `"GET /rest/api/3/user/bulk"`) since the last reset.
    pub fn requests(&self, endpoint: &str) -> usize {
        self.book().counts.get(endpoint).copied().unwrap_or(0)
    }

    /// Requests received by every endpoint since the last reset.
    pub fn total_requests(&self) -> usize {
        self.book().counts.values().sum()
    }

    pub fn reset_counts(&self) {
        self.book().counts.clear();
    }

    /// Makes the next `times` requests to `endpoint` misbehave, after any faults already queued.
    ///
    /// # Panics
    /// When a [`Fault::Status`] is not a valid HTTP status code.
    pub fn inject(&self, endpoint: &str, fault: Fault, times: usize) {
        if let Fault::Status(code) = fault {
            assert!(StatusCode::from_u16(code).is_ok(), "{code} is not an HTTP status code");
        }
        let mut book = self.book();
        let queue = book.faults.entry(endpoint.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times));
    }

    /// Latency added to every response from now on (zero to remove it).
    pub fn set_latency(&self, latency: Duration) {
        self.book().latency = latency;
    }

    /// Counts one request and takes the fault due for it, if any.
    fn admit(&self, endpoint: String) -> (Duration, Option<Fault>) {
        let mut book = self.book();
        let fault = book.faults.get_mut(&endpoint).and_then(VecDeque::pop_front);
        *book.counts.entry(endpoint).or_default() += 1;
        (book.latency, fault)
    }

    fn endpoint_key(&self, request: &Request) -> String {
        // The matched route is always known under `route_layer`; the raw path is a fallback.
        let path = request
            .extensions()
            .get::<MatchedPath>()
            .map_or(request.uri().path(), MatchedPath::as_str);
        let path = path.strip_prefix(self.base_path).unwrap_or(path);
        format!("{} {path}", request.method())
    }

    fn fault_response(&self, fault: Fault) -> Option<Response> {
        match fault {
            Fault::Status(code) => {
                let status =
                    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                Some((self.dialect.error)(status, &format!("Injected fault: {status}")))
            }
            Fault::RateLimited { retry_after_secs } => {
                let mut response =
                    (self.dialect.error)(StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded.");
                let headers = response.headers_mut();
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                (self.dialect.rate_limit_headers)(retry_after_secs, headers);
                Some(response)
            }
            Fault::Delay(_) => None,
        }
    }
}

/// Middleware (install with `route_layer` so the matched route is known): counts, delays, faults.
async fn control_layer(
    State(control): State<Arc<Control>>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = control.endpoint_key(&request);
    tracing::debug!(%endpoint, "fake server request");
    let (latency, fault) = control.admit(endpoint);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(Fault::Delay(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    match fault.and_then(|fault| control.fault_response(fault)) {
        Some(response) => response,
        None => next.run(request).await,
    }
}

/// Wraps every route of `router` (declared so far) in counting, latency and faults.
pub fn controlled<S>(router: Router<S>, control: &Arc<Control>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.route_layer(middleware::from_fn_with_state(control.clone(), control_layer))
}

/// A fake server running on a spawned task; it stops accepting connections when the handle is
/// dropped or [`Server::shutdown`] is called.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    base_url: String,
    control: Arc<Control>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free one) and returns the listener with its base URL,
    /// which routers need before they are built (for `self` links).
    pub async fn bind(addr: SocketAddr, base_path: &str) -> io::Result<(TcpListener, String)> {
        let listener = TcpListener::bind(addr).await?;
        let base_url = format!("http://{}{base_path}", listener.local_addr()?);
        Ok((listener, base_url))
    }

    /// Serves `router` on `listener` until the handle is dropped or shut down.
    pub fn spawn(
        listener: TcpListener,
        base_url: String,
        router: Router,
        control: Arc<Control>,
    ) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, %addr, "fake server stopped");
            }
        });
        Ok(Self { addr, base_url, control, task })
    }

    /// The URL clients are configured with, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn control(&self) -> &Control {
        &self.control
    }

    /// Stops accepting connections. Connections already open are served until their clients
    /// close them (each runs on its own task).
    pub fn shutdown(&self) {
        self.task.abort();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A raw query string's pairs, keeping repeated keys (`accountId=A&accountId=B`), which
/// `serde_urlencoded` cannot.
#[derive(Debug, Default)]
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    pub fn parse(raw: Option<&str>) -> Self {
        let raw = raw.unwrap_or_default();
        Self(url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, each split on commas (`fields=a,b&fields=c`), blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.all(name)
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// An optional integer parameter; `Err` names the parameter when it is not a number.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, String> {
        self.get(name)
            .map(|value| {
                value
                    .trim()
                    .parse()
                    .map_err(|_| format!("The '{name}' parameter must be a number."))
            })
            .transpose()
    }
}

/// A JSON response with a status (shorthand for handlers).
pub fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}
