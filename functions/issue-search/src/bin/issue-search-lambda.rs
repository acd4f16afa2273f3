//! `GET /api/issues/search` on AWS Lambda.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    clockwork_functions::serve_lambda(Function::new(Endpoint::ISSUE_SEARCH)).await
}
