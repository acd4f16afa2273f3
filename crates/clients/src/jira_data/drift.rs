//! Schema drift: where a sample of Jira's answers differs from what this client reads.
//!
//! The sample is a search page's first issue, kept as it came ([`RawValue`]) and walked
//! without building a `serde_json::Value`: each object is read as a map of its keys to their
//! raw text, and a value's JSON type is its first byte. Against the shapes below:
//!
//! - a requested field the client reads must be in `fields` (null is a value), and keys the
//!   client needs (`status.name`, `statusCategory.key`, a person's `accountId`, …) in theirs;
//!   a field renamed on Jira shows as the old one missing and the new one new;
//! - a value must have the JSON type the client reads (`summary` text, `status` an object);
//! - a key is new when nobody asked for it in `fields`, or when it is none of the keys
//!   Atlassian's OpenAPI documents give the objects whose keys the client knows: `status`
//!   and its `statusCategory`, people, the embedded comment and worklog pages and their
//!   first comment and worklog. Objects read in part (`priority`, `issuetype`, `project`,
//!   sprints, document bodies) are checked for what is read, not for new keys.
//!
//! One issue's bytes are read a few times over, so a page of 100 costs a few percent more to
//! parse than without the probe, and nothing more when its issues agree with the client.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::issue::CustomFields;

/// A sample's characters at most.
const SAMPLE_CHARS: usize = 160;
/// A scalar's text kept in a sample at most.
const EXCERPT_CHARS: usize = 60;

/// The kind of record a drift is in; its path starts there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriftEntity {
    Issue,
    Comment,
    Worklog,
}

impl DriftEntity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issue => "issue",
            Self::Comment => "comment",
            Self::Worklog => "worklog",
        }
    }
}

/// How a sample differs from what the client reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriftKind {
    /// A key the client reads is absent.
    Missing,
    /// A value of another JSON type than the client reads.
    Retyped,
    /// A key the client does not know.
    New,
}

impl DriftKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Retyped => "type",
            Self::New => "new",
        }
    }
}

/// One difference between a sample and the client's shapes; the entity, the path and the
/// kind are its identity, the sample what was seen the time it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDrift {
    pub entity: DriftEntity,
    /// From the entity's root, dotted: `fields.status.statusCategory.key`.
    pub path: String,
    pub kind: DriftKind,
    /// What was found, at most [`SAMPLE_CHARS`] characters: the value's type and the start of
    /// its text, or, for a missing key, the keys that were there.
    pub sample: String,
}

impl fmt::Display for SchemaDrift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            DriftKind::Missing => "is missing",
            DriftKind::Retyped => "has another type",
            DriftKind::New => "is new",
        };
        write!(f, "{} {} {what}: {}", self.entity.as_str(), self.path, self.sample)
    }
}

/// The drifts of an issue of a search that asked for `requested`.
pub(super) fn issue_drifts(
    issue: &RawValue,
    requested: &[&str],
    custom: CustomFields<'_>,
) -> Vec<SchemaDrift> {
    let mut probe = Probe { entity: DriftEntity::Issue, drifts: Vec::new() };
    let Ok(issue) = keys_of(issue) else {
        return probe.drifts;
    };
    let fields: Vec<Key> = requested
        .iter()
        .filter_map(|name| Some(Key { name, need: Need::Present, expect: field(name, custom)? }))
        .collect();
    match issue.get("fields") {
        Some(raw) => probe.object("fields", raw, &fields, Keys::Closed(requested)),
        None if !fields.is_empty() => probe.missing("fields", &issue),
        None => {}
    }
    probe.drifts
}

/// What the client reads of a field it names (`issue::FieldsVisitor`); `None` for one it
/// does not read.
fn field(name: &str, custom: CustomFields<'_>) -> Option<Expect> {
    Some(match name {
        "summary" | "created" | "updated" | "resolutiondate" => Expect::Text,
        "status" => Expect::Object(&STATUS),
        "priority" | "issuetype" => Expect::Object(&NAMED),
        "project" => Expect::Object(&PROJECT),
        "assignee" | "reporter" => Expect::Object(&USER),
        "comment" => Expect::Object(&COMMENT_PAGE),
        "worklog" => Expect::Object(&WORKLOG_PAGE),
        name if name == custom.sprint => Expect::Array,
        name if name == custom.story_points => Expect::NumberOrText,
        _ => return None,
    })
}

/// Whether a key must be there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// It may be absent or null.
    Optional,
    /// It must be there; null is a value.
    Present,
    /// It must be there and not null (an id).
    Value,
}

