//! `IssueBean`: the fields a request selects, with `comment` and `worklog` embedded the way
//! search truncates them (at most 20 each, with the real `total`), and the shape changes a
//! test made ([`ShapeChanges`]).

use serde_json::{Map, Value, json};

use super::Renderer;
use crate::jira::model::StatusCategory;
use crate::jira::store::IssueEntry;
use crate::jira::{FakeIssue, SPRINT_FIELD, STORY_POINTS_FIELD};

/// The issue fields this fake knows, in the order it renders them; the last two are the
/// embedded comment and worklog pages.
pub(super) const KNOWN_FIELDS: [&str; 14] = [
    "summary",
    "status",
    "project",
    "assignee",
    "reporter",
    "priority",
    "issuetype",
    "created",
    "updated",
    "resolutiondate",
    SPRINT_FIELD,
    STORY_POINTS_FIELD,
    "comment",
    "worklog",
];

/// Comments (and worklogs) an issue embeds at most; the per-issue endpoints page the rest.
pub(in crate::jira) const EMBEDDED_LIMIT: usize = 20;

/// What a real issue offers to expand.
const ISSUE_EXPAND: &str =
    "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations";

/// Which fields a request asked for (`fields=summary,status`, `*all`, `-comment`).
#[derive(Debug, Clone, Default)]
pub(in crate::jira) struct FieldSelection {
    all: bool,
    include: Vec<String>,
    exclude: Vec<String>,
}

impl FieldSelection {
    /// `items` are the comma-split `fields` values; when there are none, `all_by_default`
    /// decides between every field (GET issue) and `id` alone (search).
    pub(in crate::jira) fn parse(items: &[String], all_by_default: bool) -> Self {
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
    pub(in crate::jira) fn id_or_key_only(&self) -> bool {
        !self.all && self.include.iter().all(|f| f == "id" || f == "key")
    }
}

/// Changes to the shape of every issue served, as when Jira's own shapes change.
#[derive(Debug, Default)]
pub(in crate::jira) struct ShapeChanges {
    /// (from, to): fields served under another name.
    renames: Vec<(String, String)>,
    /// (JSON pointer, value): values set, or removed (`None`).
    values: Vec<(String, Option<Value>)>,
}

impl ShapeChanges {
    /// Serves field `from` as `to`, replacing an earlier rename of `from`.
    pub(in crate::jira) fn rename(&mut self, from: &str, to: &str) {
        self.renames.retain(|(renamed, _)| renamed != from);
        self.renames.push((from.to_owned(), to.to_owned()));
    }

    /// Serves `value` at `pointer` (removes what is there for `None`), replacing an earlier
    /// change of `pointer`.
    pub(in crate::jira) fn set(&mut self, pointer: &str, value: Option<Value>) {
        self.values.retain(|(changed, _)| changed != pointer);
        self.values.push((pointer.to_owned(), value));
    }

    fn apply(&self, issue: &mut Value) {
        if let Some(fields) = issue.get_mut("fields").and_then(Value::as_object_mut) {
            for (from, to) in &self.renames {
                if let Some(value) = fields.remove(from) {
                    fields.insert(to.clone(), value);
                }
            }
        }
        for (pointer, value) in &self.values {
            let Some((parent, key)) = pointer.rsplit_once('/') else { continue };
            let Some(Value::Object(parent)) = issue.pointer_mut(parent) else { continue };
            match value {
                Some(value) => parent.insert(key.to_owned(), value.clone()),
                None => parent.remove(key),
            };
        }
    }
}

/// The id of a status, as the fake's workflow numbers them.
pub(in crate::jira) fn status_id(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "to do" => "10000",
        "done" => "10001",
        "in review" => "10002",
        "backlog" => "10003",
        "in progress" => "3",
        _ => "10099",
    }
}

