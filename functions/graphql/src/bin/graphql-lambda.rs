//! `POST /api/graphql` on AWS Lambda (`GET` answers 405: GraphiQL is the local runner's only).

use clockwork_graphql::GraphqlService;

#[tokio::main]
async fn main() -> Result<(), clockwork_functions::lambda::Error> {
    let service = clockwork_functions::start_with(GraphqlService::deployed_from_env()).await;
    clockwork_functions::serve_lambda_with(move |request| {
        let service = service.clone();
        async move { service.handle(request).await }
    })
    .await
}
