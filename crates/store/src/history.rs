//! `issue_changes` and the values derived from them: each changelog read is stored in one
//! transaction with the authors, and the time in status, cycle and lead times of its issues
//! are recomputed from every stored status move in the same transaction.

use std::collections::HashMap;

use tracing::instrument;

use crate::error::Result;
use crate::flow::{self, Lifetime, StatusMove};
use crate::model::{Authored, Flow, IssueChange, IssueHistory};
use crate::pool::{Statement, Tx};
use crate::{Store, sql, users};

const CHANGE_COLUMNS: &str = "issue_id, change_id, author_account_id, created_ms, field, \
     from_value, to_value, from_string, to_string";
/// The field id of an issue's status in Jira's changelogs.
const STATUS_FIELD: &str = "status";

/// An issue as its flow needs it: id, created, resolved, current status and its category.
type IssueRow = (String, i64, Option<i64>, String, Option<String>);

/// A stored status move.
#[derive(sqlx::FromRow)]
struct MoveRow {
    issue_id: String,
    change_id: String,
    created_ms: i64,
    from_value: Option<String>,
    to_value: Option<String>,
    from_string: Option<String>,
    to_string: Option<String>,
}

impl Store {
    /// Stores the changelogs of `history`'s issues: the changes not stored yet (each once,
    /// however often it is read), their authors, and the issues' recomputed [`Flow`], in one
    /// transaction. Changes of issues the store does not hold are left out. Returns how
    /// many changes were new.
    #[instrument(skip_all, fields(project = %history.project_key, issues = history.issue_ids.len()))]
    pub async fn apply_history(&self, history: &IssueHistory) -> Result<u64> {
        let mut tx = self.pool.begin_lookups().await?;
        users::upsert_users(&mut tx, &history.users).await?;
        let added = insert_changes(&mut tx, &history.changes).await?;
        let flows = flows(&mut tx, &history.issue_ids, &history.status_categories).await?;
        update_flows(&mut tx, &flows).await?;
        tx.commit().await?;
        Ok(added)
    }

