//! Errors as the REST API words them: every error carries a machine code in
//! `extensions.code` (`INVALID_INPUT`, `FORBIDDEN`, `NOT_TRACKED`, `INVALID_CRON`,
//! `STORE_UNAVAILABLE`, Jira's `AUTH_EXPIRED`, …); causes go to the log, not to the caller.

use async_graphql::{Context, ErrorExtensions, Guard, Response};
use clockwork_api::auth::Caller;
use clockwork_clients::JiraDataError;
use clockwork_operations::ControlError;
use clockwork_store::StoreError;

use crate::limits::{MAX_COMPLEXITY, MAX_DEPTH};

/// An error with its machine code.
pub fn coded(code: &str, message: impl Into<String>) -> async_graphql::Error {
    let code = code.to_owned();
    async_graphql::Error::new(message).extend_with(move |_, e| e.set("code", code.as_str()))
}

/// `INVALID_INPUT` naming the argument at fault.
pub fn invalid(field: &str, problem: impl std::fmt::Display) -> async_graphql::Error {
    let field_name = field.to_owned();
    coded("INVALID_INPUT", format!("`{field}` {problem}"))
        .extend_with(move |_, e| e.set("field", field_name.as_str()))
}

pub fn store(error: StoreError) -> async_graphql::Error {
    match error {
        StoreError::UnknownProject(key) => not_tracked(&key),
        StoreError::Invalid(problem) => coded("INVALID_INPUT", problem),
        other => {
            tracing::error!(error = %other, "a store call of a GraphQL request failed");
            coded("STORE_UNAVAILABLE", "the store could not answer; try again shortly")
        }
    }
}

pub fn control(error: ControlError) -> async_graphql::Error {
    match error {
        ControlError::Store(inner) => store(inner),
        ControlError::InvalidCron(cron) => {
            let field = cron.field.unwrap_or("cron");
            coded("INVALID_CRON", cron.message).extend_with(move |_, e| e.set("field", field))
        }
        other => coded(other.code(), other.to_string()),
    }
}

/// A Jira failure with its classified code (`AUTH_EXPIRED`, `RATE_LIMIT`, …) and advice.
pub fn jira(what: &str, error: JiraDataError) -> async_graphql::Error {
    let advice = error.advice;
    coded(error.code.as_str(), format!("{what}: {}", error.message))
        .extend_with(move |_, e| e.set("advice", advice))
}

pub fn not_tracked(key: &str) -> async_graphql::Error {
    coded("NOT_TRACKED", format!("{key} is not tracked; track it first (trackProject)"))
}

/// Lets admins (and the trusted owner of a deployment without auth) through.
#[derive(Debug, Clone, Copy)]
pub struct AdminOnly;

impl Guard for AdminOnly {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        match ctx.data::<Caller>()? {
            Caller::Admin { .. } | Caller::Trusted => Ok(()),
            Caller::User { .. } => {
                Err(coded("FORBIDDEN", "this field needs an admin token; ask an admin for one"))
            }
        }
    }
}

/// Gives every error the executor raised by itself (parse, validation, limits) a code too.
pub fn code_the_rest(mut response: Response) -> Response {
    for error in &mut response.errors {
        let coded = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if coded {
            continue;
        }
        let code = match error.message.as_str() {
            "Query is nested too deep." => {
                error.message = format!(
                    "the query nests deeper than {MAX_DEPTH} levels; ask for fewer nested fields"
                );
                "QUERY_TOO_DEEP"
            }
            "Query is too complex." => {
                error.message = format!(
                    "the query selects more than {MAX_COMPLEXITY} fields; split it into smaller ones"
                );
                "QUERY_TOO_COMPLEX"
            }
            _ => "INVALID_INPUT",
        };
        error.extensions.get_or_insert_with(Default::default).set("code", code);
    }
    response
}
