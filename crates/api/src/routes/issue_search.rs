//! `GET /api/issues/search?q=…&maxResults=…[&accountId=…]`: the desktop client's issue picker.
//!
//! An empty `q` lists the caller's issues in progress; otherwise a `q` that is an issue key
//! finds that issue first, then the issues whose text matches. One `search/jql` call either
//! way, its answer cached per caller and query for 60 s and each issue put in the
//! `jira:issue:` cache for the issue route and worklog enrichment.

use std::time::Duration;

use bytes::Bytes;
use clockwork_core::contract::{IssueDetails, ProjectRef};
use clockwork_core::{AccountId, ApiError, IssueKey, UserRef};
use http::{Request, Response, StatusCode};
use serde::Serialize;

use crate::App;
use crate::auth::{Caller, Subject};
use crate::input::Query;
use crate::router::{json, raw_json};
use crate::routes::issue::remember;
use crate::upstream::{Service, cache_error, to_api_error};

pub const DEFAULT_MAX_RESULTS: usize = 10;
pub const MAX_RESULTS: usize = 50;
/// Longer queries are refused: nobody types more into a picker, and it bounds the JQL.
pub const MAX_QUERY_CHARS: usize = 200;
const CACHE_TTL: Duration = Duration::from_secs(60);

#[derive(Serialize)]
struct Answer<'a> {
    issues: Vec<Found<'a>>,
}

/// What the picker shows of an issue.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Found<'a> {
    key: &'a str,
    id: &'a str,
    summary: &'a str,
    status: &'a str,
    project: &'a ProjectRef,
}

pub async fn handle(
    app: &App,
    caller: &Caller,
    request: &Request<Bytes>,
) -> Result<Response<Bytes>, ApiError> {
    let query = Query::parse(request.uri());
    let account = match caller.subject(query.get("accountId"), None)? {
        Subject::User(UserRef::Account(account)) => account,
        Subject::User(UserRef::Email(_)) | Subject::All => {
            return Err(ApiError::bad_field("accountId", "must name one user"));
        }
    };
    let max_results = max_results(query.get("maxResults"))?;
    let text = query.get("q").map(str::trim).unwrap_or_default();
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_field(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let cache_key = format!("jira:search:{account}:{max_results}:{text}");
    if let Some(cached) = app.cache.get(&cache_key).await.map_err(cache_error)? {
        return Ok(raw_json(cached));
    }
    let search = Search::new(&account, text);
    let mut issues = match search.jql() {
        Some(jql) => app
            .jira
            .search_issues(&jql, max_results)
            .await
            .map_err(|e| to_api_error(Service::Jira, e))?,
        None => Vec::new(),
    };
    if let Some(key) = search.key() {
        // Stable: the text matches keep Jira's order behind the key's issue.
        issues.sort_by_key(|issue| !issue.key.eq_ignore_ascii_case(key.as_str()));
    }
    if let Err(error) = remember(app, &issues).await {
        tracing::warn!(%error, "could not cache the issues found");
    }
    let response = json(StatusCode::OK, &Answer { issues: issues.iter().map(found).collect() });
    if response.status().is_success()
        && let Ok(body) = std::str::from_utf8(response.body())
        && let Err(error) = app.cache.set(&cache_key, body, Some(CACHE_TTL)).await
    {
        tracing::warn!(%error, "could not cache the search");
    }
    Ok(response)
}

fn max_results(value: Option<&str>) -> Result<usize, ApiError> {
    let Some(value) = value else { return Ok(DEFAULT_MAX_RESULTS) };
    value.trim().parse::<usize>().ok().filter(|n| (1..=MAX_RESULTS).contains(n)).ok_or_else(|| {
        ApiError::bad_field("maxResults", format!("must be a whole number from 1 to {MAX_RESULTS}"))
    })
}

fn found(issue: &IssueDetails) -> Found<'_> {
    Found {
        key: &issue.key,
        id: &issue.id,
        summary: &issue.summary,
        status: &issue.status,
        project: &issue.project,
    }
}

/// The search a picker query stands for.
#[derive(Debug, PartialEq, Eq)]
enum Search {
    /// An empty `q`: the user's issues in progress.
    InProgress { assignee: String },
    /// `q` read as an issue key when it is one, and `q` reduced to the words a text
    /// search may see.
    Text { key: Option<IssueKey>, words: String },
}

impl Search {
    fn new(assignee: &AccountId, text: &str) -> Self {
        if text.is_empty() {
            return Self::InProgress { assignee: assignee.to_string() };
        }
        Self::Text { key: IssueKey::parse(text).ok(), words: search_words(text) }
    }

    fn key(&self) -> Option<&IssueKey> {
        match self {
            Self::Text { key, .. } => key.as_ref(),
            Self::InProgress { .. } => None,
        }
    }

    /// The JQL, or `None` when nothing is left to search for (`q` was only punctuation).
    fn jql(&self) -> Option<String> {
        let filter = match self {
            Self::InProgress { assignee } => {
                format!("assignee = {} AND statusCategory = \"In Progress\"", quoted(assignee))
            }
            Self::Text { key, words } => {
                let mut terms: Vec<String> =
                    key.iter().map(|key| format!("key = {}", quoted(key.as_str()))).collect();
                if !words.is_empty() {
                    terms.extend(["summary", "text"].map(|f| format!("{f} ~ {}", quoted(words))));
                }
                if terms.is_empty() {
                    return None;
                }
                format!("({})", terms.join(" OR "))
            }
        };
        Some(format!("{filter} ORDER BY updated DESC"))
    }
}

/// The words of `text`, lowercased, with everything but letters and digits turned into
/// spaces. Inside a JQL string a text search still reads Lucene syntax (`OR`, `*`, `"`,
/// `\`, `(`…), so nothing of it may reach Jira: the words alone cannot widen the search.
fn search_words(text: &str) -> String {
    let spaced: String = text.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// A JQL string literal: quotes and backslashes escaped, so the value cannot end it.
fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(text: &str) -> Search {
        Search::new(&AccountId::parse("acc-ann").unwrap(), text)
    }

    #[test]
    fn an_empty_query_asks_for_the_callers_issues_in_progress() {
        assert_eq!(
            search("").jql().unwrap(),
            r#"assignee = "acc-ann" AND statusCategory = "In Progress" ORDER BY updated DESC"#
        );
    }

    #[test]
    fn a_key_is_searched_beside_its_text() {
        assert_eq!(
            search("kan-9").jql().unwrap(),
            r#"(key = "KAN-9" OR summary ~ "kan 9" OR text ~ "kan 9") ORDER BY updated DESC"#
        );
    }

    #[test]
    fn jql_and_lucene_syntax_never_leave_the_string() {
        let jql = search(r#"login" OR project = KAN ORDER BY key \ (x*)"#).jql().unwrap();
        assert_eq!(
            jql,
            r#"(summary ~ "login or project kan order by key x" OR text ~ "login or project kan order by key x") ORDER BY updated DESC"#
        );
        assert_eq!(search(r#""()*\"#).jql(), None);
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn max_results_is_from_1_to_50() {
        assert_eq!(max_results(None).unwrap(), 10);
        assert_eq!(max_results(Some("50")).unwrap(), 50);
        for bad in ["0", "51", "-1", "ten"] {
            assert!(max_results(Some(bad)).unwrap_err().message.contains("maxResults"));
        }
    }
}
