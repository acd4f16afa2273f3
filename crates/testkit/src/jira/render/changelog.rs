//! `Changelog`: one entry of an issue's change history, as bulk changelog pages hold them.

use serde_json::{Value, json};

use super::Renderer;
use crate::jira::store::{StoredHistory, StoredItem};

impl Renderer<'_> {
    /// The entry with only the items `keep` accepts.
    pub(in crate::jira) fn history(
        &self,
        history: &StoredHistory,
        keep: impl Fn(&StoredItem) -> bool,
    ) -> Value {
        let items: Vec<Value> = history
            .items
            .iter()
            .filter(|item| keep(item))
            .map(|item| {
                json!({
                    "field": item.field,
                    "fieldtype": "jira",
                    "fieldId": item.field,
                    "from": item.from.as_deref(),
                    "fromString": item.from_string.as_deref(),
                    "to": item.to.as_deref(),
                    "toString": item.to_string.as_deref(),
                })
            })
            .collect();
        json!({
            "id": history.id.to_string(),
            "author": self.user_by_id(&history.author),
            "created": self.time(history.created),
            "items": items,
        })
    }
}
