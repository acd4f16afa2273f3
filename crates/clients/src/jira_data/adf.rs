//! Atlassian Document Format to plain text, for comment bodies and worklog comments.
//!
//! A body is read straight into the few parts of its nodes the text needs ([`Adf`]), not
//! into a `serde_json::Value` tree: a sync reads one for each of tens of thousands of
//! comments and worklogs. It is read as tolerantly as a `Value` would be: any JSON is
//! accepted, and what is not a node, or not a string where one is read, counts as nothing.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Nodes that flow inside a line; every other node with content is a block.
const INLINE: [&str; 9] = [
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "date",
    "status",
    "mediaInline",
    "placeholder",
];

/// A document, or a plain string (as API v2 bodies are).
#[derive(Debug, Clone, PartialEq)]
pub enum Adf {
    Plain(String),
    Document(Node),
}

/// What the text needs of a node.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    kind: Option<String>,
    text: Option<String>,
    /// `None` when absent or not a list.
    content: Option<Vec<Node>>,
    attrs: Attrs,
}

/// The attributes inline nodes show.
#[derive(Debug, Clone, PartialEq, Default)]
struct Attrs {
    text: Option<String>,
    short_name: Option<String>,
    url: Option<String>,
    timestamp: Option<String>,
}

impl Adf {
    /// The text: text nodes concatenated, a newline between blocks (paragraphs, headings,
    /// list items, …) and for hard breaks; a plain string as it is.
    pub fn text(&self) -> String {
        match self {
            Self::Plain(text) => text.clone(),
            Self::Document(root) => {
                let mut lines = Vec::new();
                block(root, &mut lines);
                lines.join("\n")
            }
        }
    }
}

impl Node {
    fn is_inline(&self) -> bool {
        self.kind.as_deref().is_some_and(|kind| INLINE.contains(&kind))
    }
}

/// Adds the lines of a block: runs of inline children make one line each.
fn block(node: &Node, lines: &mut Vec<String>) {
    if node.is_inline() {
        let mut line = String::new();
        inline(node, &mut line);
        lines.push(line);
        return;
    }
    let Some(children) = &node.content else {
        return;
    };
    let mut line: Option<String> = None;
    for child in children {
        if child.is_inline() {
            inline(child, line.get_or_insert_with(String::new));
        } else {
            lines.extend(line.take());
            block(child, lines);
        }
    }
    // An empty paragraph is still a (blank) line.
    let is_textblock = matches!(node.kind.as_deref(), Some("paragraph" | "heading" | "codeBlock"));
    match line {
        Some(line) => lines.push(line),
        None if is_textblock && children.iter().all(Node::is_inline) => lines.push(String::new()),
        None => {}
    }
}

fn inline(node: &Node, line: &mut String) {
    let attrs = &node.attrs;
    let shown = match node.kind.as_deref() {
        Some("text") => node.text.as_deref(),
        Some("hardBreak") => Some("\n"),
        Some("mention") => attrs.text.as_deref().or(Some("@someone")),
        Some("emoji") => attrs.text.as_deref().or(attrs.short_name.as_deref()),
        Some("inlineCard") => attrs.url.as_deref(),
        Some("date") => attrs.timestamp.as_deref(),
        Some("status") => attrs.text.as_deref(),
        _ => None,
    };
    line.push_str(shown.unwrap_or_default());
}

/// How a part of a body is read: what it takes, any other JSON read as its `Default` (and
/// skipped).
trait Lenient<'de>: Default {
    fn expecting() -> &'static str;

    fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }

    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }

    fn text(_: &str) -> Self {
        Self::default()
    }
}

/// Reads any JSON as `T`.
fn lenient<'de, T: Lenient<'de>, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(LenientVisitor(PhantomData))
}

struct LenientVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for LenientVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::expecting())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        Ok(T::text(text))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::map(map)
    }
}

impl Default for Adf {
    fn default() -> Self {
        Self::Document(Node::default())
    }
}

impl<'de> Lenient<'de> for Adf {
    fn expecting() -> &'static str {
        "an ADF document or a string"
    }
    fn map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        Node::map(map).map(Self::Document)
    }
    fn text(text: &str) -> Self {
        Self::Plain(text.to_owned())
    }
}

impl<'de> Deserialize<'de> for Adf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient(deserializer)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum NodeField {
    Type,
    Text,
    Content,
    Attrs,
    #[serde(other)]
    Other,
}