impl Renderer<'_> {
    /// `StatusDetails`, with its category.
    pub(in crate::jira) fn status(&self, name: &str) -> Value {
        let id = status_id(name);
        let StatusCategory { id: category_id, key, color, name: category_name } =
            StatusCategory::of(name);
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

    /// The sprint custom field: the issue's sprints as objects, or null.
    fn sprint_field(&self, issue: &FakeIssue) -> Value {
        let sprints: Vec<Value> = issue
            .sprints
            .iter()
            .filter_map(|id| self.data.sprints.iter().find(|sprint| sprint.id == *id))
            .map(|sprint| {
                let mut value = self.sprint(sprint);
                value["boardId"] = json!(sprint.board_id);
                if let Some(object) = value.as_object_mut() {
                    object.remove("self");
                    object.remove("originBoardId");
                }
                value
            })
            .collect();
        if sprints.is_empty() { Value::Null } else { Value::Array(sprints) }
    }

    fn embedded_comments(&self, entry: &IssueEntry) -> Value {
        let comments: Vec<Value> = entry
            .comments
            .iter()
            .take(EMBEDDED_LIMIT)
            .filter_map(|id| Some(self.comment(&entry.issue.id, *id, self.data.comments.get(*id)?)))
            .collect();
        let mut value = json!({
            "self": format!("{}/rest/api/3/issue/{}/comment", self.base, entry.issue.id),
            "maxResults": comments.len(),
            "total": entry.comments.len(),
            "startAt": 0,
        });
        value["comments"] = Value::Array(comments);
        value
    }

    fn embedded_worklogs(&self, entry: &IssueEntry) -> Value {
        let worklogs: Vec<Value> = entry
            .worklogs
            .iter()
            .take(EMBEDDED_LIMIT)
            .filter_map(|id| Some(self.worklog(&entry.issue.id, *id, self.data.worklogs.get(*id)?)))
            .collect();
        let mut value = json!({
            "startAt": 0,
            "maxResults": worklogs.len(),
            "total": entry.worklogs.len(),
        });
        value["worklogs"] = Value::Array(worklogs);
        value
    }

    fn field(&self, entry: &IssueEntry, field: &str) -> Value {
        let issue = &entry.issue;
        let user =
            |id: &Option<String>| id.as_deref().map_or(Value::Null, |id| self.user_by_id(id));
        match field {
            "summary" => json!(issue.summary),
            "status" => self.status(&issue.status),
            // Adding an issue adds its project, so the project is always known.
            "project" => {
                self.data.project(&issue.project_key).map_or(Value::Null, |p| self.project(p))
            }
            "assignee" => user(&issue.assignee),
            "reporter" => user(&issue.reporter),
            "priority" => issue.priority.as_deref().map_or(Value::Null, |p| self.priority(p)),
            "issuetype" => self.issue_type(&issue.issue_type),
            "created" => json!(self.time(issue.created)),
            "updated" => json!(self.time(issue.updated)),
            "resolutiondate" => issue.resolution_date.map_or(Value::Null, |t| json!(self.time(t))),
            SPRINT_FIELD => self.sprint_field(issue),
            STORY_POINTS_FIELD => json!(issue.story_points),
            "comment" => self.embedded_comments(entry),
            _ => self.embedded_worklogs(entry),
        }
    }

    /// An `IssueBean`; only `{ id }` (and `key` when asked) when no real field was selected.
    pub(in crate::jira) fn issue(&self, entry: &IssueEntry, selection: &FieldSelection) -> Value {
        let issue = &entry.issue;
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
            .map(|field| (field.to_owned(), self.field(entry, field)))
            .collect();
        let mut value = json!({
            "expand": ISSUE_EXPAND,
            "id": issue.id,
            "self": format!("{}/rest/api/3/issue/{}", self.base, issue.id),
            "key": issue.key,
        });
        value["fields"] = Value::Object(fields);
        self.data.shape_changes.apply(&mut value);
        value
    }
}
