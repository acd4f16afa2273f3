//! The host adapters of the deployed functions: each `functions/*` binary names its
//! [`Function`] (its route, or a [`Host`] of its own over the routes such as the MCP server,
//! and the job queue when it uses one) and calls one of these, so a route is served the same
//! way on every host.
//!
//! - [`vercel`]: Vercel's Rust runtime (a hyper server on `VERCEL_DEV_PORT`).
//! - [`lambda`]: AWS Lambda behind an API Gateway HTTP API (`lambda_http`).
//!
//! A handler room of its own (GraphQL) is served the same way through
//! [`serve_vercel_with`] and [`serve_lambda_with`], started by [`start_with`].
//!
//! Both build the [`App`] once per process and refuse to start, naming the missing
//! variables, when the deployment lacks a shared cache, queue or secret the route uses.
//! Start-up does no I/O but the cache's connection: clients of Jira and Clockwork, and the
//! queue's, are built by their first call.

pub mod lambda;
pub mod vercel;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use clockwork_api::app::ConnectQueue;
use clockwork_api::{App, Endpoint, handle_route};
use clockwork_core::telemetry::{self, LogFormat};

pub use lambda::{serve_lambda, serve_lambda_with};
pub use vercel::{serve_vercel, serve_vercel_with};

/// A handler of its own over the routes (the MCP server, `clockwork_mcp::handle`): one
/// request within the size limit in, its answer out.
pub type Host = fn(
    Arc<App>,
    http::Request<Bytes>,
) -> Pin<Box<dyn Future<Output = http::Response<Bytes>> + Send>>;

/// What a function serves: one route, or a host over the routes.
#[derive(Debug, Clone, Copy)]
pub enum Handler {
    Route(Endpoint),
    Host(Host),
}

impl From<Endpoint> for Handler {
    fn from(endpoint: Endpoint) -> Self {
        Self::Route(endpoint)
    }
}

impl Handler {
    async fn serve(self, app: &Arc<App>, request: http::Request<Bytes>) -> http::Response<Bytes> {
        match self {
            Self::Route(endpoint) => handle_route(app, endpoint, request).await,
            Self::Host(host) => host(Arc::clone(app), request).await,
        }
    }
}

/// One deployed route (or host), and what its binary links in: that handler, and the queue
/// backend only when it uses one.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    handler: Handler,
    queue: Option<ConnectQueue>,
}

impl Function {
    /// A route that never touches the job queue: its binary carries no queue client.
    pub fn new(endpoint: Endpoint) -> Self {
        Self { handler: Handler::Route(endpoint), queue: None }
    }

    /// A route that enqueues jobs or checks the queue ([`clockwork_api::Route::uses_queue`]), reached
    /// through SQS (`SQS_QUEUE_URL`).
    pub fn with_queue(endpoint: Endpoint) -> Self {
        Self { handler: Handler::Route(endpoint), queue: Some(sqs) }
    }

    /// A host over the routes, with the job queue: it may call any route, those that use the
    /// queue too (the MCP server starts and stops timers).
    pub fn host_with_queue(host: Host) -> Self {
        Self { handler: Handler::Host(host), queue: Some(sqs) }
    }

    /// Why this function cannot serve its route, if it cannot.
    fn mismatch(self) -> Option<String> {
        let Handler::Route(endpoint) = self.handler else { return None };
        let route = endpoint.route();
        (route.uses_queue() && self.queue.is_none()).then(|| {
            format!("{route:?} uses the job queue; its binary must serve Function::with_queue")
        })
    }
}

fn sqs(config: &clockwork_core::config::QueueConfig) -> Arc<dyn clockwork_queue::Queue> {
    clockwork_queue::from_config(config).0
}

/// Logging, then the deployed configuration; a function that cannot serve exits at once
/// with code 1 so the platform reports a failed start instead of answering 500s.
async fn start(function: Function) -> Arc<App> {
    start_with(async {
        if let Some(mismatch) = function.mismatch() {
            return Err(mismatch);
        }
        App::deployed_from_env(function.queue).await.map_err(|error| error.to_string())
    })
    .await
}

/// The start of a function serving a handler of its own (with [`serve_vercel_with`] or
/// [`serve_lambda_with`]): logging, then `build`; a build that fails ends the process with
/// code 1 and its reason (the missing variables, named).
pub async fn start_with<T, E: std::fmt::Display>(
    build: impl Future<Output = Result<T, E>>,
) -> Arc<T> {
    telemetry::init(LogFormat::from_env_or(LogFormat::Json));
    match build.await {
        Ok(built) => Arc::new(built),
        Err(error) => refuse(error.to_string()),
    }
}

fn refuse(reason: String) -> ! {
    eprintln!("clockwork: refusing to start: {reason}");
    std::process::exit(1)
}

#[cfg(test)]
mod tests {
    use clockwork_api::Route;

    use super::*;

    #[test]
    fn a_host_over_the_routes_has_the_queue() {
        let host: Host = |_, _| Box::pin(async { http::Response::new(Bytes::new()) });
        let function = Function::host_with_queue(host);
        assert!(function.queue.is_some());
        assert!(function.mismatch().is_none());
    }

    #[test]
    fn a_route_that_uses_the_queue_needs_one() {
        for route in Route::ALL {
            let endpoint = Endpoint::of(route);
            assert!(Function::with_queue(endpoint).mismatch().is_none(), "{route:?}");
            assert_eq!(
                Function::new(endpoint).mismatch().is_some(),
                route.uses_queue(),
                "{route:?}"
            );
        }
    }
}
