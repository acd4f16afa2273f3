//! The tools' arguments: each type is both the input schema a client is shown (schemars) and
//! the first check of what it sends. Unknown fields and wrong types are refused here, naming
//! the field, with the REST routes' `INVALID_INPUT`; what the routes check themselves (issue
//! keys, emails, account ids, ranges) is left to them, so each rule is written once.

use std::sync::Arc;

use chrono::NaiveDate;
use clockwork_core::ApiError;
use rmcp::handler::server::common::schema_for_type;
use rmcp::model::JsonObject;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// `get_active_timers`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActiveTimersArgs {
    /// Whose timers: an Atlassian account id. Omit for your own; only an admin may name
    /// someone else.
    pub account_id: Option<String>,
    /// Whose timers, by email address instead of account id.
    pub user_email: Option<String>,
    /// Every user's running timers (admins only).
    #[serde(default)]
    pub all: bool,
}

/// `get_worklogs`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorklogsArgs {
    /// The first day, YYYY-MM-DD.
    pub from: NaiveDate,
    /// The last day, YYYY-MM-DD (default: `from`); at most 31 days from `from`.
    pub to: Option<NaiveDate>,
    /// Whose worklogs: an Atlassian account id. Omit for your own.
    pub account_id: Option<String>,
    /// Whose worklogs, by email address instead of account id.
    pub user_email: Option<String>,
}

/// `search_issues`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SearchIssuesArgs {
    /// An issue key or words of the summary or text. Omit for your issues in progress.
    pub q: Option<String>,
    /// How many issues to answer, 1 to 50 (default 10).
    #[schemars(range(min = 1, max = 50))]
    pub max_results: Option<u32>,
    /// Search as another user (admins only): an Atlassian account id.
    pub account_id: Option<String>,
}

/// `start_timer`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartTimerArgs {
    /// The Jira issue to start the timer on, e.g. `KAN-12`.
    pub issue_key: String,
    /// What the time is spent on; it becomes the worklog's comment.
    #[schemars(length(max = 10000))]
    pub comment: Option<String>,
}

/// `stop_timer`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StopTimerArgs {
    /// The Jira issue whose running timer to stop, e.g. `KAN-12`.
    pub issue_key: String,
    /// The running timer's id, when known (from `get_active_timers`).
    pub timer_id: Option<u64>,
}

/// The input schema of a tool whose arguments are `T`.
pub fn schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    schema_for_type::<T>()
}

/// Reads a tool's arguments, naming the field at fault when they do not fit `T`.
pub fn parse<T: DeserializeOwned>(arguments: JsonObject) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(serde_json::Value::Object(arguments)).map_err(|error| {
        let path = error.path().to_string();
        let problem = error.into_inner();
        if path == "." {
            // A missing or unknown field: serde's message names it.
            ApiError::new(http::StatusCode::BAD_REQUEST, "INVALID_INPUT", problem.to_string())
        } else {
            ApiError::bad_field(&path, format!("is invalid: {problem}"))
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: serde_json::Value) -> JsonObject {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_wrongly_typed_field_is_named_with_invalid_input() {
        let error = parse::<WorklogsArgs>(object(json!({ "from": "soon" }))).unwrap_err();
        assert_eq!((error.status.as_u16(), error.code), (400, "INVALID_INPUT"));
        assert!(error.message.starts_with("`from` is invalid"), "{}", error.message);
        let error = parse::<SearchIssuesArgs>(object(json!({ "maxResults": -1 }))).unwrap_err();
        assert!(error.message.starts_with("`maxResults`"), "{}", error.message);
    }

    #[test]
    fn missing_and_unknown_fields_are_named() {
        let error = parse::<StartTimerArgs>(JsonObject::new()).unwrap_err();
        assert!(error.message.contains("`issueKey`"), "{}", error.message);
        let error = parse::<StopTimerArgs>(object(json!({ "issueKey": "KAN-1", "force": true })))
            .unwrap_err();
        assert!(error.message.contains("`force`"), "{}", error.message);
    }

    #[test]
    fn schemas_declare_their_fields_and_refuse_others() {
        let schema = schema::<WorklogsArgs>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["from"]));
        assert_eq!(schema["properties"]["from"]["format"], "date");
        assert_eq!(schema["additionalProperties"], false);
    }
}
