//! The worker as an AWS Lambda function fed by the SQS event source
//! (`FunctionResponseTypes: ReportBatchItemFailures`).

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use clockwork_core::config::QueueConfig;
use clockwork_core::telemetry::{LogFormat, init};
use clockwork_queue::Queue;
use clockwork_queue::sqs::SqsQueue;
use clockwork_worker::batch::{deadline_from_epoch_ms, handle};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::from_env_or(LogFormat::Json));
    let queue = match QueueConfig::from_env() {
        Ok(QueueConfig::Sqs { queue_url, region, endpoint_url }) => {
            Some(Arc::new(SqsQueue::new(&queue_url, region.as_deref(), endpoint_url.as_deref())))
        }
        _ => None,
    };
    let continuations = queue.clone().map(|queue| queue as Arc<dyn Queue>);
    let engine = match clockwork_worker::wiring::engine_from_env(continuations).await {
        Ok(engine) => engine,
        Err(error) => {
            tracing::error!(%error, "worker cannot start");
            std::process::exit(1);
        }
    };
    let (engine, queue) = (&engine, queue.as_deref());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline = deadline_from_epoch_ms(event.context.deadline);
        Ok::<SqsBatchResponse, lambda_runtime::Error>(
            handle(engine, queue, event.payload, Some(deadline)).await,
        )
    }))
    .await
}
