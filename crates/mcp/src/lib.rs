//! `POST /api/mcp`: a Model Context Protocol server for AI assistants, over streamable HTTP
//! (JSON-RPC 2.0), whose tools are the REST routes called in-process.
//!
//! The protocol is the official SDK's (`rmcp`): its server traits, its `#[tool]` macros and its
//! streamable HTTP service. That service is driven here one request at a time, in its
//! stateless mode with JSON answers, so it fits our hosts' model of one
//! `http::Request<Bytes>` in and one `http::Response<Bytes>` out: no session is kept between
//! requests (a Vercel or Lambda function cannot keep one), a notification is answered 202
//! with an empty body, and a GET is answered 405 (there is no SSE stream to open). What is
//! ours around it is only what the REST routes share:
//!
//! - the caller's bearer token is checked before anything is parsed, with the REST routes'
//!   401 answers (`AUTH_REQUIRED`, `AUTH_INVALID`, `AUTH_EXPIRED`);
//! - a body that is not JSON, or not one JSON-RPC message, is answered as JSON-RPC says
//!   (-32700 or -32600, HTTP 400), where the SDK would answer 415 in plain text.
//!
//! The service takes an owned handler (it runs the handler on a task of its own), hence
//! [`handle`] takes the host's `Arc<App>`. The SDK's `Host` check against DNS rebinding is
//! off: these deployments are reached under their public names and authenticate every call.
//!
//! - [`tools`]: the five tools, each a call of a REST handler with the caller's headers.
//! - [`args`]: the tools' declared input schemas and the validation of their arguments.
//! - [`answer`]: a REST answer as a tool result, errors keeping the REST machine codes.
//! - [`summary`]: the texts a model reads, and the worklogs' totals per day.

pub mod answer;
pub mod args;
pub mod summary;
pub mod tools;

use std::sync::Arc;

use bytes::Bytes;
use clockwork_api::App;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use rmcp::model::{ClientJsonRpcMessage, ErrorData, JsonRpcError};
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

use crate::tools::Tools;

/// The path the MCP server is served under.
pub const PATH: &str = "/api/mcp";

/// Whether `path` is the MCP server's (with or without a trailing slash).
pub fn serves(path: &str) -> bool {
    path.strip_suffix('/').unwrap_or(path) == PATH
}

/// Serves one MCP request.
#[tracing::instrument(skip_all, fields(route = "Mcp", method = %request.method()))]
pub async fn handle(app: Arc<App>, request: Request<Bytes>) -> Response<Bytes> {
    if request.method() == Method::POST {
        if let Err(refusal) = app.auth.caller(request.headers()) {
            return refusal.into_response();
        }
        if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(request.body()) {
            let message = format!("the request body is not JSON: {error}");
            return json_rpc_error(ErrorData::parse_error(message, None));
        }
        if let Err(error) = serde_json::from_slice::<ClientJsonRpcMessage>(request.body()) {
            let message = format!("the body is not one JSON-RPC 2.0 message: {error}");
            return json_rpc_error(ErrorData::invalid_request(message, None));
        }
    }
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .disable_allowed_hosts();
    let service = StreamableHttpService::new(
        move || Ok(Tools::new(app.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    let (parts, body) = service.handle(request.map(Full::new)).await.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    Response::from_parts(parts, body)
}

/// JSON-RPC's answer to a body it cannot serve (-32700, -32600), with HTTP 400 and without
/// an id (none could be read).
fn json_rpc_error(error: ErrorData) -> Response<Bytes> {
    let answer = JsonRpcError::new(None, error);
    let mut response = Response::new(Bytes::from(serde_json::to_vec(&answer).unwrap_or_default()));
    *response.status_mut() = StatusCode::BAD_REQUEST;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mcp_path_is_served_with_or_without_a_trailing_slash() {
        assert!(serves("/api/mcp"));
        assert!(serves("/api/mcp/"));
        assert!(!serves("/api/mcp/x"));
        assert!(!serves("/api/mcpx"));
    }
}
