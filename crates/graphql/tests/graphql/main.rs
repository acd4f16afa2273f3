//! The GraphQL API's rules, each on both databases (a temporary SQLite file; Postgres for
//! real in a schema of the test's own), against the test kit's fake Jira. Requests go
//! through [`GraphqlService::handle`], as every host calls it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use clockwork_api::auth::{Auth, Role};
use clockwork_clients::HttpOptions;
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_core::AccountId;
use clockwork_core::config::{AuthConfig, JiraConfig};
use clockwork_graphql::{Deps, GraphqlService};
use clockwork_operations::{Controls, Schedule};
use clockwork_store::{Store, StoreConfig};
use clockwork_testkit::databases::{Kind, with_database};
use clockwork_testkit::jira::FakeJira;
use secrecy::SecretString;
use serde_json::{Value, json};

mod admin;
mod reads;
mod seed;
mod sync;

const SECRET: &str = "0123456789abcdef0123456789abcdef";
const JIRA_EMAIL: &str = "bot@acme.example";
const JIRA_TOKEN: &str = "jira-token";

/// A store, a fake Jira, the service over both, and tokens for a user and an admin.
#[derive(Debug)]
pub struct World {
    pub store: Store,
    pub jira: FakeJira,
    pub client: Arc<JiraDataClient>,
    pub controls: Controls,
    pub service: GraphqlService,
    pub user_token: String,
    pub admin_token: String,
}

impl World {
    pub async fn run<F, Fut>(kind: Kind, rule: F)
    where
        F: FnOnce(World) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        with_database(kind, |database| async move {
            let jira = FakeJira::start(JIRA_EMAIL, JIRA_TOKEN).await;
            let client = Arc::new(data_client(&jira, JIRA_TOKEN));
            let store = Store::connect(&StoreConfig::new(&database.url).expect("config"))
                .await
                .expect("connect");
            store.migrate().await.expect("migrate");
            let controls = Controls::new(store.clone(), Schedule::parse("*/15 * * * *").unwrap());
            let auth = || Auth::new(&AuthConfig::Jwt { secret: SecretString::from(SECRET) });
            let token = |id: &str, role| {
                let id = AccountId::parse(id).unwrap();
                auth().issue(&id, None, role, Duration::from_secs(600)).unwrap()
            };
            let deps =
                Deps { store: store.clone(), controls: controls.clone(), jira: client.clone() };
            let world = World {
                service: GraphqlService::new(deps, auth()),
                user_token: token("user-1", Role::User),
                admin_token: token("admin-1", Role::Admin),
                store,
                jira,
                client,
                controls,
            };
            rule(world).await;
            drop(database);
        })
        .await;
    }

    /// A request as a host hands it over; the status and the JSON answer.
    pub async fn post(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = http::Request::builder().method("POST").uri("/api/graphql");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(Bytes::from(body.to_string())).expect("request");
        let response = self.service.handle(request).await;
        let status = response.status().as_u16();
        (status, serde_json::from_slice(response.body()).expect("a JSON answer"))
    }

    /// An admin's query; panics on errors.
    pub async fn admin(&self, query: &str, variables: Value) -> Value {
        let answer = self.ask(&self.admin_token, query, variables).await;
        assert!(answer.get("errors").is_none(), "{answer:#}");
        answer["data"].clone()
    }

    /// A user's query; panics on errors.
    pub async fn user(&self, query: &str, variables: Value) -> Value {
        let answer = self.ask(&self.user_token, query, variables).await;
        assert!(answer.get("errors").is_none(), "{answer:#}");
        answer["data"].clone()
    }

    /// The whole answer, errors included.
    pub async fn ask(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, answer) =
            self.post(Some(token), json!({ "query": query, "variables": variables })).await;
        assert_eq!(status, 200, "{answer:#}");
        answer
    }
}

/// The data client of the fake Jira with `token`, retrying fast.
pub fn data_client(jira: &FakeJira, token: &str) -> JiraDataClient {
    let config = JiraConfig {
        base_url: jira.base_url().parse().expect("URL"),
        email: JIRA_EMAIL.into(),
        api_token: SecretString::from(token),
    };
    let http =
        HttpOptions { base_backoff: Duration::from_millis(5), ..DataOptions::default().http };
    JiraDataClient::new(&config, DataOptions { http, ..DataOptions::default() })
}

/// The machine codes of an answer's errors.
pub fn codes(answer: &Value) -> Vec<String> {
    let errors = answer["errors"].as_array().cloned().unwrap_or_default();
    errors.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("-").to_owned()).collect()
}
