//! `POST /api/mcp` (the MCP server over the routes) on Vercel.

use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    let host =
        Function::host_with_queue(|app, request| Box::pin(clockwork_mcp::handle(app, request)));
    clockwork_functions::serve_vercel(host).await
}