/// The JSON a key's value must be.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Text,
    Number,
    Flag,
    /// A number, or text holding one (story points on some sites).
    NumberOrText,
    /// An array whose entries are read leniently (sprints).
    Array,
    /// Known, not read: any type.
    Any,
    Object(&'static Shape),
    /// An array of records of their own entity; the first one is compared.
    Records(DriftEntity, &'static Shape),
}

#[derive(Debug)]
struct Key<'a> {
    name: &'a str,
    need: Need,
    expect: Expect,
}

/// An object's keys: those read or known, and whether others are new.
#[derive(Debug)]
struct Shape {
    keys: &'static [Key<'static>],
    closed: bool,
}

/// Which keys of an object are known besides those read.
#[derive(Debug, Clone, Copy)]
enum Keys<'a> {
    /// Any other key is new.
    Closed(&'a [&'a str]),
    /// Others are ignored.
    Open,
}

const fn key(name: &'static str, need: Need, expect: Expect) -> Key<'static> {
    Key { name, need, expect }
}

const fn known(name: &'static str) -> Key<'static> {
    key(name, Need::Optional, Expect::Any)
}

/// `StatusDetails`.
static STATUS: Shape = Shape {
    keys: &[
        key("name", Need::Present, Expect::Text),
        key("statusCategory", Need::Present, Expect::Object(&STATUS_CATEGORY)),
        known("self"),
        known("id"),
        known("description"),
        known("iconUrl"),
        known("scope"),
    ],
    closed: true,
};

/// `StatusCategory`.
static STATUS_CATEGORY: Shape = Shape {
    keys: &[
        key("key", Need::Present, Expect::Text),
        known("self"),
        known("id"),
        known("colorName"),
        known("name"),
    ],
    closed: true,
};

/// `Priority`, `IssueTypeDetails`: only the name is read.
static NAMED: Shape = Shape { keys: &[key("name", Need::Present, Expect::Text)], closed: false };

/// `ProjectDetails`, read in part.
static PROJECT: Shape = Shape {
    keys: &[
        key("id", Need::Value, Expect::Text),
        key("key", Need::Value, Expect::Text),
        key("name", Need::Optional, Expect::Text),
    ],
    closed: false,
};

/// `UserDetails` (and `User`'s `locale`, which some answers add).
static USER: Shape = Shape {
    keys: &[
        key("accountId", Need::Value, Expect::Text),
        key("displayName", Need::Present, Expect::Text),
        key("emailAddress", Need::Optional, Expect::Text),
        key("avatarUrls", Need::Optional, Expect::Object(&AVATARS)),
        key("active", Need::Optional, Expect::Flag),
        key("timeZone", Need::Optional, Expect::Text),
        known("self"),
        known("accountType"),
        known("key"),
        known("name"),
        known("locale"),
    ],
    closed: true,
};

/// `AvatarUrlsBean`: URLs by size.
static AVATARS: Shape = Shape { keys: &[], closed: false };

/// `PageOfComments`, as a search embeds it (with its `self`).
static COMMENT_PAGE: Shape = Shape {
    keys: &[
        key("comments", Need::Present, Expect::Records(DriftEntity::Comment, &COMMENT)),
        key("total", Need::Present, Expect::Number),
        key("startAt", Need::Optional, Expect::Number),
        key("maxResults", Need::Optional, Expect::Number),
        known("self"),
    ],
    closed: true,
};

/// `PageOfWorklogs`.
static WORKLOG_PAGE: Shape = Shape {
    keys: &[
        key("worklogs", Need::Present, Expect::Records(DriftEntity::Worklog, &WORKLOG)),
        key("total", Need::Present, Expect::Number),
        key("startAt", Need::Optional, Expect::Number),
        key("maxResults", Need::Optional, Expect::Number),
        known("self"),
    ],
    closed: true,
};

/// `Comment`.
static COMMENT: Shape = Shape {
    keys: &[
        key("id", Need::Value, Expect::Text),
        key("author", Need::Optional, Expect::Object(&USER)),
        key("updateAuthor", Need::Optional, Expect::Object(&USER)),
        key("body", Need::Optional, Expect::Any),
        key("created", Need::Present, Expect::Text),
        key("updated", Need::Present, Expect::Text),
        known("self"),
        known("jsdPublic"),
        known("jsdAuthorCanSeeRequest"),
        known("properties"),
        known("renderedBody"),
        known("visibility"),
    ],
    closed: true,
};

/// `Worklog`.
static WORKLOG: Shape = Shape {
    keys: &[
        key("id", Need::Value, Expect::Text),
        key("issueId", Need::Optional, Expect::Text),
        key("author", Need::Optional, Expect::Object(&USER)),
        key("updateAuthor", Need::Optional, Expect::Object(&USER)),
        key("comment", Need::Optional, Expect::Any),
        key("started", Need::Present, Expect::Text),
        key("timeSpentSeconds", Need::Present, Expect::Number),
        key("created", Need::Present, Expect::Text),
        key("updated", Need::Present, Expect::Text),
        known("self"),
        known("timeSpent"),
        known("properties"),
        known("visibility"),
    ],
    closed: true,
};

/// A JSON value's type, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Null,
    Flag,
    Number,
    Text,
    Array,
    Object,
}

impl JsonType {
    fn of(raw: &RawValue) -> Self {
        match raw.get().trim_start().as_bytes().first() {
            Some(b'n') => Self::Null,
            Some(b't' | b'f') => Self::Flag,
            Some(b'"') => Self::Text,
            Some(b'[') => Self::Array,
            Some(b'{') => Self::Object,
            _ => Self::Number,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Flag => "a boolean",
            Self::Number => "a number",
            Self::Text => "a string",
            Self::Array => "an array",
            Self::Object => "an object",
        }
    }
}

impl Expect {
    /// Whether a value of `found` is what is read; null always is (a missing value is the
    /// key's [`Need`]).
    fn admits(self, found: JsonType) -> bool {
        match (self, found) {
            (_, JsonType::Null) | (Self::Any, _) => true,
            (Self::Text, found) => found == JsonType::Text,
            (Self::Number, found) => found == JsonType::Number,
            (Self::Flag, found) => found == JsonType::Flag,
            (Self::NumberOrText, found) => matches!(found, JsonType::Number | JsonType::Text),
            (Self::Array | Self::Records(..), found) => found == JsonType::Array,
            (Self::Object(_), found) => found == JsonType::Object,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Text => "a string",
            Self::Number => "a number",
            Self::Flag => "a boolean",
            Self::NumberOrText => "a number or a string",
            Self::Array | Self::Records(..) => "an array",
            Self::Object(_) => "an object",
            Self::Any => "anything",
        }
    }
}

type Map<'a> = BTreeMap<String, &'a RawValue>;

/// An object's keys and their values' raw text.
fn keys_of(raw: &RawValue) -> Result<Map<'_>, serde_json::Error> {
    Map::deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
}

