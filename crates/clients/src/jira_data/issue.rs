//! Issues from `search/jql`, with the fields the sync names, including the configurable sprint
//! and story-point custom fields and the embedded (possibly truncated) comments and worklogs.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use super::classify::JiraDataError;
use super::drift::{SchemaDrift, issue_drifts};
use super::time;
use super::types::{CommentPage, DataUser, Sprint, WorklogPage};

/// The standard fields a sync names in its searches; [`super::JiraData::sync_fields`] adds
/// the sprint and story-point custom fields.
pub const SYNC_FIELDS: [&str; 12] = [
    "summary",
    "status",
    "priority",
    "issuetype",
    "assignee",
    "reporter",
    "created",
    "updated",
    "resolutiondate",
    "project",
    "comment",
    "worklog",
];

/// The project an issue belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IssueProject {
    pub id: String,
    pub key: String,
    #[serde(default)]
    pub name: String,
}

/// An issue with the fields its search named; those not named (or null) are `None`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataIssue {
    pub id: String,
    pub key: String,
    pub project: Option<IssueProject>,
    pub summary: Option<String>,
    pub status: Option<String>,
    /// `new`, `indeterminate` or `done`.
    pub status_category: Option<String>,
    pub priority: Option<String>,
    pub issue_type: Option<String>,
    pub assignee: Option<DataUser>,
    pub reporter: Option<DataUser>,
    pub created: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub resolution_date: Option<DateTime<Utc>>,
    pub sprints: Vec<Sprint>,
    pub story_points: Option<f64>,
    /// Embedded comments: search returns at most about 20, with the real `total`.
    pub comments: Option<CommentPage>,
    /// Embedded worklogs: at most 20, with the real `total`.
    pub worklogs: Option<WorklogPage>,
}

impl DataIssue {
    pub fn project_key(&self) -> Option<&str> {
        self.project.as_ref().map(|p| p.key.as_str())
    }

    pub fn project_id(&self) -> Option<&str> {
        self.project.as_ref().map(|p| p.id.as_str())
    }

    /// Whether the embedded comments are all of them; when not, page the issue's comments.
    pub fn comments_complete(&self) -> bool {
        self.comments.as_ref().is_some_and(|page| page.total <= page.comments.len() as u64)
    }

    /// Whether the embedded worklogs are all of them; when not, page the issue's worklogs.
    pub fn worklogs_complete(&self) -> bool {
        self.worklogs.as_ref().is_some_and(|page| page.total <= page.worklogs.len() as u64)
    }
}

/// One page of a `search/jql`; the next page is asked for with `next_page_token`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchPage {
    pub issues: Vec<DataIssue>,
    pub next_page_token: Option<String>,
    pub is_last: bool,
    /// How the page's first issue differs from what the client reads (`drift`).
    pub drifts: Vec<SchemaDrift>,
}

/// Where the custom fields are on this site.
#[derive(Debug, Clone, Copy)]
pub(super) struct CustomFields<'a> {
    pub(super) sprint: &'a str,
    pub(super) story_points: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WireSearchPage {
    #[serde(default)]
    issues: SampledIssues,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: Option<bool>,
}

/// A page's issues, the first also kept as it came: the sample the drift probe reads, at the
/// cost of reading that one issue's bytes twice more.
#[derive(Default)]
struct SampledIssues {
    issues: Vec<WireIssue>,
    first: Option<Box<RawValue>>,
}

impl<'de> Deserialize<'de> for SampledIssues {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(SampledVisitor)
    }
}

struct SampledVisitor;

impl<'de> Visitor<'de> for SampledVisitor {
    type Value = SampledIssues;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of issues")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SampledIssues, A::Error> {
        let Some(first) = seq.next_element::<Box<RawValue>>()? else {
            return Ok(SampledIssues::default());
        };
        let mut issues = Vec::with_capacity(seq.size_hint().unwrap_or(0) + 1);
        issues.push(serde_json::from_str(first.get()).map_err(de::Error::custom)?);
        while let Some(issue) = seq.next_element()? {
            issues.push(issue);
        }
        Ok(SampledIssues { issues, first: Some(first) })
    }
}

#[derive(Deserialize)]
struct WireIssue {
    id: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    fields: WireFields,
}

/// An issue's `fields`. Read by hand rather than with `#[serde(flatten)]`, which would
/// buffer every field (comments and worklogs included) before reading it a second time.
#[derive(Default)]
struct WireFields {
    summary: Option<String>,
    status: Option<WireStatus>,
    priority: Option<Named>,
    issuetype: Option<Named>,
    project: Option<IssueProject>,
    assignee: Option<DataUser>,
    reporter: Option<DataUser>,
    created: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    resolutiondate: Option<DateTime<Utc>>,
    comment: Option<CommentPage>,
    worklog: Option<WorklogPage>,
    /// Custom fields, among others not named above.
    other: HashMap<String, Value>,
}

