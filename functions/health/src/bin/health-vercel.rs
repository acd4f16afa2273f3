//! `GET /api/health` on Vercel.

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    clockwork_functions::serve_vercel(clockwork_api::Route::Health).await
}
