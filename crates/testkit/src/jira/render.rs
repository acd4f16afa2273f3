//! JSON shapes of users and issues, after Atlassian's OpenAPI document (`User`, `IssueBean`,
//! `StatusDetails`, `Priority`, `IssueTypeDetails`, `ProjectDetails`).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{FakeIssue, FakeProject, FakeUser, JiraData};

/// The issue fields this fake knows, in the order it renders them.
const KNOWN_FIELDS: [&str; 8] =
    ["summary", "status", "project", "assignee", "priority", "issuetype", "created", "updated"];

/// What a real issue offers to expand.
const ISSUE_EXPAND: &str =
    "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations";

/// Which fields a request asked for (`fields=summary,status`, `*all`, `-comment`).
#[derive(Debug, Clone, Default)]
pub(super) struct FieldSelection {
    all: bool,
    include: Vec<String>,
    exclude: Vec<String>,
}

impl FieldSelection {
    /// `items` are the comma-split `fields` values; when there are none, `all_by_default`
    /// decides between every field (GET issue) and `id` alone (search).
    pub(super) fn parse(items: &[String], all_by_default: bool) -> Self {
        let mut selection = Self::default();
        if items.is_empty() {
            selection.all = all_by_default;
            selection.include.push("id".to_owned());
        }
        for item in items {
            match item.as_str() {
                "*all" | "*navigable" => selection.all = true,
                excluded if excluded.starts_with('-') => {
                    selection.exclude.push(excluded[1..].to_ascii_lowercase());
                }
                included => selection.include.push(included.to_ascii_lowercase()),
            }
        }
        // Only exclusions (`-description`) mean every field but those.
        if selection.include.is_empty() && !selection.exclude.is_empty() {
            selection.all = true;
        }
        selection
    }

    fn wants(&self, field: &str) -> bool {
        !self.exclude.iter().any(|f| f == field)
            && (self.all || self.include.iter().any(|f| f == field))
    }

    /// Whether only `id` and/or `key` were asked for (the largest search pages).
    pub(super) fn id_or_key_only(&self) -> bool {
        !self.all && self.include.iter().all(|f| f == "id" || f == "key")
    }
}

/// Renders values with links relative to the fake's base URL.
#[derive(Debug)]
pub(super) struct Renderer<'a> {
    pub(super) base: &'a str,
    pub(super) data: &'a JiraData,
}

