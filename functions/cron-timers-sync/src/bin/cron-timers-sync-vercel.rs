//! `GET /api/cron/timers-sync` on Vercel.

use clockwork_api::Route;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    clockwork_functions::serve_vercel(Function::with_queue(Route::CronTimersSync)).await
}
