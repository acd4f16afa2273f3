//! The host adapters of the deployed functions: each `functions/*` binary names its route
//! and calls one of these, so a route is served the same way on every host.
//!
//! - [`vercel`]: Vercel's Rust runtime (a hyper server on `VERCEL_DEV_PORT`).
//! - [`lambda`]: AWS Lambda behind an API Gateway HTTP API (`lambda_http`).
//!
//! Both build the [`App`] once per process and refuse to start, naming the missing
//! variables, when the deployment lacks a shared cache, queue or secret.

pub mod lambda;
pub mod vercel;

use std::sync::Arc;

use clockwork_api::App;
use clockwork_core::telemetry::{self, LogFormat};

pub use lambda::serve_lambda;
pub use vercel::serve_vercel;

/// Logging, then the deployed configuration; a function that cannot serve exits at once
/// with code 1 so the platform reports a failed start instead of answering 500s.
async fn start() -> Arc<App> {
    telemetry::init(LogFormat::from_env_or(LogFormat::Json));
    match App::deployed_from_env().await {
        Ok(app) => Arc::new(app),
        Err(error) => {
            eprintln!("clockwork: refusing to start: {error}");
            std::process::exit(1);
        }
    }
}