impl Renderer<'_> {
    pub(super) fn user(&self, user: &FakeUser) -> Value {
        let mut value = json!({
            "self": format!("{}/rest/api/3/user?accountId={}", self.base, user.account_id),
            "accountId": user.account_id,
            "accountType": "atlassian",
            "avatarUrls": self.avatar_urls(&format!("/avatars/user/{}.png", user.account_id)),
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": user.time_zone,
            "locale": "en_US",
        });
        if let Some(email) = &user.email {
            value["emailAddress"] = json!(email);
        }
        value
    }

    /// An assignee: the user, or what Jira shows for an account it no longer knows.
    fn user_by_id(&self, account_id: &str) -> Value {
        match self.data.user(account_id) {
            Some(user) => self.user(user),
            None => json!({
                "self": format!("{}/rest/api/3/user?accountId={account_id}", self.base),
                "accountId": account_id,
                "accountType": "unknown",
                "avatarUrls": self.avatar_urls("/avatars/user/unknown.png"),
                "displayName": "Former user",
                "active": false,
            }),
        }
    }

    fn avatar_urls(&self, path: &str) -> Value {
        let url = |size: u32| format!("{}{path}?s={size}", self.base);
        json!({ "16x16": url(16), "24x24": url(24), "32x32": url(32), "48x48": url(48) })
    }

    fn project(&self, project: &FakeProject) -> Value {
        json!({
            "self": format!("{}/rest/api/3/project/{}", self.base, project.id),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": false,
            "avatarUrls": self.avatar_urls(&format!("/avatars/project/{}.png", project.id)),
        })
    }

    fn status(&self, name: &str) -> Value {
        let lower = name.to_ascii_lowercase();
        let id = match lower.as_str() {
            "to do" => "10000",
            "done" => "10001",
            "in review" => "10002",
            "backlog" => "10003",
            "in progress" => "3",
            _ => "10099",
        };
        let (category_id, key, color, category_name) = match lower.as_str() {
            "to do" | "open" | "backlog" | "selected for development" => {
                (2, "new", "blue-gray", "To Do")
            }
            "done" | "closed" | "resolved" => (3, "done", "green", "Done"),
            _ => (4, "indeterminate", "yellow", "In Progress"),
        };
        json!({
            "self": format!("{}/rest/api/3/status/{id}", self.base),
            "description": "",
            "iconUrl": format!("{}/images/icons/statuses/generic.png", self.base),
            "name": name,
            "id": id,
            "statusCategory": {
                "self": format!("{}/rest/api/3/statuscategory/{category_id}", self.base),
                "id": category_id,
                "key": key,
                "colorName": color,
                "name": category_name,
            },
        })
    }

    fn priority(&self, name: &str) -> Value {
        let id = match name.to_ascii_lowercase().as_str() {
            "highest" => "1",
            "high" => "2",
            "medium" => "3",
            "low" => "4",
            "lowest" => "5",
            _ => "10000",
        };
        json!({
            "self": format!("{}/rest/api/3/priority/{id}", self.base),
            "iconUrl": format!("{}/images/icons/priorities/{id}.svg", self.base),
            "name": name,
            "id": id,
        })
    }

    fn issue_type(&self, name: &str) -> Value {
        let (id, level) = match name.to_ascii_lowercase().as_str() {
            "epic" => ("10000", 1),
            "bug" => ("10004", 0),
            "story" => ("10003", 0),
            "subtask" | "sub-task" => ("10005", -1),
            _ => ("10001", 0),
        };
        json!({
            "self": format!("{}/rest/api/3/issuetype/{id}", self.base),
            "id": id,
            "description": "",
            "iconUrl": format!("{}/images/icons/issuetypes/{id}.svg", self.base),
            "name": name,
            "subtask": level < 0,
            "hierarchyLevel": level,
        })
    }

    fn field(&self, issue: &FakeIssue, field: &str) -> Value {
        match field {
            "summary" => json!(issue.summary),
            "status" => self.status(&issue.status),
            // Adding an issue adds its project, so the project is always known.
            "project" => {
                self.data.project(&issue.project_key).map_or(Value::Null, |p| self.project(p))
            }
            "assignee" => issue.assignee.as_deref().map_or(Value::Null, |id| self.user_by_id(id)),
            "priority" => issue.priority.as_deref().map_or(Value::Null, |p| self.priority(p)),
            "issuetype" => self.issue_type(&issue.issue_type),
            "created" => json!(jira_time(issue.created)),
            _ => json!(jira_time(issue.updated)),
        }
    }

    /// An `IssueBean`; only `{ id }` (and `key` when asked) when no real field was selected.
    pub(super) fn issue(&self, issue: &FakeIssue, selection: &FieldSelection) -> Value {
        if selection.id_or_key_only() {
            let mut value = json!({ "id": issue.id });
            if selection.include.iter().any(|f| f == "key") {
                value["key"] = json!(issue.key);
            }
            return value;
        }
        let fields: Map<String, Value> = KNOWN_FIELDS
            .into_iter()
            .filter(|field| selection.wants(field))
            .map(|field| (field.to_owned(), self.field(issue, field)))
            .collect();
        json!({
            "expand": ISSUE_EXPAND,
            "id": issue.id,
            "self": format!("{}/rest/api/3/issue/{}", self.base, issue.id),
            "key": issue.key,
            "fields": fields,
        })
    }
}

/// Jira's timestamp format: `2026-02-10T02:00:00.000+0000`.
fn jira_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}
