//! [`GraphqlService`]: `POST /api/graphql` over the store, the operations' controls and the
//! Jira data client, as one plain async function over `http::Request<Bytes>` that every
//! host calls before the REST router. `GET` serves the GraphiQL page where the host allows
//! it (the local runner), else 405.

use std::fmt;
use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Schema, SchemaBuilder};
use bytes::Bytes;
use clockwork_api::auth::Auth;
use clockwork_clients::jira_data::JiraData;
use clockwork_operations::Controls;
use clockwork_store::Store;
use http::{Method, Request, Response, StatusCode, header};
use serde_json::json;

use crate::errors::code_the_rest;
use crate::limits::{MAX_COMPLEXITY, MAX_DEPTH};
use crate::loaders;
use crate::mutation::MutationRoot;
use crate::query::QueryRoot;

pub type ApiSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// What the resolvers read and act through.
pub struct Deps {
    pub store: Store,
    /// With a scheduler (the local runner), triggers enqueue at once; without one, the next
    /// schedule tick starts them.
    pub controls: Controls,
    /// Jira, asked live by the option queries and `trackProject`.
    pub jira: Arc<dyn JiraData>,
}

impl fmt::Debug for Deps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deps").field("store", &self.store).field("jira", &self.jira).finish()
    }
}

impl Deps {
    pub fn of<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<&'a Self> {
        ctx.data::<Self>()
    }
}

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(QueryRoot, MutationRoot, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

/// The schema as SDL: what `schema.graphql` holds.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The GraphQL endpoint; built once per process.
pub struct GraphqlService {
    schema: ApiSchema,
    store: Store,
    auth: Auth,
    graphiql: bool,
}

impl fmt::Debug for GraphqlService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphqlService")
            .field("store", &self.store)
            .field("auth", &self.auth)
            .field("graphiql", &self.graphiql)
            .finish_non_exhaustive()
    }
}

impl GraphqlService {
    /// Where hosts route it.
    pub const PATH: &str = "/api/graphql";

    /// Whether a host should hand a request for `path` to this service.
    pub fn serves(path: &str) -> bool {
        path.strip_suffix('/').unwrap_or(path) == Self::PATH
    }

    pub fn new(deps: Deps, auth: Auth) -> Self {
        let store = deps.store.clone();
        Self { schema: builder().data(deps).finish(), store, auth, graphiql: false }
    }

    /// `GET /api/graphql` serves the GraphiQL page (the local runner only).
    pub fn with_graphiql(mut self) -> Self {
        self.graphiql = true;
        self
    }

    /// One request: the caller's token, the query read from the body, the answer as JSON.
    /// Errors carry their machine code in `extensions.code`.
    #[tracing::instrument(skip_all, fields(route = "graphql", method = %request.method()))]
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Bytes> {
        match *request.method() {
            Method::POST => {}
            Method::GET | Method::HEAD if self.graphiql => return graphiql(),
            _ => {
                let mut response = failure(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    "/api/graphql accepts only POST with a JSON body { query, variables }",
                );
                response
                    .headers_mut()
                    .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
                return response;
            }
        }
        let caller = match self.auth.caller(request.headers()) {
            Ok(caller) => caller,
            Err(error) => return failure(error.status, error.code, &error.message),
        };
        let query: async_graphql::Request = match serde_json::from_slice(request.body()) {
            Ok(query) => query,
            Err(error) => {
                return failure(
                    StatusCode::BAD_REQUEST,
                    "INVALID_INPUT",
                    &format!(
                        "the body must be JSON {{ \"query\": \"…\", \"variables\": {{…}} }}: {error}"
                    ),
                );
            }
        };
        let query = query.data(caller).data(loaders::for_request(&self.store));
        let answer = code_the_rest(self.schema.execute(query).await);
        match serde_json::to_vec(&answer) {
            Ok(body) => json(StatusCode::OK, body),
            Err(error) => {
                tracing::error!(%error, "encoding a GraphQL answer failed");
                failure(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL",
                    "could not encode the answer",
                )
            }
        }
    }
}

/// An answer of errors only, before any query ran.
fn failure(status: StatusCode, code: &str, message: &str) -> Response<Bytes> {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    json(status, body.to_string().into_bytes())
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<Bytes> {
    let mut response = Response::new(Bytes::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

fn graphiql() -> Response<Bytes> {
    let mut response = Response::new(Bytes::from_static(include_bytes!("graphiql.html")));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    response
}
