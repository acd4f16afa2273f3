//! The worker as an AWS Lambda function fed by the SQS event source
//! (`FunctionResponseTypes: ReportBatchItemFailures`).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use clockwork_core::telemetry::{LogFormat, init};
use clockwork_queue::sqs::SqsQueue;
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init(LogFormat::from_env_or(LogFormat::Json));
    let engine = match clockwork_worker::wiring::engine_from_env().await {
        Ok(engine) => engine,
        Err(error) => {
            tracing::error!(%error, "worker cannot start");
            std::process::exit(1);
        }
    };
    let queue = match clockwork_core::config::QueueConfig::from_env() {
        Ok(clockwork_core::config::QueueConfig::Sqs { queue_url, region, endpoint_url }) => {
            Some(SqsQueue::new(&queue_url, region.as_deref(), endpoint_url.as_deref()))
        }
        _ => None,
    };
    let (engine, queue) = (&engine, queue.as_ref());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, lambda_runtime::Error>(
            clockwork_worker::batch::handle(engine, queue, event.payload).await,
        )
    }))
    .await
}
