//! The host adapters of the deployed functions: each `functions/*` binary names its
//! [`Function`] (its route, and the job queue when the route uses one) and calls one of
//! these, so a route is served the same way on every host.
//!
//! - [`vercel`]: Vercel's Rust runtime (a hyper server on `VERCEL_DEV_PORT`).
//! - [`lambda`]: AWS Lambda behind an API Gateway HTTP API (`lambda_http`).
//!
//! Both build the [`App`] once per process and refuse to start, naming the missing
//! variables, when the deployment lacks a shared cache, queue or secret the route uses.
//! Start-up does no I/O but the cache's connection: clients of Jira and Clockwork, and the
//! queue's, are built by their first call.

pub mod lambda;
pub mod vercel;

use std::sync::Arc;

use clockwork_api::app::ConnectQueue;
use clockwork_api::{App, Endpoint};
use clockwork_core::telemetry::{self, LogFormat};

pub use lambda::serve_lambda;
pub use vercel::serve_vercel;

/// One deployed route, and what its binary links in: that route's handler, and the queue
/// backend only when the route uses one.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    endpoint: Endpoint,
    queue: Option<ConnectQueue>,
}

impl Function {
    /// A route that never touches the job queue: its binary carries no queue client.
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint, queue: None }
    }

    /// A route that enqueues jobs or checks the queue ([`clockwork_api::Route::uses_queue`]), reached
    /// through SQS (`SQS_QUEUE_URL`).
    pub fn with_queue(endpoint: Endpoint) -> Self {
        Self { endpoint, queue: Some(|config| clockwork_queue::from_config(config).0) }
    }

    /// Why this function cannot serve its route, if it cannot.
    fn mismatch(self) -> Option<String> {
        let route = self.endpoint.route();
        (route.uses_queue() && self.queue.is_none()).then(|| {
            format!("{route:?} uses the job queue; its binary must serve Function::with_queue")
        })
    }
}

/// Logging, then the deployed configuration; a function that cannot serve exits at once
/// with code 1 so the platform reports a failed start instead of answering 500s.
async fn start(function: Function) -> Arc<App> {
    telemetry::init(LogFormat::from_env_or(LogFormat::Json));
    if let Some(mismatch) = function.mismatch() {
        refuse(mismatch);
    }
    match App::deployed_from_env(function.queue).await {
        Ok(app) => Arc::new(app),
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
