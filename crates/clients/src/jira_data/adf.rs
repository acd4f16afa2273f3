//! Atlassian Document Format to plain text, for comment bodies and worklog comments.

use serde_json::Value;

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

/// The text of an ADF document: text nodes concatenated, a newline between blocks
/// (paragraphs, headings, list items, …) and for hard breaks. A plain string (as API v2
/// bodies are) is returned as it is.
pub fn adf_to_text(document: &Value) -> String {
    if let Some(text) = document.as_str() {
        return text.to_owned();
    }
    let mut lines = Vec::new();
    block(document, &mut lines);
    lines.join("\n")
}

fn is_inline(node: &Value) -> bool {
    node["type"].as_str().is_some_and(|kind| INLINE.contains(&kind))
}

/// Adds the lines of a block: runs of inline children make one line each.
fn block(node: &Value, lines: &mut Vec<String>) {
    if is_inline(node) {
        let mut line = String::new();
        inline(node, &mut line);
        lines.push(line);
        return;
    }
    let Some(children) = node["content"].as_array() else {
        return;
    };
    let mut line: Option<String> = None;
    for child in children {
        if is_inline(child) {
            inline(child, line.get_or_insert_with(String::new));
        } else {
            lines.extend(line.take());
            block(child, lines);
        }
    }
    // An empty paragraph is still a (blank) line.
    let is_textblock = matches!(node["type"].as_str(), Some("paragraph" | "heading" | "codeBlock"));
    match line {
        Some(line) => lines.push(line),
        None if is_textblock && children.iter().all(is_inline) => lines.push(String::new()),
        None => {}
    }
}

fn inline(node: &Value, line: &mut String) {
    let attrs = &node["attrs"];
    match node["type"].as_str() {
        Some("text") => line.push_str(node["text"].as_str().unwrap_or_default()),
        Some("hardBreak") => line.push('\n'),
        Some("mention") => line.push_str(attrs["text"].as_str().unwrap_or("@someone")),
        Some("emoji") => {
            line.push_str(
                attrs["text"].as_str().or(attrs["shortName"].as_str()).unwrap_or_default(),
            );
        }
        Some("inlineCard") => line.push_str(attrs["url"].as_str().unwrap_or_default()),
        Some("date") => line.push_str(attrs["timestamp"].as_str().unwrap_or_default()),
        Some("status") => line.push_str(attrs["text"].as_str().unwrap_or_default()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
        assert_eq!(adf_to_text(&doc), "Fixed in v2, thanks @Ann\n\none\ntwo\nline\nbreak");
    }

    #[test]
    fn plain_strings_and_empty_documents() {
        assert_eq!(adf_to_text(&json!("plain v2 body")), "plain v2 body");
        assert_eq!(adf_to_text(&json!({ "type": "doc", "version": 1, "content": [] })), "");
        assert_eq!(adf_to_text(&Value::Null), "");
    }
}