    /// Up to `limit` of the project's live issues whose changelog was never stored, or was
    /// stored before their last update: what the next history read owes, oldest first.
    pub async fn issues_owing_history(&self, project: &str, limit: u32) -> Result<Vec<String>> {
        let statement = Statement::new(
            "SELECT id FROM issues WHERE project_key = $1 AND deleted_at IS NULL \
             AND (history_updated_ms IS NULL OR history_updated_ms < updated_ms) \
             ORDER BY updated_ms, id LIMIT $2",
        )
        .bind(project)
        .bind(i64::from(limit));
        let rows: Vec<(String,)> = self.pool.fetch_all(statement).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// The changes of these issues with their authors, by issue then newest first.
    pub async fn changes_of_issues(
        &self,
        issue_ids: &[String],
    ) -> Result<Vec<Authored<IssueChange>>> {
        let mut rows = Vec::new();
        for chunk in sql::chunks(issue_ids, 1, 0) {
            let mut statement = Statement::new(format!(
                "SELECT {CHANGE_COLUMNS}, u.account_id AS author_user_id, \
                 u.display_name AS author_display_name, u.email AS author_email, \
                 u.avatar_url AS author_avatar_url, u.active AS author_active \
                 FROM issue_changes LEFT JOIN jira_users u ON u.account_id = author_account_id \
                 WHERE issue_id IN ({}) ORDER BY issue_id, created_ms DESC, change_id DESC, field",
                sql::list(chunk.len(), 1)
            ));
            for id in chunk {
                statement.push(id);
            }
            rows.extend(self.pool.fetch_all(statement).await?);
        }
        Ok(rows)
    }
}

/// Inserts the changes of stored issues that are not stored yet; returns how many.
async fn insert_changes(tx: &mut Tx, changes: &[IssueChange]) -> Result<u64> {
    const WIDTH: usize = 9;
    let changes = sql::last_per_key(changes, |c| (&c.issue_id, &c.change_id, &c.field));
    let mut added = 0;
    for chunk in sql::chunks(&changes, WIDTH, 0) {
        // VALUES columns are named column1… in both databases; the WHERE keeps SQLite from
        // reading the ON CONFLICT as a join's ON.
        let mut statement = Statement::new(format!(
            "INSERT INTO issue_changes ({CHANGE_COLUMNS}) \
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, \
             v.column7, v.column8, v.column9 FROM (VALUES {}) AS v \
             WHERE EXISTS (SELECT 1 FROM issues WHERE issues.id = v.column1) \
             ON CONFLICT (issue_id, change_id, field) DO NOTHING",
            sql::tuples(chunk.len(), WIDTH, 1)
        ));
        for change in chunk {
            statement.push(&change.issue_id);
            statement.push(&change.change_id);
            statement.push(&change.author_account_id);
            statement.push(change.created_ms);
            statement.push(&change.field);
            statement.push(&change.from_value);
            statement.push(&change.to_value);
            statement.push(&change.from_string);
            statement.push(&change.to_string);
        }
        added += tx.execute(statement).await?;
    }
    Ok(added)
}

/// The flow of each stored issue among `issue_ids`, from all of its stored status moves,
/// with `categories` by status id.
async fn flows(
    tx: &mut Tx,
    issue_ids: &[String],
    categories: &HashMap<String, String>,
) -> Result<Vec<(String, Flow)>> {
    let mut issues: Vec<IssueRow> = Vec::new();
    let mut moves: HashMap<String, Vec<(i64, String, StatusMove)>> = HashMap::new();
    for chunk in sql::chunks(issue_ids, 1, 1) {
        let mut read = Statement::new(format!(
            "SELECT id, created_ms, resolved_ms, status, status_category FROM issues \
             WHERE id IN ({})",
            sql::list(chunk.len(), 1)
        ));
        let mut changes = Statement::new(format!(
            "SELECT issue_id, change_id, created_ms, from_value, to_value, from_string, \
             to_string FROM issue_changes WHERE field = $1 AND issue_id IN ({})",
            sql::list(chunk.len(), 2)
        ))
        .bind(STATUS_FIELD);
        for id in chunk {
            read.push(id);
            changes.push(id);
        }
        issues.extend(tx.fetch_all::<IssueRow>(read).await?);
        let rows: Vec<MoveRow> = tx.fetch_all(changes).await?;
        for row in rows {
            let category = |id: &Option<String>| id.as_ref().and_then(|id| categories.get(id));
            let moved = StatusMove {
                at_ms: row.created_ms,
                from_category: category(&row.from_value).cloned(),
                to_category: category(&row.to_value).cloned(),
                from: row.from_string,
                to: row.to_string,
            };
            moves.entry(row.issue_id).or_default().push((row.created_ms, row.change_id, moved));
        }
    }
    Ok(issues
        .into_iter()
        .map(|(id, created_ms, resolved_ms, status, status_category)| {
            let mut moved = moves.remove(&id).unwrap_or_default();
            // Jira's ids grow with time: they order the moves of one millisecond.
            moved.sort_by(|(a_ms, a, _), (b_ms, b, _)| {
                (a_ms, change_order(a)).cmp(&(b_ms, change_order(b)))
            });
            let moved: Vec<StatusMove> = moved.into_iter().map(|(_, _, m)| m).collect();
            let status_category = status_category.as_deref();
            let issue = Lifetime { created_ms, resolved_ms, status: &status, status_category };
            let flow = flow::flow(issue, &moved);
            (id, flow)
        })
        .collect())
}

fn change_order(id: &str) -> (u64, &str) {
    (id.parse().unwrap_or(u64::MAX), id)
}

async fn update_flows(tx: &mut Tx, flows: &[(String, Flow)]) -> Result<()> {
    const WIDTH: usize = 4;
    let durations: Vec<String> = flows
        .iter()
        .map(|(_, flow)| serde_json::to_string(&flow.status_durations))
        .collect::<std::result::Result<_, _>>()
        .map_err(|error| crate::StoreError::Invalid(error.to_string()))?;
    let rows: Vec<(&String, &Flow, &String)> =
        flows.iter().zip(&durations).map(|((id, flow), json)| (id, flow, json)).collect();
    for chunk in sql::chunks(&rows, WIDTH, 0) {
        let mut statement = Statement::new(format!(
            "UPDATE issues SET status_durations = v.column2, cycle_time_ms = v.column3, \
             lead_time_ms = v.column4, history_updated_ms = issues.updated_ms \
             FROM (VALUES {}) AS v WHERE issues.id = v.column1",
            sql::tuples(chunk.len(), WIDTH, 1)
        ));
        for (id, flow, json) in chunk {
            statement.push(*id);
            statement.push(*json);
            statement.push(flow.cycle_time_ms);
            statement.push(flow.lead_time_ms);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}
