//! What webhook deliveries carry: Jira Cloud renders them the REST v2 way, not v3 (links to
//! `/rest/api/2/`, comment bodies and worklog comments as plain strings), and leaves the
//! comments and worklogs out of the issue's fields.

use serde_json::{Value, json};

use super::issue::KNOWN_FIELDS;
use super::{FieldSelection, Renderer};
use crate::jira::store::{IssueEntry, StoredComment, StoredHistory, StoredWorklog};

/// The fields of the issue in issue events: all it has but the embedded comments and
/// worklogs.
const ISSUE_FIELDS: &[&str] = KNOWN_FIELDS.split_at(KNOWN_FIELDS.len() - 2).0;
/// The fewer fields of the issue in comment events.
const COMMENT_EVENT_FIELDS: [&str; 6] =
    ["summary", "issuetype", "project", "assignee", "priority", "status"];

impl Renderer<'_> {
    /// The issue as an issue event (`for_comment: false`) or a comment event carries it.
    pub(in crate::jira) fn webhook_issue(&self, entry: &IssueEntry, for_comment: bool) -> Value {
        let fields: &[&str] = if for_comment { &COMMENT_EVENT_FIELDS } else { ISSUE_FIELDS };
        let fields: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
        let mut issue = self.issue(entry, &FieldSelection::parse(&fields, false));
        if let Some(object) = issue.as_object_mut() {
            object.remove("expand");
        }
        v2(issue)
    }

    /// A comment with its body as plain text.
    pub(in crate::jira) fn webhook_comment(
        &self,
        issue_id: &str,
        id: u64,
        comment: &StoredComment,
    ) -> Value {
        let mut value = self.comment(issue_id, id, comment);
        value["body"] = json!(&*comment.body);
        v2(value)
    }

    /// A worklog with its comment as plain text.
    pub(in crate::jira) fn webhook_worklog(
        &self,
        issue_id: &str,
        id: u64,
        worklog: &StoredWorklog,
    ) -> Value {
        let mut value = self.worklog(issue_id, id, worklog);
        if let Some(comment) = &worklog.comment {
            value["comment"] = json!(&**comment);
        }
        v2(value)
    }

    /// Who made the change.
    pub(in crate::jira) fn webhook_user(&self, account_id: &str) -> Value {
        v2(self.user_by_id(account_id))
    }

    /// An update's `changelog`: its entry's id and items; a move of the assignee or reporter
    /// also names the accounts as `tmpFromAccountId`/`tmpToAccountId`.
    pub(in crate::jira) fn webhook_changelog(&self, history: &StoredHistory) -> Value {
        let mut entry = self.history(history, |_| true);
        let mut items = entry["items"].take();
        for item in items.as_array_mut().into_iter().flatten() {
            if matches!(item["field"].as_str(), Some("assignee" | "reporter")) {
                item["tmpFromAccountId"] = item["from"].clone();
                item["tmpToAccountId"] = item["to"].clone();
            }
        }
        json!({ "id": entry["id"].take(), "items": items })
    }
}

/// `value` with every link to the v3 API pointed at v2, as deliveries write them.
fn v2(mut value: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::String(text) if text.contains("/rest/api/3/") => {
                *text = text.replace("/rest/api/3/", "/rest/api/2/");
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            Value::Object(fields) => fields.values_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value
}
