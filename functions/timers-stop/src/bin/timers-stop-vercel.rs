//! `POST /api/timers/stop` on Vercel.

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    clockwork_functions::serve_vercel(clockwork_api::Route::TimersStop).await
}
