//! `POST /api/graphql` on Vercel (`GET` answers 405: GraphiQL is the local runner's only).

use clockwork_graphql::GraphqlService;

#[tokio::main]
async fn main() -> Result<(), vercel_runtime::Error> {
    let service = clockwork_functions::start_with(GraphqlService::deployed_from_env()).await;
    clockwork_functions::serve_vercel_with(move |request| {
        let service = service.clone();
        async move { service.handle(request).await }
    })
    .await
}
