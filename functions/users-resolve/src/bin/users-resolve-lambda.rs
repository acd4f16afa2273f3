//! `GET /api/users/resolve` on AWS Lambda.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    clockwork_functions::serve_lambda(Function::new(Endpoint::USERS_RESOLVE)).await
}
