//! A fake Upstash REST server in front of a real Redis.
//!
//! Only the HTTP layer is simulated (routes, Bearer token, JSON shapes); every command runs on
//! the Redis given, so the Upstash cache backend is tested against Redis's own semantics and
//! not against a second, possibly wrong, imitation of them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use redis::aio::ConnectionManager;
use redis::{RedisError, Value};
use serde_json::{Value as Json, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The running fake; the server stops when this is dropped.
#[derive(Debug)]
pub struct FakeUpstash {
    base_url: String,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

#[derive(Clone)]
struct AppState {
    redis: ConnectionManager,
    authorization: Arc<str>,
    requests: Arc<AtomicUsize>,
}

impl FakeUpstash {
    /// Serves on a free loopback port, accepting only `Authorization: Bearer {token}`.
    ///
    /// # Panics
    /// When Redis is unreachable or no port can be bound: a test cannot run without them.
    pub async fn start(redis_url: &str, token: &str) -> Self {
        let client = redis::Client::open(redis_url).expect("FakeUpstash: invalid Redis URL");
        let redis = ConnectionManager::new(client).await.expect("FakeUpstash: Redis unreachable");
        let requests = Arc::new(AtomicUsize::new(0));
        let state = AppState {
            redis,
            authorization: format!("Bearer {token}").into(),
            requests: requests.clone(),
        };
        let router = Router::new()
            .route("/", post(command))
            .route("/pipeline", post(pipeline))
            .route("/multi-exec", post(multi_exec))
            .with_state(state);
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("FakeUpstash: cannot bind a loopback port");
        let addr = listener.local_addr().expect("FakeUpstash: bound socket has no address");
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, %addr, "fake Upstash stopped");
            }
        });
        Self { base_url: format!("http://{addr}"), requests, task }
    }

    /// The REST URL, without a trailing slash (what `UPSTASH_REDIS_REST_URL` holds).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// HTTP requests received so far, rejected ones included.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for FakeUpstash {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An error answer in Upstash's shape: `{"error": "…"}`.
struct Rejection {
    status: StatusCode,
    message: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "error": self.message }))).into_response()
    }
}

fn malformed(cause: impl std::fmt::Display) -> Rejection {
    let message = format!("ERR malformed request body: {cause}");
    Rejection { status: StatusCode::BAD_REQUEST, message }
}

/// Redis refusing a command is the caller's fault (400); losing Redis is the server's (500).
fn failed(failure: RedisError) -> Rejection {
    let Some(code) = failure.code() else {
        let message = failure.to_string();
        return Rejection { status: StatusCode::INTERNAL_SERVER_ERROR, message };
    };
    let message =
        failure.detail().map_or_else(|| failure.to_string(), |detail| format!("{code} {detail}"));
    Rejection { status: StatusCode::BAD_REQUEST, message }
}

/// Counts the request and checks its token.
fn admit(state: &AppState, headers: &HeaderMap) -> Result<(), Rejection> {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let given = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    if given == Some(&*state.authorization) {
        Ok(())
    } else {
        Err(Rejection { status: StatusCode::UNAUTHORIZED, message: "Unauthorized".into() })
    }
}

