//! `POST /api/timers/stop` on AWS Lambda.

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    clockwork_functions::serve_lambda(clockwork_api::Route::TimersStop).await
}
