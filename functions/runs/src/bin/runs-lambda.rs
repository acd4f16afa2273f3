//! `GET /api/runs/{id}` on AWS Lambda.

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    clockwork_functions::serve_lambda(clockwork_api::Route::Run).await
}
