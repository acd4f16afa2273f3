//! `GET /api/issues/search` on Vercel.

use clockwork_api::Endpoint;
use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    clockwork_functions::serve_vercel(Function::new(Endpoint::ISSUE_SEARCH)).await
}