impl<'de> Deserialize<'de> for WireFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = WireFields;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an issue's fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireFields, A::Error> {
        let mut fields = WireFields::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "summary" => fields.summary = map.next_value()?,
                "status" => fields.status = map.next_value()?,
                "priority" => fields.priority = map.next_value()?,
                "issuetype" => fields.issuetype = map.next_value()?,
                "project" => fields.project = map.next_value()?,
                "assignee" => fields.assignee = map.next_value()?,
                "reporter" => fields.reporter = map.next_value()?,
                "created" => fields.created = time::from_text(map.next_value()?)?,
                "updated" => fields.updated = time::from_text(map.next_value()?)?,
                "resolutiondate" => fields.resolutiondate = time::from_text(map.next_value()?)?,
                "comment" => fields.comment = map.next_value()?,
                "worklog" => fields.worklog = map.next_value()?,
                _ => {
                    fields.other.insert(key, map.next_value()?);
                }
            }
        }
        Ok(fields)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatus {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status_category: Option<WireCategory>,
}

#[derive(Deserialize)]
struct WireCategory {
    #[serde(default)]
    key: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    #[serde(default)]
    name: String,
}

impl WireSearchPage {
    /// The answer to `what`, a search for `requested`. One that does not parse is an error
    /// naming the value at fault, with the drifts of its issue, when an issue is at fault.
    pub(super) fn read(
        what: &str,
        body: &[u8],
        requested: &[&str],
        custom: CustomFields<'_>,
    ) -> Result<SearchPage, JiraDataError> {
        let problem = match serde_json::from_slice::<Self>(body) {
            Ok(page) => return Ok(page.into_page(requested, custom)),
            Err(problem) => problem,
        };
        tracing::warn!(what, error = %problem, "unparseable Jira answer");
        Err(match unreadable_issue(body, requested, custom) {
            Some(Unreadable { path, problem, drifts }) => {
                JiraDataError { drifts, ..JiraDataError::schema_mismatch_at(what, &path, &problem) }
            }
            None => JiraDataError::schema_mismatch(what, &problem),
        })
    }

    fn into_page(self, requested: &[&str], custom: CustomFields<'_>) -> SearchPage {
        let next_page_token = self.next_page_token.filter(|token| !token.is_empty());
        let first = self.issues.first.as_deref();
        SearchPage {
            is_last: self.is_last.unwrap_or(next_page_token.is_none()) || next_page_token.is_none(),
            drifts: first.map(|raw| issue_drifts(raw, requested, custom)).unwrap_or_default(),
            issues: self.issues.issues.into_iter().map(|issue| issue.into_issue(custom)).collect(),
            next_page_token,
        }
    }
}

/// The first issue of a page that cannot be read: where, why, and its drifts.
struct Unreadable {
    /// From the page's root: `issues[3].fields.summary`.
    path: String,
    problem: serde_json::Error,
    drifts: Vec<SchemaDrift>,
}

/// Reads a page that did not parse issue by issue, tracking the path, to find the first
/// issue that does not; `None` when the page is no list of issues, or they all parse.
fn unreadable_issue(
    body: &[u8],
    requested: &[&str],
    custom: CustomFields<'_>,
) -> Option<Unreadable> {
    #[derive(Deserialize)]
    struct RawIssues<'a> {
        #[serde(borrow, default)]
        issues: Vec<&'a RawValue>,
    }
    let page: RawIssues<'_> = serde_json::from_slice(body).ok()?;
    page.issues.iter().enumerate().find_map(|(index, raw)| {
        let mut issue = serde_json::Deserializer::from_str(raw.get());
        let error = serde_path_to_error::deserialize::<_, WireIssue>(&mut issue).err()?;
        let path = match error.path().iter().next() {
            Some(_) => format!("issues[{index}].{}", error.path()),
            None => format!("issues[{index}]"),
        };
        let drifts = issue_drifts(raw, requested, custom);
        Some(Unreadable { path, problem: error.into_inner(), drifts })
    })
}

impl WireIssue {
    fn into_issue(self, custom: CustomFields<'_>) -> DataIssue {
        let mut fields = self.fields;
        let status_category =
            fields.status.as_mut().and_then(|s| s.status_category.take()).and_then(|c| c.key);
        DataIssue {
            sprints: sprints(fields.other.remove(custom.sprint)),
            story_points: story_points(fields.other.remove(custom.story_points)),
            id: self.id,
            key: self.key,
            project: fields.project,
            summary: fields.summary,
            status: fields.status.map(|s| s.name),
            status_category,
            priority: fields.priority.map(|p| p.name),
            issue_type: fields.issuetype.map(|t| t.name),
            assignee: fields.assignee,
            reporter: fields.reporter,
            created: fields.created,
            updated: fields.updated,
            resolution_date: fields.resolutiondate,
            comments: fields.comment,
            worklogs: fields.worklog,
        }
    }
}

