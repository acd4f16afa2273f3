//! Vercel: `vercel_runtime` hands each request to a service as a hyper request.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use clockwork_api::{App, Endpoint, handle_route, host::read_body};
use vercel_runtime::{Error, Request, Response, ResponseBody, service_fn};

use crate::Function;

/// Serves `function`'s route until the platform stops the process.
pub async fn serve_vercel(function: Function) -> Result<(), Error> {
    let app = crate::start(function).await;
    let endpoint = function.endpoint;
    serve_vercel_with(move |request| {
        let app = Arc::clone(&app);
        async move { handle_route(&app, endpoint, request).await }
    })
    .await
}

/// Serves any handler over `http::Request<Bytes>` (a handler room beside the router, such
/// as GraphQL) until the platform stops the process.
pub async fn serve_vercel_with<H, F>(handler: H) -> Result<(), Error>
where
    H: Fn(http::Request<Bytes>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Response<Bytes>> + Send,
{
    vercel_runtime::run(service_fn(move |request: Request| {
        let handler = handler.clone();
        async move { Ok::<_, Error>(respond_with(&handler, request).await) }
    }))
    .await
}

/// One request: the body read within the size limit, the shared handler, the answer back.
pub async fn respond(app: &App, endpoint: Endpoint, request: Request) -> Response<ResponseBody> {
    respond_with(&|request| handle_route(app, endpoint, request), request).await
}

async fn respond_with<H, F>(handler: &H, request: Request) -> Response<ResponseBody>
where
    H: Fn(http::Request<Bytes>) -> F,
    F: Future<Output = Response<Bytes>>,
{
    let (parts, body) = request.into_parts();
    let response = match read_body(body).await {
        Ok(bytes) => handler(http::Request::from_parts(parts, bytes)).await,
        Err(refusal) => refusal,
    };
    response.map(ResponseBody::from)
}
