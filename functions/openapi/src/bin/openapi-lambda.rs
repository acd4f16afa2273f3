//! `GET /api/openapi.json` on AWS Lambda: the committed OpenAPI document of the REST routes.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    clockwork_functions::serve_lambda(Function::new(Endpoint::OPENAPI)).await
}
