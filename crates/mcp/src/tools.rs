//! The tools: each reads its arguments ([`crate::args`]), calls its REST route
//! ([`crate::answer::call`]) and says in one line what it found.

use std::fmt;
use std::sync::Arc;

use clockwork_api::{App, Endpoint};
use clockwork_core::ApiError;
use http::request::Parts;
use rmcp::handler::server::common::Extension;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::{CallToolResult, Implementation, JsonObject, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, tool, tool_handler, tool_router};
use serde_json::{Value, json};

use crate::answer::{call, path_with_query, refusal, success};
use crate::args::{
    ActiveTimersArgs, SearchIssuesArgs, StartTimerArgs, StopTimerArgs, WorklogsArgs, parse, schema,
};
use crate::summary;

/// The MCP server of one request: the app's handlers, and the tools over them.
#[derive(Clone)]
pub struct Tools {
    app: Arc<App>,
    tool_router: ToolRouter<Self>,
}

impl fmt::Debug for Tools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tools").field("app", &self.app).finish_non_exhaustive()
    }
}

/// The tool's arguments, or the tool error that refuses them.
macro_rules! arguments {
    ($arguments:expr) => {
        match parse($arguments) {
            Ok(args) => args,
            Err(error) => return refusal(error),
        }
    };
}

/// The route's answer, or the tool error it refused with.
macro_rules! answered {
    ($call:expr) => {
        match $call.await {
            Ok(answer) => answer,
            Err(refused) => return refused,
        }
    };
}

#[tool_router]
impl Tools {
    pub fn new(app: Arc<App>) -> Self {
        Self { app, tool_router: Self::tool_router() }
    }

    #[tool(
        description = "The running Clockwork timers: your own, or (admins) another user's or \
                       everybody's with `all`. Each timer has its issue, start and seconds so far.",
        input_schema = schema::<ActiveTimersArgs>(),
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_active_timers(
        &self,
        Extension(caller): Extension<Parts>,
        arguments: JsonObject,
    ) -> CallToolResult {
        let args: ActiveTimersArgs = arguments!(arguments);
        let account_id = match (args.all, args.account_id, &args.user_email) {
            (true, None, None) => Some("all".to_owned()),
            (true, _, _) => {
                return refusal(ApiError::bad_field(
                    "all",
                    "cannot be combined with `accountId` or `userEmail`",
                ));
            }
            (false, account_id, _) => account_id,
        };
        let path = path_with_query(
            "/api/timers/active",
            [("accountId", account_id), ("userEmail", args.user_email)],
        );
        let answer = answered!(call(&self.app, Endpoint::TIMERS_ACTIVE, &caller, &path, None));
        let text = summary::timers(&answer);
        success(answer, text)
    }

    #[tool(
        description = "Your worklogs (or, for admins, a named user's) from one day to another, \
                       at most 31 days, with the time logged per day in seconds and as h:mm.",
        input_schema = schema::<WorklogsArgs>(),
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn get_worklogs(
        &self,
        Extension(caller): Extension<Parts>,
        arguments: JsonObject,
    ) -> CallToolResult {
        let args: WorklogsArgs = arguments!(arguments);
        let to = args.to.unwrap_or(args.from);
        let path = path_with_query(
            "/api/worklogs",
            [
                ("date", Some(args.from.to_string())),
                ("to", Some(to.to_string())),
                ("accountId", args.account_id),
                ("userEmail", args.user_email),
            ],
        );
        let mut answer = answered!(call(&self.app, Endpoint::WORKLOGS, &caller, &path, None));
        let days = summary::days(&answer, args.from, to);
        let text = summary::worklogs(&answer, &days, args.from, to);
        if let Value::Object(fields) = &mut answer {
            let total = fields.get("total").and_then(Value::as_i64).unwrap_or_default();
            fields.insert("totalHours".into(), json!(summary::hours(total)));
            fields.insert("days".into(), json!(days));
        }
        success(answer, text)
    }

    #[tool(
        description = "Finds Jira issues by key or text, as the issue picker does; with no `q`, \
                       your issues in progress, most recently updated first.",
        input_schema = schema::<SearchIssuesArgs>(),
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn search_issues(
        &self,
        Extension(caller): Extension<Parts>,
        arguments: JsonObject,
    ) -> CallToolResult {
        let args: SearchIssuesArgs = arguments!(arguments);
        let path = path_with_query(
            "/api/issues/search",
            [
                ("q", args.q),
                ("maxResults", args.max_results.map(|n| n.to_string())),
                ("accountId", args.account_id),
            ],
        );
        let answer = answered!(call(&self.app, Endpoint::ISSUE_SEARCH, &caller, &path, None));
        let text = summary::issues(&answer);
        success(answer, text)
    }

    #[tool(
        description = "Starts your Clockwork timer on a Jira issue, with an optional comment.",
        input_schema = schema::<StartTimerArgs>(),
        annotations(read_only_hint = false, destructive_hint = false, open_world_hint = false)
    )]
    async fn start_timer(
        &self,
        Extension(caller): Extension<Parts>,
        arguments: JsonObject,
    ) -> CallToolResult {
        let args: StartTimerArgs = arguments!(arguments);
        let body = json!({ "issueKey": args.issue_key, "comment": args.comment });
        let answer = answered!(call(
            &self.app,
            Endpoint::TIMERS_START,
            &caller,
            "/api/timers/start",
            Some(body)
        ));
        let text = format!("Started a timer on {}.", answer["issueKey"].as_str().unwrap_or("?"));
        success(answer, text)
    }

    #[tool(
        description = "Stops your running Clockwork timer on a Jira issue; Clockwork logs the \
                       time as a worklog.",
        input_schema = schema::<StopTimerArgs>(),
        annotations(read_only_hint = false, destructive_hint = false, open_world_hint = false)
    )]
    async fn stop_timer(
        &self,
        Extension(caller): Extension<Parts>,
        arguments: JsonObject,
    ) -> CallToolResult {
        let args: StopTimerArgs = arguments!(arguments);
        let body = json!({ "issueKey": args.issue_key, "timerId": args.timer_id });
        let answer = answered!(call(
            &self.app,
            Endpoint::TIMERS_STOP,
            &caller,
            "/api/timers/stop",
            Some(body)
        ));
        let text = format!("Stopped the timer on {}.", answer["issueKey"].as_str().unwrap_or("?"));
        success(answer, text)
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Tools {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("clockwork", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Clockwork Pro time tracking for Jira Cloud: read running timers and worklogs, \
                 find issues, start and stop timers. Every call acts as the bearer token's user.",
            )
    }
}
