//! Vercel: `vercel_runtime` hands each request to a service as a hyper request.

use std::sync::Arc;

use clockwork_api::{App, Endpoint, handle_route, host::read_body};
use vercel_runtime::{Error, Request, Response, ResponseBody, service_fn};

use crate::Function;

/// Serves `function`'s route until the platform stops the process.
pub async fn serve_vercel(function: Function) -> Result<(), Error> {
    let app = crate::start(function).await;
    let endpoint = function.endpoint;
    vercel_runtime::run(service_fn(move |request: Request| {
        let app = Arc::clone(&app);
        async move { Ok::<_, Error>(respond(&app, endpoint, request).await) }
    }))
    .await
}

/// One request: the body read within the size limit, the shared handler, the answer back.
pub async fn respond(app: &App, endpoint: Endpoint, request: Request) -> Response<ResponseBody> {
    let (parts, body) = request.into_parts();
    let response = match read_body(body).await {
        Ok(bytes) => handle_route(app, endpoint, http::Request::from_parts(parts, bytes)).await,
        Err(refusal) => refusal,
    };
    response.map(ResponseBody::from)
}