/// The sprint field: an array of sprint objects. Entries in older formats (strings) are
/// skipped rather than failing the page.
fn sprints(value: Option<Value>) -> Vec<Sprint> {
    let Some(Value::Array(entries)) = value else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter_map(|entry| match serde_json::from_value(entry) {
            Ok(sprint) => Some(sprint),
            Err(error) => {
                tracing::debug!(%error, "skipping an unreadable sprint field entry");
                None
            }
        })
        .collect()
}

/// A number, or a numeric string as some sites' fields hold.
fn story_points(value: Option<Value>) -> Option<f64> {
    match value? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::jira_data::{DriftKind, ErrorCode};

    const CUSTOM: CustomFields<'static> =
        CustomFields { sprint: "customfield_10020", story_points: "customfield_10016" };

    #[test]
    fn fields_map_with_offsets_custom_fields_and_embedded_pages() {
        let page: WireSearchPage = serde_json::from_str(&json!({
            "issues": [{
                "id": "10001", "key": "KAN-1", "expand": "x",
                "fields": {
                    "summary": "Fix it",
                    "status": { "name": "In Progress", "statusCategory": { "key": "indeterminate" } },
                    "priority": null,
                    "issuetype": { "name": "Bug" },
                    "project": { "id": "10000", "key": "KAN", "name": "Kanban" },
                    "assignee": { "accountId": "acc-1", "displayName": "Ann" },
                    "updated": "2026-02-10T09:00:00.000+0700",
                    "resolutiondate": null,
                    "customfield_10020": [
                        { "id": 3, "name": "S1", "state": "active", "boardId": 7,
                          "startDate": "2026-02-01T00:00:00.000Z" },
                        "com.atlassian.greenhopper.service.sprint.Sprint@1[id=4]"
                    ],
                    "customfield_10016": 5.0,
                    "customfield_99999": "ignored",
                    "comment": { "comments": [], "total": 25, "maxResults": 0, "startAt": 0 },
                }
            }],
            "isLast": true,
        }).to_string())
        .unwrap();
        let page = page.into_page(&[], CUSTOM);
        let issue = &page.issues[0];
        assert!(page.is_last && page.next_page_token.is_none());
        assert_eq!(issue.project_key(), Some("KAN"));
        assert_eq!(issue.status_category.as_deref(), Some("indeterminate"));
        assert_eq!(issue.priority, None);
        assert_eq!(issue.updated, time::parse("2026-02-10T02:00:00Z"));
        assert_eq!(issue.sprints.len(), 1);
        assert_eq!(issue.sprints[0].board_id, Some(7));
        assert_eq!(issue.story_points, Some(5.0));
        assert!(!issue.comments_complete());
        assert!(!issue.worklogs_complete(), "worklogs were not asked for");
    }

    #[test]
    fn only_a_page_s_first_issue_is_sampled_for_drift() {
        let body = json!({ "issues": [
            { "id": "1", "key": "KAN-1", "fields": { "summary": "Sampled" } },
            { "id": "2", "key": "KAN-2", "fields": { "summary": "Not", "extra": 1 } },
        ] });
        let page =
            WireSearchPage::read("POST /search", body.to_string().as_bytes(), &["summary"], CUSTOM);
        let page = page.unwrap();
        assert_eq!(page.issues.len(), 2);
        assert_eq!(page.drifts, []);
        let body = json!({ "issues": [{ "id": "1", "fields": { "title": "Renamed" } }] });
        let page =
            WireSearchPage::read("POST /search", body.to_string().as_bytes(), &["summary"], CUSTOM);
        let kinds: Vec<_> = page.unwrap().drifts.into_iter().map(|d| (d.path, d.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("fields.summary".to_owned(), DriftKind::Missing),
                ("fields.title".to_owned(), DriftKind::New)
            ]
        );
    }

    #[test]
    fn a_page_that_cannot_be_read_names_the_value_at_fault_with_its_drifts() {
        let body = json!({ "issues": [
            { "id": "1", "key": "KAN-1", "fields": { "summary": "Fine" } },
            { "id": "2", "key": "KAN-2", "fields": { "summary": 42 } },
        ] });
        let error =
            WireSearchPage::read("POST /search", body.to_string().as_bytes(), &["summary"], CUSTOM)
                .unwrap_err();
        assert_eq!(error.code, ErrorCode::SchemaMismatch);
        let expected = "POST /search: Jira answered with an unexpected shape at \
                        issues[1].fields.summary: invalid type: integer `42`, expected a string";
        assert!(error.message.starts_with(expected), "{}", error.message);
        let drifts: Vec<_> = error.drifts.iter().map(|d| (d.path.as_str(), d.kind)).collect();
        assert_eq!(drifts, [("fields.summary", DriftKind::Retyped)]);

        let proxy =
            WireSearchPage::read("POST /search", b"<html>", &["summary"], CUSTOM).unwrap_err();
        assert!(
            !proxy.message.contains("shape at") && proxy.drifts.is_empty(),
            "{}",
            proxy.message
        );
    }
}
