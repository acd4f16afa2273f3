//! `GET /api/users/resolve` on Vercel.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    clockwork_functions::serve_vercel(Function::new(Endpoint::USERS_RESOLVE)).await
}
