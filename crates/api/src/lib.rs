//! The route handlers: plain async functions over `http::Request<Bytes>` that every host
//! (Vercel, Lambda, the local server) adapts in a few lines.
//!
//! - [`app`]: [`App`], the dependencies a handler uses, built once per process.
//! - [`auth`]: bearer tokens and the rule that a user acts only as themselves.
//! - [`token`]: HS256 tokens (JWTs signed with HMAC-SHA256), signed and verified.
//! - [`router`]: [`Route`], path matching, method and body-size checks, dispatch.
//! - [`routes`]: one module per route.
//! - [`host`]: body reading within the size limit, for every host adapter.
//! - [`input`]: query and JSON body readers that name the offending field.
//! - [`upstream`]: how client failures become answers.

pub mod app;
pub mod auth;
pub mod host;
pub mod input;
pub mod router;
pub mod routes;
pub mod token;
pub mod upstream;

pub use app::App;
pub use router::{Endpoint, Route, handle, handle_route};
