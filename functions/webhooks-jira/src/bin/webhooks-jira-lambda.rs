//! `POST /api/webhooks/jira` on AWS Lambda.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    clockwork_functions::serve_lambda(Function::with_queue(Endpoint::JIRA_WEBHOOK)).await
}
