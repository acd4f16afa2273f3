//! How a client failure becomes an answer: safe to show, with advice, never a panic.

use clockwork_clients::ClientError;
use clockwork_core::ApiError;
use http::StatusCode;

/// Which upstream failed; the codes and advice differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Jira,
    Clockwork,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Self::Jira => "Jira",
            Self::Clockwork => "Clockwork",
        }
    }
}

pub fn to_api_error(service: Service, error: ClientError) -> ApiError {
    let name = service.name();
    match (service, error) {
        (Service::Clockwork, ClientError::Unauthorized { .. }) => ApiError::unauthorized(
            "CLOCKWORK_UNAUTHORIZED",
            "Clockwork rejected the API token; send your own in X-Clockwork-Token or check \
             CLOCKWORK_API_TOKEN",
        ),
        // The backend's own Jira credentials failed: the caller can't fix that, an admin can.
        (Service::Jira, ClientError::Unauthorized { .. }) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "JIRA_AUTH_FAILED",
            "Jira rejected the backend's credentials; an admin must renew ATLASSIAN_API_TOKEN",
        ),
        (_, ClientError::NotFound) => {
            ApiError::not_found("NOT_FOUND", format!("{name} has no such item"))
        }
        (_, ClientError::InvalidState(message)) => {
            ApiError::new(StatusCode::CONFLICT, "TIMER_INVALID_STATE", format!("{name}: {message}"))
        }
        (_, ClientError::RateLimited { retry_after }) => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "UPSTREAM_RATE_LIMITED",
            match retry_after {
                Some(wait) => {
                    format!("{name} is rate limiting us; try again in {} s", wait.as_secs().max(1))
                }
                None => format!("{name} is rate limiting us; try again shortly"),
            },
        ),
        (_, ClientError::Transient(message)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "UPSTREAM_UNAVAILABLE",
            format!("{message}; try again shortly"),
        ),
        (_, ClientError::Rejected { status, message }) => ApiError::new(
            StatusCode::BAD_GATEWAY,
            "UPSTREAM_REJECTED",
            format!("{name} rejected the request (HTTP {status}): {message}"),
        ),
        (_, ClientError::Decode(message)) => {
            ApiError::new(StatusCode::BAD_GATEWAY, "UPSTREAM_BAD_RESPONSE", message)
        }
        // The deployment's fault, not the caller's: the details are in the log.
        (_, ClientError::Setup(_)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "HTTPS_UNAVAILABLE",
            format!(
                "this deployment cannot call {name}: it has no root certificates for HTTPS; an \
                 admin must install a CA bundle or set SSL_CERT_FILE (the log says more)"
            ),
        ),
    }
}

pub fn cache_error(error: clockwork_cache::CacheError) -> ApiError {
    tracing::error!(%error, "cache failure");
    ApiError::unavailable("CACHE_UNAVAILABLE", "the cache", "it did not answer")
}

pub fn queue_error(error: clockwork_queue::QueueError) -> ApiError {
    tracing::error!(%error, "queue failure");
    ApiError::unavailable("QUEUE_UNAVAILABLE", "the job queue", "it did not accept the job")
}
