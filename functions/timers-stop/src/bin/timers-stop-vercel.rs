//! `POST /api/timers/stop` on Vercel.

use clockwork_api::Route;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    clockwork_functions::serve_vercel(Function::with_queue(Route::TimersStop)).await
}