/// `POST /`: one command, answered `{"result"}` (200) or `{"error"}` (400).
async fn command(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Json>, Rejection> {
    admit(&state, &headers)?;
    let command = to_command(&serde_json::from_slice(&body).map_err(malformed)?)?;
    let value = command.query_async(&mut state.redis.clone()).await.map_err(failed)?;
    Ok(axum::Json(json!({ "result": to_json(value) })))
}

/// `POST /pipeline`: commands run in order, not atomically; one reply per command.
async fn pipeline(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Vec<Json>>, Rejection> {
    batch(&state, &headers, &body, false).await
}

/// `POST /multi-exec`: the same, inside MULTI/EXEC.
async fn multi_exec(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Vec<Json>>, Rejection> {
    batch(&state, &headers, &body, true).await
}

async fn batch(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
    atomic: bool,
) -> Result<axum::Json<Vec<Json>>, Rejection> {
    admit(state, headers)?;
    let json: Json = serde_json::from_slice(body).map_err(malformed)?;
    let commands = json.as_array().ok_or_else(|| malformed("expected an array of commands"))?;
    let mut pipe = redis::pipe();
    // Per-command errors become `{"error"}` entries instead of failing the whole batch.
    pipe.ignore_errors();
    if atomic {
        pipe.atomic();
    }
    for command in commands {
        pipe.add_command(to_command(command)?);
    }
    // A transaction refused as a whole (EXECABORT) answers one error, as Upstash does.
    let values: Vec<Value> = pipe.query_async(&mut state.redis.clone()).await.map_err(failed)?;
    Ok(axum::Json(values.into_iter().map(reply).collect()))
}

/// A JSON array of strings and numbers, e.g. `["SET", "k", "v", "PX", 600000]`.
fn to_command(json: &Json) -> Result<redis::Cmd, Rejection> {
    let parts = json.as_array().filter(|parts| !parts.is_empty());
    let parts = parts.ok_or_else(|| malformed("a command is a non-empty array"))?;
    let mut command = redis::Cmd::new();
    for part in parts {
        match part {
            Json::String(text) => command.arg(text.as_str()),
            Json::Number(number) => command.arg(number.to_string()),
            other => return Err(malformed(format!("unsupported argument {other}"))),
        };
    }
    Ok(command)
}

/// One entry of a batch answer; errors worded as Redis words them (`WRONGTYPE …`).
fn reply(value: Value) -> Json {
    match value {
        Value::ServerError(failure) => {
            let message = match failure.details() {
                Some(detail) => format!("{} {detail}", failure.code()),
                None => failure.code().to_owned(),
            };
            json!({ "error": message })
        }
        value => json!({ "result": to_json(value) }),
    }
}

/// Upstash's encoding: bulk strings as strings, integers as numbers, nil as null.
fn to_json(value: Value) -> Json {
    match value {
        Value::Nil => Json::Null,
        Value::Int(number) => json!(number),
        Value::Double(number) => json!(number),
        Value::Boolean(flag) => json!(flag),
        Value::Okay => json!("OK"),
        Value::SimpleString(text) | Value::VerbatimString { text, .. } => json!(text),
        Value::BulkString(bytes) => json!(String::from_utf8_lossy(&bytes)),
        Value::Array(items) | Value::Set(items) => {
            Json::Array(items.into_iter().map(to_json).collect())
        }
        Value::Map(pairs) => {
            Json::Array(pairs.into_iter().flat_map(|(k, v)| [to_json(k), to_json(v)]).collect())
        }
        Value::Attribute { data, .. } => to_json(*data),
        Value::ServerError(failure) => json!(failure.to_string()),
        other => json!(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value as Json, json};

    use super::FakeUpstash;

    async fn post(fake: &FakeUpstash, path: &str, token: &str, body: &str) -> (u16, Json) {
        clockwork_core::tls::install_crypto_provider();
        let response = reqwest::Client::new()
            .post(format!("{}{path}", fake.base_url()))
            .bearer_auth(token)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    #[tokio::test]
    async fn answers_in_upstash_shapes() {
        let fake = FakeUpstash::start("redis://127.0.0.1:6379", "t").await;
        let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos();
        let key = format!("test:fake-upstash:{}:{nanos}", std::process::id());
        let set = json!(["SET", key, "v", "PX", 60_000]).to_string();
        assert_eq!(post(&fake, "/", "t", &set).await, (200, json!({ "result": "OK" })));
        let batch = json!([["GET", key], ["PTTL", "test:fake-upstash:none"], ["SADD", key, "m"]]);
        let (status, replies) = post(&fake, "/multi-exec", "t", &batch.to_string()).await;
        assert_eq!(status, 200);
        assert_eq!(
            (&replies[0], &replies[1]),
            (&json!({ "result": "v" }), &json!({ "result": -2 }))
        );
        assert!(replies[2]["error"].as_str().unwrap().starts_with("WRONGTYPE"), "{replies}");
        let (status, body) = post(&fake, "/pipeline", "t", "[\"GET\"").await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            post(&fake, "/", "wrong", &set).await,
            (401, json!({ "error": "Unauthorized" }))
        );
        assert_eq!(fake.requests(), 4);
        post(&fake, "/", "t", &json!(["DEL", key]).to_string()).await;
    }
}
