//! Vercel: `vercel_runtime` hands each request to a service as a hyper request.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use clockwork_api::{App, host::read_body};
use vercel_runtime::{Error, Request, Response, ResponseBody, service_fn};

use crate::{Function, Handler};

/// Serves `function`'s route (or host) until the platform stops the process.
pub async fn serve_vercel(function: Function) -> Result<(), Error> {
    let app = crate::start(function).await;
    let handler = function.handler;
    serve_vercel_with(move |request| {
        let app = Arc::clone(&app);
        async move { handler.serve(&app, request).await }
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
pub async fn respond(
    app: &Arc<App>,
    handler: impl Into<Handler>,
    request: Request,
) -> Response<ResponseBody> {
    let handler = handler.into();
    respond_with(&|request| handler.serve(app, request), request).await
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
