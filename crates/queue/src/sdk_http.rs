//! The AWS SDK's requests sent by reqwest, the HTTP client every other part of a process
//! uses. The SDK's own client is a second hyper stack with HTTP/2 and its own TLS set-up,
//! about 0.4 MB of every binary that uses the SDK (the worker's); SQS needs neither.

use std::time::Duration;

use aws_sdk_sqs::config::SharedHttpClient;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;

use crate::QueueError;

/// An SDK HTTP client over a reqwest client built now, as [`crate::sqs`] sets it up: it
/// fails, naming what to fix, when no root certificate can be loaded, and loads none when
/// `endpoint_url` speaks plain HTTP.
pub fn http_client(endpoint_url: Option<&str>) -> Result<SharedHttpClient, QueueError> {
    let client = crate::sqs::reqwest_client(endpoint_url)?;
    Ok(SharedHttpClient::new(Reqwest { client, read_timeout: None }))
}

#[derive(Debug, Clone)]
struct Reqwest {
    client: reqwest::Client,
    /// The SDK's read timeout, applied to each whole request (SQS answers are small).
    read_timeout: Option<Duration>,
}

impl HttpClient for Reqwest {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let read_timeout = settings.read_timeout();
        SharedHttpConnector::new(Self { client: self.client.clone(), read_timeout })
    }
}

impl HttpConnector for Reqwest {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let this = self.clone();
        HttpConnectorFuture::new(async move { this.send(request).await })
    }
}

impl Reqwest {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let request = request.try_into_http1x().map_err(|e| ConnectorError::user(e.into()))?;
        let (parts, body) = request.into_parts();
        // SQS requests are small JSON documents, held in memory whole.
        let body = body.bytes().map(Bytes::copy_from_slice).ok_or_else(|| {
            ConnectorError::user("a streaming request body cannot be sent to SQS".into())
        })?;
        let mut request = reqwest::Request::try_from(http::Request::from_parts(parts, body))
            .map_err(|e| ConnectorError::user(e.into()))?;
        if let Some(timeout) = self.read_timeout {
            *request.timeout_mut() = Some(timeout);
        }
        let response = self.client.execute(request).await.map_err(transport_error)?;
        let (status, headers) = (response.status(), response.headers().clone());
        let body = response.bytes().await.map_err(transport_error)?;
        let mut answer = http::Response::new(SdkBody::from(body));
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        HttpResponse::try_from(answer).map_err(|e| ConnectorError::other(e.into(), None))
    }
}

/// Timeouts and connection failures are what the SDK's retry policy retries.
fn transport_error(error: reqwest::Error) -> ConnectorError {
    if error.is_timeout() {
        ConnectorError::timeout(error.into())
    } else {
        ConnectorError::io(error.into())
    }
}
