//! AWS Lambda: `lambda_http` turns API Gateway events into requests whose body the runtime
//! has already buffered.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use clockwork_api::{App, host::read_body};
use http_body_util::Full;
use lambda_http::{Body, Request, Response, service_fn};

use crate::{Function, Handler};

pub use lambda_http::Error;

/// Serves `function`'s route (or host) until the platform stops the process.
pub async fn serve_lambda(function: Function) -> Result<(), Error> {
    let app = crate::start(function).await;
    let handler = function.handler;
    serve_lambda_with(move |request| {
        let app = Arc::clone(&app);
        async move { handler.serve(&app, request).await }
    })
    .await
}

/// Serves any handler over `http::Request<Bytes>` (a handler room beside the router, such
/// as GraphQL) until the platform stops the process.
pub async fn serve_lambda_with<H, F>(handler: H) -> Result<(), Error>
where
    H: Fn(http::Request<Bytes>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Bytes>> + Send,
{
    lambda_http::run(service_fn(move |request: Request| {
        let handler = handler.clone();
        async move { Ok::<_, Error>(respond_with(&handler, request).await) }
    }))
    .await
}

/// One invocation: the event's body within the size limit, the shared handler, the answer
/// back as a Lambda body.
pub async fn respond(
    app: &Arc<App>,
    handler: impl Into<Handler>,
    request: Request,
) -> Response<Body> {
    let handler = handler.into();
    respond_with(&|request| handler.serve(app, request), request).await
}

async fn respond_with<H, F>(handler: &H, request: Request) -> Response<Body>
where
    H: Fn(http::Request<Bytes>) -> F,
    F: Future<Output = Response<Bytes>>,
{
    let (parts, body) = request.into_parts();
    // The runtime holds the whole body already; reading it through `read_body` keeps one
    // limit check, and one 413 answer, for every host.
    let response = match read_body(Full::new(into_bytes(body))).await {
        Ok(bytes) => handler(http::Request::from_parts(parts, bytes)).await,
        Err(refusal) => refusal,
    };
    response.map(|bytes| Body::Binary(bytes.into()))
}

/// Text and binary bodies are moved, not copied.
fn into_bytes(body: Body) -> Bytes {
    match body {
        Body::Text(text) => Bytes::from(text),
        Body::Binary(data) => Bytes::from(data),
        other => Bytes::copy_from_slice(&other),
    }
}
