//! AWS Lambda: `lambda_http` turns API Gateway events into requests whose body the runtime
//! has already buffered.

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
    lambda_http::run(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Error>(respond(&app, handler, request).await) }
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
    let (parts, body) = request.into_parts();
    // The runtime holds the whole body already; reading it through `read_body` keeps one
    // limit check, and one 413 answer, for every host.
    let response = match read_body(Full::new(into_bytes(body))).await {
        Ok(bytes) => handler.into().serve(app, http::Request::from_parts(parts, bytes)).await,
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
