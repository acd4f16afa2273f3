//! Schema drift: where a sample of Jira's answers differs from what this client reads.
//!
//! The sample is a search page's first issue, kept as it came ([`RawValue`]) and walked
//! without building a `serde_json::Value`: each object is read as a map of its keys to their
//! raw text, and a value's JSON type is its first byte. Compared with what the client reads
//! (`shapes`):
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
//! Only one issue's bytes are read again (a few times over): on a page of 100 issues with
//! their comments and worklogs (880 KB), 0.13 ms beside the page's 6.5 ms parse in an
//! optimized build, about 2%; a 10,000-issue sync spends about 13 ms on it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::issue::CustomFields;
use shapes::{Expect, JsonType, Key, Keys, Need, Shape, field};

mod shapes;
#[cfg(test)]
mod tests;

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
