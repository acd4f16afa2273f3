//! What every host adapter needs: reading a request body within the size limit.

use bytes::Bytes;
use clockwork_core::ApiError;
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Limited};

use crate::router::MAX_BODY_BYTES;

/// Reads a streamed body, stopping at the limit so an oversized upload is refused with 413
/// without being held in memory.
pub async fn read_body<B>(body: B) -> Result<Bytes, Response<Bytes>>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("request bodies are limited to {} KiB", MAX_BODY_BYTES / 1024),
        )
        .into_response()),
        Err(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BODY_UNREADABLE",
            "the request body could not be read completely",
        )
        .into_response()),
    }
}