/// A walk of one record, collecting its drifts.
struct Probe {
    entity: DriftEntity,
    drifts: Vec<SchemaDrift>,
}

impl Probe {
    fn push(&mut self, path: String, kind: DriftKind, sample: String) {
        let sample = excerpt(&sample, SAMPLE_CHARS);
        self.drifts.push(SchemaDrift { entity: self.entity, path, kind, sample });
    }

    fn missing(&mut self, path: &str, siblings: &Map<'_>) {
        let there: Vec<&str> = siblings.keys().map(String::as_str).collect();
        self.push(
            path.to_owned(),
            DriftKind::Missing,
            format!("absent; there: {}", there.join(", ")),
        );
    }

    /// Compares the object at `path` with `read` (and, when closed, the other `known` keys).
    fn object(&mut self, path: &str, raw: &RawValue, read: &[Key<'_>], known: Keys<'_>) {
        let Ok(map) = keys_of(raw) else {
            return;
        };
        for key in read {
            let at = join(path, key.name);
            match map.get(key.name) {
                None if key.need == Need::Optional => {}
                None => self.missing(&at, &map),
                Some(value) => self.value(&at, value, key),
            }
        }
        if let Keys::Closed(others) = known {
            let unknown = map.iter().filter(|(name, _)| {
                !read.iter().any(|key| key.name == name.as_str())
                    && !others.contains(&name.as_str())
            });
            for (name, value) in unknown {
                self.push(join(path, name), DriftKind::New, describe(value));
            }
        }
    }

    fn value(&mut self, path: &str, raw: &RawValue, key: &Key<'_>) {
        let found = JsonType::of(raw);
        if (found == JsonType::Null && key.need == Need::Value) || !key.expect.admits(found) {
            let sample = format!("{} (expected {})", describe(raw), key.expect.name());
            self.push(path.to_owned(), DriftKind::Retyped, sample);
            return;
        }
        match key.expect {
            Expect::Object(shape) if found == JsonType::Object => self.shaped(path, raw, shape),
            Expect::Records(entity, shape) if found == JsonType::Array => {
                self.first_record(path, raw, entity, shape);
            }
            _ => {}
        }
    }

    fn shaped(&mut self, path: &str, raw: &RawValue, shape: &Shape) {
        let known = if shape.closed { Keys::Closed(&[]) } else { Keys::Open };
        self.object(path, raw, shape.keys, known);
    }

    /// The first entry of the array of records at `path`, compared as a record of its own.
    fn first_record(&mut self, path: &str, raw: &RawValue, entity: DriftEntity, shape: &Shape) {
        let Ok(entries) =
            <Vec<&RawValue>>::deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
        else {
            return;
        };
        let Some(first) = entries.first() else {
            return;
        };
        if JsonType::of(first) != JsonType::Object {
            let sample = format!("{} (expected an object)", describe(first));
            self.push(format!("{path}[]"), DriftKind::Retyped, sample);
            return;
        }
        let mut record = Probe { entity, drifts: Vec::new() };
        record.shaped("", first, shape);
        self.drifts.append(&mut record.drifts);
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

/// A value's type and the start of its text; an object's keys, not its values.
fn describe(raw: &RawValue) -> String {
    let found = JsonType::of(raw);
    match found {
        JsonType::Object => match keys_of(raw) {
            Ok(map) => {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                format!("an object with {}", keys.join(", "))
            }
            Err(_) => found.name().to_owned(),
        },
        JsonType::Array => found.name().to_owned(),
        _ => format!("{} {}", found.name(), excerpt(raw.get(), EXCERPT_CHARS)),
    }
}

/// `text`, or its first characters and an ellipsis: `chars` characters at most.
fn excerpt(text: &str, chars: usize) -> String {
    if text.chars().nth(chars).is_none() {
        return text.to_owned();
    }
    let end = text.char_indices().nth(chars.saturating_sub(1)).map_or(text.len(), |(at, _)| at);
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::jira_data::SYNC_FIELDS;

    const CUSTOM: CustomFields<'static> =
        CustomFields { sprint: "customfield_10020", story_points: "customfield_10016" };

    fn user(account_id: &str) -> Value {
        json!({
            "self": "https://acme.atlassian.net/rest/api/3/user?accountId=x",
            "accountId": account_id, "accountType": "atlassian", "displayName": "Ann",
            "emailAddress": "ann@acme.example", "active": true, "timeZone": "Europe/Paris",
            "avatarUrls": { "48x48": "https://avatars.example/48.png" },
        })
    }

    /// An issue as Jira answers a search for every field the sync names.
    fn issue() -> Value {
        json!({
            "expand": "renderedFields", "id": "10001", "self": "https://x/10001", "key": "KAN-1",
            "fields": {
                "summary": "Fix it",
                "status": {
                    "self": "s", "description": "", "iconUrl": "i", "name": "In Progress",
                    "id": "3",
                    "statusCategory": {
                        "self": "c", "id": 4, "key": "indeterminate", "colorName": "yellow",
                        "name": "In Progress",
                    },
                },
                "priority": null,
                "issuetype": { "id": "10004", "name": "Bug", "subtask": false },
                "project": { "id": "10000", "key": "KAN", "name": "Kanban", "style": "classic" },
                "assignee": user("acc-1"),
                "reporter": null,
                "created": "2026-02-10T09:00:00.000+0700",
                "updated": "2026-02-10T09:00:00.000+0700",
                "resolutiondate": null,
                "customfield_10020": null,
                "customfield_10016": "3",
                "comment": {
                    "self": "c", "total": 1, "startAt": 0, "maxResults": 1,
                    "comments": [{
                        "self": "c/1", "id": "1", "author": user("acc-1"),
                        "updateAuthor": user("acc-1"), "jsdPublic": true,
                        "body": { "type": "doc", "version": 1, "content": [] },
                        "created": "2026-02-10T09:00:00.000+0700",
                        "updated": "2026-02-10T09:00:00.000+0700",
                    }],
                },
                "worklog": {
                    "total": 1, "startAt": 0, "maxResults": 1,
                    "worklogs": [{
                        "self": "w/1", "id": "7", "issueId": "10001", "author": user("acc-1"),
                        "started": "2026-02-10T09:00:00.000+0700", "timeSpent": "1h",
                        "timeSpentSeconds": 3600, "created": "2026-02-10T09:00:00.000+0700",
                        "updated": "2026-02-10T09:00:00.000+0700",
                    }],
                },
            }
        })
    }

    fn requested() -> Vec<&'static str> {
        let mut fields = SYNC_FIELDS.to_vec();
        fields.extend([CUSTOM.sprint, CUSTOM.story_points]);
        fields
    }

    fn drifts(issue: &Value) -> Vec<(DriftEntity, String, DriftKind)> {
        let raw = RawValue::from_string(issue.to_string()).unwrap();
        let found = issue_drifts(&raw, &requested(), CUSTOM);
        for drift in &found {
            assert!(drift.sample.chars().count() <= SAMPLE_CHARS, "{drift}");
        }
        found.into_iter().map(|d| (d.entity, d.path, d.kind)).collect()
    }

    fn issue_drift(path: &str, kind: DriftKind) -> (DriftEntity, String, DriftKind) {
        (DriftEntity::Issue, path.to_owned(), kind)
    }

    #[test]
    fn an_issue_as_the_client_reads_it_shows_no_drift_and_null_is_a_value() {
        assert_eq!(drifts(&issue()), []);
        let mut nulls = issue();
        for field in requested() {
            nulls["fields"][field] = Value::Null;
        }
        assert_eq!(drifts(&nulls), []);
    }

    #[test]
    fn a_renamed_field_is_the_old_one_missing_and_the_new_one_new() {
        let mut renamed = issue();
        let fields = renamed["fields"].as_object_mut().unwrap();
        let summary = fields.remove("summary").unwrap();
        fields.insert("title".into(), summary);
        assert_eq!(
            drifts(&renamed),
            [
                issue_drift("fields.summary", DriftKind::Missing),
                issue_drift("fields.title", DriftKind::New)
            ]
        );
    }

    #[test]
    fn a_value_of_another_type_is_a_drift_of_its_path() {
        let mut retyped = issue();
        retyped["fields"]["summary"] = json!(42);
        retyped["fields"]["status"] = json!("Done");
        retyped["fields"]["customfield_10016"] = json!(true);
        assert_eq!(
            drifts(&retyped),
            [
                issue_drift("fields.summary", DriftKind::Retyped),
                issue_drift("fields.status", DriftKind::Retyped),
                issue_drift("fields.customfield_10016", DriftKind::Retyped),
            ]
        );
        let raw = RawValue::from_string(retyped.to_string()).unwrap();
        let found = issue_drifts(&raw, &requested(), CUSTOM);
        assert_eq!(found[0].sample, "a number 42 (expected a string)");
        assert_eq!(
            found[0].to_string(),
            "issue fields.summary has another type: a number 42 (expected a string)"
        );
    }

    #[test]
    fn keys_inside_known_objects_are_missing_or_new_and_records_have_their_own_paths() {
        let mut changed = issue();
        let category = changed["fields"]["status"]["statusCategory"].as_object_mut().unwrap();
        category.remove("key");
        changed["fields"]["status"]["untranslatedName"] = json!("En cours");
        changed["fields"]["assignee"]["accountId"] = Value::Null;
        changed["fields"]["comment"]["comments"][0]["reactions"] = json!([]);
        changed["fields"]["worklog"]["worklogs"][0]["timeSpentSeconds"] = json!("3600");
        changed["fields"]["issuetype"]["avatarId"] = json!(1);
        changed["fields"]["customfield_99999"] = json!({ "value": "unrequested" });
        assert_eq!(
            drifts(&changed),
            [
                issue_drift("fields.status.statusCategory.key", DriftKind::Missing),
                issue_drift("fields.status.untranslatedName", DriftKind::New),
                issue_drift("fields.assignee.accountId", DriftKind::Retyped),
                (DriftEntity::Comment, "reactions".into(), DriftKind::New),
                (DriftEntity::Worklog, "timeSpentSeconds".into(), DriftKind::Retyped),
                issue_drift("fields.customfield_99999", DriftKind::New),
            ]
        );
    }

    #[test]
    fn only_requested_fields_the_client_reads_are_expected() {
        let raw = RawValue::from_string(json!({ "id": "10001" }).to_string()).unwrap();
        assert_eq!(issue_drifts(&raw, &["id"], CUSTOM), []);
        let found = issue_drifts(&raw, &["summary"], CUSTOM);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].path.as_str(), found[0].kind), ("fields", DriftKind::Missing));
    }

    #[test]
    fn samples_are_short_and_show_an_object_s_keys_not_its_values() {
        let mut long = issue();
        long["fields"]["summary"] = json!(vec!["x"; 500]);
        long["fields"]["customfield_1"] = json!("é".repeat(500));
        long["fields"]["customfield_2"] = json!({ "token": "not shown" });
        let raw = RawValue::from_string(long.to_string()).unwrap();
        let found = issue_drifts(&raw, &requested(), CUSTOM);
        let samples: Vec<&str> = found.iter().map(|d| d.sample.as_str()).collect();
        assert_eq!(samples[0], "an array (expected a string)");
        assert_eq!(samples[1].chars().count(), "a string ".len() + EXCERPT_CHARS);
        assert!(samples[1].ends_with('…'));
        assert_eq!(samples[2], "an object with token");
    }
}
