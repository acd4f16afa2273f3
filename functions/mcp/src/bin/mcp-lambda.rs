//! `POST /api/mcp` (the MCP server over the routes) on AWS Lambda.

use clockwork_functions::Function;

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    let host =
        Function::host_with_queue(|app, request| Box::pin(clockwork_mcp::handle(app, request)));
    clockwork_functions::serve_lambda(host).await
}
