//! The single error type a route answers with, and how a failure's causes are told.

use bytes::Bytes;
use http::{Response, StatusCode, header};
use serde::Serialize;

/// An error that is safe to show to the caller: a status, a machine code and advice.
///
/// The cause chain of whatever went wrong is logged where it happened; only this reaches
/// the client, so it never carries upstream bodies, tokens or stack traces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
    status_code: u16,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// 400 for a field that is missing, of the wrong type or malformed.
    pub fn bad_field(field: &str, problem: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_INPUT", format!("`{field}` {problem}"))
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }

    /// 502: an upstream service answered with something we cannot use.
    pub fn upstream(service: &str, message: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "UPSTREAM_ERROR", format!("{service}: {message}"))
    }

    /// 503: a dependency (cache, queue, upstream) is unreachable or overloaded right now.
    /// A 503 naming the dependency that failed, e.g. `CACHE_UNAVAILABLE` for "the cache".
    pub fn unavailable(code: &'static str, service: &str, message: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            format!("{service} is unavailable: {message}; try again shortly"),
        )
    }

    pub fn into_response(self) -> Response<Bytes> {
        let body = serde_json::to_vec(&ErrorBody {
            error: self.code,
            message: &self.message,
            status_code: self.status.as_u16(),
        })
        .unwrap_or_default();
        let mut response = Response::new(Bytes::from(body));
        *response.status_mut() = self.status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
        response
    }
}

/// `a: b: c` from an error and its sources: HTTP clients hide the cause (refused, timed
/// out, no certificates) in the chain. Unlike a `Debug` dump it carries no raw responses.
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_code_message_and_status() {
        let response = ApiError::bad_field("date", "must be YYYY-MM-DD").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "error": "INVALID_INPUT",
                "message": "`date` must be YYYY-MM-DD",
                "statusCode": 400
            })
        );
    }
}
