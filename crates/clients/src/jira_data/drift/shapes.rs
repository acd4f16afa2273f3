//! What the client reads of each object of an issue: the keys it needs and their JSON types,
//! and, for the objects whose keys it knows, the others Atlassian's OpenAPI documents give.

use serde_json::value::RawValue;

use super::DriftEntity;
use crate::jira_data::issue::CustomFields;

/// What the client reads of a field it names (`issue::FieldsVisitor`); `None` for one it
/// does not read.
pub(super) fn field(name: &str, custom: CustomFields<'_>) -> Option<Expect> {
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
pub(super) enum Need {
    /// It may be absent or null.
    Optional,
    /// It must be there; null is a value.
    Present,
    /// It must be there and not null (an id).
    Value,
}

/// The JSON a key's value must be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Expect {
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
pub(super) struct Key<'a> {
    pub(super) name: &'a str,
    pub(super) need: Need,
    pub(super) expect: Expect,
}

/// An object's keys: those read or known, and whether others are new.
#[derive(Debug)]
pub(super) struct Shape {
    pub(super) keys: &'static [Key<'static>],
    pub(super) closed: bool,
}

/// Which keys of an object are known besides those read.
#[derive(Debug, Clone, Copy)]
pub(super) enum Keys<'a> {
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
pub(super) enum JsonType {
    Null,
    Flag,
    Number,
    Text,
    Array,
    Object,
}

impl JsonType {
    pub(super) fn of(raw: &RawValue) -> Self {
        match raw.get().trim_start().as_bytes().first() {
            Some(b'n') => Self::Null,
            Some(b't' | b'f') => Self::Flag,
            Some(b'"') => Self::Text,
            Some(b'[') => Self::Array,
            Some(b'{') => Self::Object,
            _ => Self::Number,
        }
    }

    pub(super) fn name(self) -> &'static str {
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
    pub(super) fn admits(self, found: JsonType) -> bool {
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

    pub(super) fn name(self) -> &'static str {
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
