//! Vercel: `vercel_runtime` hands each request to a service as a hyper request.

use std::sync::Arc;

use clockwork_api::{App, host::read_body};
use vercel_runtime::{Error, Request, Response, ResponseBody, service_fn};

use crate::{Function, Handler};

/// Serves `function`'s route (or host) until the platform stops the process.
pub async fn serve_vercel(function: Function) -> Result<(), Error> {
    let app = crate::start(function).await;
    let handler = function.handler;
    vercel_runtime::run(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Error>(respond(&app, handler, request).await) }
    }))
    .await
}

/// One request: the body read within the size limit, the shared handler, the answer back.
pub async fn respond(
    app: &Arc<App>,
    handler: impl Into<Handler>,
    request: Request,
) -> Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let response = match read_body(body).await {
        Ok(bytes) => handler.into().serve(app, http::Request::from_parts(parts, bytes)).await,
        Err(refusal) => refusal,
    };
    response.map(ResponseBody::from)
}
