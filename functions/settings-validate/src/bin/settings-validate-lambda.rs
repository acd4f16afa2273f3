//! `POST /api/settings/validate` on AWS Lambda.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    clockwork_functions::serve_lambda(Function::new(Endpoint::SETTINGS_VALIDATE)).await
}
