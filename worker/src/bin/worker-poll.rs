//! The worker as a long-running process that long-polls `SQS_QUEUE_URL`; SIGTERM or
//! Ctrl-C stops receiving and lets the batch in hand finish.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clockwork_core::config::QueueConfig;
use clockwork_core::telemetry::{LogFormat, init};
use clockwork_queue::sqs::SqsQueue;

#[tokio::main]
async fn main() -> Result<()> {
    init(LogFormat::from_env_or(LogFormat::Json));
    let QueueConfig::Sqs { queue_url, region, endpoint_url } = QueueConfig::from_env()? else {
        bail!("set SQS_QUEUE_URL");
    };
    let queue = Arc::new(SqsQueue::new(&queue_url, region.as_deref(), endpoint_url.as_deref()));
    let engine = clockwork_worker::wiring::engine_from_env(Some(queue.clone()))
        .await
        .context("worker cannot start")?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let shutdown = async move {
        tokio::select! {
            _ = terminate.recv() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
        tracing::info!("shutting down after the batch in hand");
    };
    tracing::info!(queue = %queue_url, "worker polling");
    clockwork_worker::poll::run(&engine, &queue, shutdown).await;
    Ok(())
}
