//! SQLite's read of a listing: one JSON document, an array of issues, each an array of
//! fields in [`IssueRow`]'s order (its latest sprint, its comments and worklogs nested arrays
//! or `null`), read back with serde. The driver runs each connection on a thread of its own
//! and hands every row over a channel, so one value costs far less than a row per issue and
//! child.

use crate::error::StoreError;
use crate::listing::Children;
use crate::listing::rows::{COMMENT_FIELDS, ISSUE_FIELDS, IssueRow, SPRINT_FIELDS, WORKLOG_FIELDS};
use crate::model::ListedIssue;

/// The statement writing the live issues that `issues` (a `SELECT` of `issues` rows) selects
/// as one JSON document, with the children asked for. Issues and children come in no order
/// and are sorted once parsed ([`IssueRow::listed`]): an ordered aggregate costs SQLite a
/// copy of every issue's JSON into a temporary b-tree, and one for every issue's children.
pub(super) fn statement(issues: &str, children: Children) -> String {
    let children_of = |wanted: bool, fields: &str, table: &str| {
        if !wanted {
            return "NULL".to_owned();
        }
        format!(
            "(SELECT json_group_array(json_array({fields})) FROM {table} c \
             WHERE c.issue_id = i.id AND c.deleted_at IS NULL)"
        )
    };
    format!(
        "SELECT json_group_array(json_array({ISSUE_FIELDS}, json(i.status_durations), \
         CASE WHEN sp.id IS NULL THEN NULL ELSE json_array({SPRINT_FIELDS}) END, {comments}, \
         {worklogs})) FROM ({issues}) i LEFT JOIN sprints sp ON sp.id = \
         (SELECT MAX(s.sprint_id) FROM issue_sprints s WHERE s.issue_id = i.id)",
        comments = children_of(children.comments, COMMENT_FIELDS, "comments"),
        worklogs = children_of(children.worklogs, WORKLOG_FIELDS, "worklogs"),
    )
}

/// The listed issues in `document` (the aggregate writes `[]` when it lists none) by
/// `(updated, id)`, with the children asked for.
pub(super) fn parse(document: &str, children: Children) -> crate::error::Result<Vec<ListedIssue>> {
    let rows: Vec<IssueRow> = serde_json::from_str(document)
        .map_err(|error| StoreError::Corrupt(format!("a listing's JSON: {error}")))?;
    Ok(IssueRow::listed_in_order(rows, children))
}
