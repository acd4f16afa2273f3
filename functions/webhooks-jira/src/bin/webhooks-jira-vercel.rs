//! `POST /api/webhooks/jira` on Vercel.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    clockwork_functions::serve_vercel(Function::with_queue(Endpoint::JIRA_WEBHOOK)).await
}