impl<'de> Lenient<'de> for Node {
    fn expecting() -> &'static str {
        "an ADF node"
    }
    fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut node = Node::default();
        while let Some(field) = map.next_key::<NodeField>()? {
            match field {
                NodeField::Type => node.kind = map.next_value::<Text>()?.0,
                NodeField::Text => node.text = map.next_value::<Text>()?.0,
                NodeField::Content => node.content = map.next_value::<Children>()?.0,
                NodeField::Attrs => node.attrs = map.next_value()?,
                NodeField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(node)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient(deserializer)
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum AttrField {
    Text,
    ShortName,
    Url,
    Timestamp,
    #[serde(other)]
    Other,
}

impl<'de> Lenient<'de> for Attrs {
    fn expecting() -> &'static str {
        "a node's attributes"
    }
    fn map<A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut attrs = Attrs::default();
        while let Some(field) = map.next_key::<AttrField>()? {
            let slot = match field {
                AttrField::Text => &mut attrs.text,
                AttrField::ShortName => &mut attrs.short_name,
                AttrField::Url => &mut attrs.url,
                AttrField::Timestamp => &mut attrs.timestamp,
                AttrField::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value::<Text>()?.0;
        }
        Ok(attrs)
    }
}

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient(deserializer)
    }
}

/// A string, or nothing when the value is of another kind.
#[derive(Default)]
struct Text(Option<String>);

impl Lenient<'_> for Text {
    fn expecting() -> &'static str {
        "a string"
    }
    fn text(text: &str) -> Self {
        Self(Some(text.to_owned()))
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient(deserializer)
    }
}

/// A node's children, or nothing when `content` is no list.
#[derive(Default)]
struct Children(Option<Vec<Node>>);

impl<'de> Lenient<'de> for Children {
    fn expecting() -> &'static str {
        "a list of nodes"
    }
    fn seq<A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut children = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(child) = seq.next_element()? {
            children.push(child);
        }
        Ok(Self(Some(children)))
    }
}

impl<'de> Deserialize<'de> for Children {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        lenient(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn text(body: Value) -> String {
        serde_json::from_value::<Adf>(body).expect("any JSON reads").text()
    }

    fn paragraph(content: Value) -> Value {
        json!({ "type": "paragraph", "content": content })
    }

    #[test]
    fn paragraphs_become_lines_and_text_nodes_join() {
        let doc = json!({ "type": "doc", "version": 1, "content": [
            paragraph(json!([
                { "type": "text", "text": "Fixed in " },
                { "type": "text", "text": "v2", "marks": [{ "type": "strong" }] },
                { "type": "text", "text": ", thanks " },
                { "type": "mention", "attrs": { "id": "acc-1", "text": "@Ann" } },
            ])),
            paragraph(json!([])),
            { "type": "bulletList", "content": [
                { "type": "listItem", "content": [paragraph(json!([{ "type": "text", "text": "one" }]))] },
                { "type": "listItem", "content": [paragraph(json!([{ "type": "text", "text": "two" }]))] },
            ]},
            paragraph(json!([
                { "type": "text", "text": "line" },
                { "type": "hardBreak" },
                { "type": "text", "text": "break" },
            ])),
        ]});
        assert_eq!(text(doc), "Fixed in v2, thanks @Ann\n\none\ntwo\nline\nbreak");
    }

    #[test]
    fn plain_strings_and_empty_documents() {
        assert_eq!(text(json!("plain v2 body")), "plain v2 body");
        assert_eq!(text(json!({ "type": "doc", "version": 1, "content": [] })), "");
        assert_eq!(text(json!(42)), "");
    }

    #[test]
    fn values_of_other_kinds_than_expected_read_as_nothing() {
        let doc = json!({ "type": "doc", "content": [
            paragraph(json!([
                { "type": "text", "text": 7 },
                { "type": "emoji", "attrs": { "text": null, "shortName": ":tada:" } },
                { "type": "date", "attrs": { "timestamp": 1_700_000_000_000_u64 } },
                { "type": "status", "attrs": "green" },
                { "type": ["text"], "text": "hidden" },
            ])),
            3,
            [{ "type": "text", "text": "in a list" }],
            { "type": "paragraph", "content": "not a list" },
            paragraph(json!([{ "type": "inlineCard", "attrs": { "url": "https://x.test" } }])),
        ]});
        assert_eq!(text(doc), ":tada:\nhttps://x.test");
    }
}
