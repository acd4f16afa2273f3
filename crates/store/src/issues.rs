//! Issues with their comments, worklogs and sprint links, written a batch per transaction;
//! the deleted-issue sweep; reading issues and comments back.

use std::collections::{HashMap, HashSet};

use tracing::instrument;

use crate::error::{Result, StoreError};
use crate::model::{Comment, IssueBatch, IssueRecord, Stored, Sweep};
use crate::pool::{Statement, Tx};
use crate::sync_state::{SyncEntity, set_cursor};
use crate::{Issue, Store, sprints, sql, users, worklogs};

pub(crate) const ISSUE_COLUMNS: &str = "id, issue_key, project_key, summary, status, status_category, \
     priority, issue_type, assignee_account_id, reporter_account_id, created_ms, updated_ms, \
     resolved_ms, story_points";
pub(crate) const COMMENT_COLUMNS: &str =
    "id, issue_id, author_account_id, body, created_ms, updated_ms";

impl Store {
    /// Stores one batch in one transaction: users, sprints, issues (un-deleting any that were
    /// marked deleted), their sprint links (replaced), comments and worklogs (upserted; for
    /// issues read completely, stored ones missing from the batch are soft-deleted), the
    /// issues Jira no longer has (soft-deleted), and the `issues` cursor. Applying the same
    /// batch again changes nothing. Returns how many of its issues were new to the store or
    /// changed on Jira since stored (another `updated`).
    #[instrument(skip_all, fields(project = %batch.project_key, issues = batch.issues.len()))]
    pub async fn apply_batch(&self, batch: &IssueBatch) -> Result<u64> {
        validate(batch)?;
        let now = self.now_ms();
        let records = sql::last_per_key(&batch.issues, |record| record.issue.id.as_str());
        let mut tx = self.pool.begin_lookups().await?;
        let changed = changed_issues(&mut tx, &records).await?;
        users::upsert_users(&mut tx, &batch.users).await?;
        sprints::upsert_sprints(&mut tx, &batch.project_key, &batch.sprints).await?;
        upsert_issues(&mut tx, &records).await?;
        replace_sprint_links(&mut tx, &records).await?;

        upsert_comments(&mut tx, records.iter().flat_map(|record| &record.comments)).await?;
        let read_whole = records.iter().filter(|record| record.comments_complete).map(|record| {
            (record.issue.id.as_str(), record.comments.iter().map(|c| c.id.as_str()).collect())
        });
        soft_delete_missing(&mut tx, Child::Comments, read_whole.collect(), now).await?;

        let worklogs: Vec<_> = records.iter().flat_map(|record| &record.worklogs).collect();
        worklogs::upsert_worklogs(&mut tx, &worklogs).await?;
        let read_whole = records.iter().filter(|record| record.worklogs_complete).map(|record| {
            (record.issue.id.as_str(), record.worklogs.iter().map(|w| w.id.as_str()).collect())
        });
        soft_delete_missing(&mut tx, Child::Worklogs, read_whole.collect(), now).await?;

        soft_delete_issues(&mut tx, &batch.project_key, &batch.deleted_issue_ids, now).await?;

        if let Some(cursor_ms) = batch.cursor_ms {
            set_cursor(&mut tx, &batch.project_key, SyncEntity::Issues, cursor_ms).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// The sweep: soft-deletes the project's stored, live issues whose ids Jira no longer
    /// lists, and restores deleted ones that are listed again. When more than `max_share`
    /// of the live issues are missing at once (a permission or index hiccup far likelier
    /// than a mass deletion), the newly missing ones are only marked unobserved: the next
    /// sweep deletes those still missing and clears the mark of those listed again.
    #[instrument(skip_all, fields(project, live = live_ids.len()))]
    pub async fn sweep_issues(
        &self,
        project: &str,
        live_ids: &HashSet<String>,
        now_ms: i64,
        max_share: f64,
    ) -> Result<Sweep> {
        let mut tx = self.pool.begin().await?;
        let stored: Vec<(String, Option<i64>, Option<i64>)> = tx
            .fetch_all(
                Statement::new(
                    "SELECT id, deleted_at, unobserved_ms FROM issues WHERE project_key = $1",
                )
                .bind(project),
            )
            .await?;
        let live_count = stored.iter().filter(|(_, deleted_at, _)| deleted_at.is_none()).count();
        let (mut fresh, mut confirmed, mut back, mut seen_again) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, deleted_at, unobserved_ms) in &stored {
            match (deleted_at.is_some(), live_ids.contains(id), unobserved_ms.is_some()) {
                (false, false, false) => fresh.push(id.as_str()),
                (false, false, true) => confirmed.push(id.as_str()),
                (true, true, _) => back.push(id.as_str()),
                (false, true, true) => seen_again.push(id.as_str()),
                _ => {}
            }
        }
        let missing = fresh.len() + confirmed.len();
        let held_back = missing as f64 > max_share * live_count as f64;
        let (gone, unobserved) = if held_back {
            (confirmed, fresh)
        } else {
            (fresh.into_iter().chain(confirmed).collect(), Vec::new())
        };
        set_issues_deleted_at(&mut tx, &gone, Some(now_ms)).await?;
        set_issues_deleted_at(&mut tx, &back, None).await?;
        set_issues_unobserved(&mut tx, &unobserved, Some(now_ms)).await?;
        let cleared: Vec<&str> = gone.iter().chain(&back).chain(&seen_again).copied().collect();
        set_issues_unobserved(&mut tx, &cleared, None).await?;
        tx.commit().await?;
        Ok(Sweep {
            deleted: gone.len(),
            unobserved: unobserved.len(),
            restored: back.len() + seen_again.len(),
        })
    }

    /// One issue with its sprint ids, deleted or not.
    pub async fn issue(&self, id: &str) -> Result<Option<Stored<Issue>>> {
        let sql = format!("SELECT {ISSUE_COLUMNS}, deleted_at FROM issues WHERE id = $1");
        let Some(mut issue) =
            self.pool.fetch_optional::<Stored<Issue>>(Statement::new(sql).bind(id)).await?
        else {
            return Ok(None);
        };
        let sprints: Vec<(i64,)> = self
            .pool
            .fetch_all(
                Statement::new(
                    "SELECT sprint_id FROM issue_sprints WHERE issue_id = $1 ORDER BY sprint_id",
                )
                .bind(id),
            )
            .await?;
        issue.value.sprint_ids = sprints.into_iter().map(|(sprint_id,)| sprint_id).collect();
        Ok(Some(issue))
    }

    /// The issue's comments, deleted ones included, oldest first.
    pub async fn comments_of(&self, issue_id: &str) -> Result<Vec<Stored<Comment>>> {
        let sql = format!(
            "SELECT {COMMENT_COLUMNS}, deleted_at FROM comments WHERE issue_id = $1 \
             ORDER BY created_ms, id"
        );
        self.pool.fetch_all(Statement::new(sql).bind(issue_id)).await
    }
}

/// Children and parents must agree before anything is written.
fn validate(batch: &IssueBatch) -> Result<()> {
    for IssueRecord { issue, comments, worklogs, .. } in &batch.issues {
        if issue.project_key != batch.project_key {
            return Err(StoreError::Invalid(format!(
                "issue {} is in project {}, not in the batch's {}",
                issue.key, issue.project_key, batch.project_key
            )));
        }
        let children = comments
            .iter()
            .map(|c| ("comment", &c.id, &c.issue_id))
            .chain(worklogs.iter().map(|w| ("worklog", &w.id, &w.issue_id)));
        for (kind, id, issue_id) in children {
            if *issue_id != issue.id {
                return Err(StoreError::Invalid(format!(
                    "{kind} {id} names issue {issue_id} but was read under issue {}",
                    issue.id
                )));
            }
        }
    }
    Ok(())
}

/// How many of `records` the store does not hold with the same `updated`.
async fn changed_issues(tx: &mut Tx, records: &[&IssueRecord]) -> Result<u64> {
    let mut stored: HashMap<String, i64> = HashMap::with_capacity(records.len());
    for chunk in sql::chunks(records, 1, 0) {
        let mut statement = Statement::new(format!(
            "SELECT id, updated_ms FROM issues WHERE id IN ({})",
            sql::list(chunk.len(), 1)
        ));
        for record in chunk {
            statement.push(&record.issue.id);
        }
        let rows: Vec<(String, i64)> = tx.fetch_all(statement).await?;
        stored.extend(rows);
    }
    let changed = records.iter().filter(|record| {
        stored.get(&record.issue.id).is_none_or(|&updated| updated != record.issue.updated_ms)
    });
    Ok(changed.count() as u64)
}

async fn upsert_issues(tx: &mut Tx, records: &[&IssueRecord]) -> Result<()> {
    const WIDTH: usize = 14;
    for chunk in sql::chunks(records, WIDTH, 0) {
        let mut statement = Statement::new(format!(
            "INSERT INTO issues ({ISSUE_COLUMNS}) VALUES {} ON CONFLICT (id) DO UPDATE SET \
             issue_key = excluded.issue_key, project_key = excluded.project_key, \
             summary = excluded.summary, status = excluded.status, \
             status_category = excluded.status_category, priority = excluded.priority, \
             issue_type = excluded.issue_type, \
             assignee_account_id = excluded.assignee_account_id, \
             reporter_account_id = excluded.reporter_account_id, \
             created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, \
             resolved_ms = excluded.resolved_ms, story_points = excluded.story_points, \
             deleted_at = NULL",
            sql::tuples(chunk.len(), WIDTH, 1)
        ));
        for record in chunk {
            let issue = &record.issue;
            statement.push(&issue.id);
            statement.push(&issue.key);
            statement.push(&issue.project_key);
            statement.push(&issue.summary);
            statement.push(&issue.status);
            statement.push(&issue.status_category);
            statement.push(&issue.priority);
            statement.push(&issue.issue_type);
            statement.push(&issue.assignee_account_id);
            statement.push(&issue.reporter_account_id);
            statement.push(issue.created_ms);
            statement.push(issue.updated_ms);
            statement.push(issue.resolved_ms);
            statement.push(issue.story_points);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

/// An issue's sprint links become exactly the ones the batch lists.
async fn replace_sprint_links(tx: &mut Tx, records: &[&IssueRecord]) -> Result<()> {
    for chunk in sql::chunks(records, 1, 0) {
        let mut statement = Statement::new(format!(
            "DELETE FROM issue_sprints WHERE issue_id IN ({})",
            sql::list(chunk.len(), 1)
        ));
        for record in chunk {
            statement.push(&record.issue.id);
        }
        tx.execute(statement).await?;
    }
    let mut seen = HashSet::new();
    let links: Vec<(&str, i64)> = records
        .iter()
        .flat_map(|record| {
            record.issue.sprint_ids.iter().map(|&sprint| (record.issue.id.as_str(), sprint))
        })
        .filter(|link| seen.insert(*link))
        .collect();
    for chunk in sql::chunks(&links, 2, 0) {
        let mut statement = Statement::new(format!(
            "INSERT INTO issue_sprints (issue_id, sprint_id) VALUES {}",
            sql::tuples(chunk.len(), 2, 1)
        ));
        for &(issue_id, sprint_id) in chunk {
            statement.push(issue_id);
            statement.push(sprint_id);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

async fn upsert_comments<'a>(
    tx: &mut Tx,
    comments: impl IntoIterator<Item = &'a Comment>,
) -> Result<()> {
    const WIDTH: usize = 6;
    let comments = sql::last_per_key(comments, |comment| comment.id.as_str());
    for chunk in sql::chunks(&comments, WIDTH, 0) {
        let mut statement = Statement::new(format!(
            "INSERT INTO comments ({COMMENT_COLUMNS}) VALUES {} ON CONFLICT (id) DO UPDATE SET \
             issue_id = excluded.issue_id, author_account_id = excluded.author_account_id, \
             body = excluded.body, created_ms = excluded.created_ms, \
             updated_ms = excluded.updated_ms, deleted_at = NULL",
            sql::tuples(chunk.len(), WIDTH, 1)
        ));
        for comment in chunk {
            statement.push(&comment.id);
            statement.push(&comment.issue_id);
            statement.push(&comment.author_account_id);
            statement.push(&comment.body);
            statement.push(comment.created_ms);
            statement.push(comment.updated_ms);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

/// A child table that is read per issue and soft-deleted when gone from a complete read.
#[derive(Debug, Clone, Copy)]
enum Child {
    Comments,
    Worklogs,
}

impl Child {
    fn table(self) -> &'static str {
        match self {
            Self::Comments => "comments",
            Self::Worklogs => "worklogs",
        }
    }
}

/// For each `(issue id, every child id Jira has for it)`, marks the issue's other stored,
/// live children deleted at `now`. The ids to delete are found first, so no statement's size
/// depends on how many children an issue has.
async fn soft_delete_missing(
    tx: &mut Tx,
    child: Child,
    read_whole: Vec<(&str, HashSet<&str>)>,
    now: i64,
) -> Result<()> {
    let keep: HashSet<&str> = read_whole.iter().flat_map(|(_, ids)| ids.iter().copied()).collect();
    let issues: Vec<&str> = read_whole.iter().map(|(issue_id, _)| *issue_id).collect();
    let mut gone: Vec<String> = Vec::new();
    for chunk in sql::chunks(&issues, 1, 0) {
        let mut statement = Statement::new(format!(
            "SELECT id FROM {} WHERE deleted_at IS NULL AND issue_id IN ({})",
            child.table(),
            sql::list(chunk.len(), 1)
        ));
        for &issue_id in chunk {
            statement.push(issue_id);
        }
        let stored: Vec<(String,)> = tx.fetch_all(statement).await?;
        gone.extend(stored.into_iter().map(|(id,)| id).filter(|id| !keep.contains(id.as_str())));
    }
    for chunk in sql::chunks(&gone, 1, 1) {
        let mut statement = Statement::new(format!(
            "UPDATE {} SET deleted_at = $1 WHERE id IN ({})",
            child.table(),
            sql::list(chunk.len(), 2)
        ))
        .bind(now);
        for id in chunk {
            statement.push(id);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

/// Marks the project's live issues `ids` deleted at `now`; other projects' issues are left.
async fn soft_delete_issues(tx: &mut Tx, project: &str, ids: &[String], now: i64) -> Result<()> {
    for chunk in sql::chunks(ids, 1, 2) {
        let mut statement = Statement::new(format!(
            "UPDATE issues SET deleted_at = $1 WHERE project_key = $2 AND deleted_at IS NULL \
             AND id IN ({})",
            sql::list(chunk.len(), 3)
        ))
        .bind(now)
        .bind(project);
        for id in chunk {
            statement.push(id);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

async fn set_issues_deleted_at(tx: &mut Tx, ids: &[&str], deleted_at: Option<i64>) -> Result<()> {
    set_issues_column(tx, "deleted_at", ids, deleted_at).await
}

async fn set_issues_unobserved(tx: &mut Tx, ids: &[&str], at: Option<i64>) -> Result<()> {
    set_issues_column(tx, "unobserved_ms", ids, at).await
}

/// Sets one timestamp column of the issues `ids`.
async fn set_issues_column(
    tx: &mut Tx,
    column: &'static str,
    ids: &[&str],
    value: Option<i64>,
) -> Result<()> {
    for chunk in sql::chunks(ids, 1, 1) {
        let mut statement = Statement::new(format!(
            "UPDATE issues SET {column} = $1 WHERE id IN ({})",
            sql::list(chunk.len(), 2)
        ))
        .bind(value);
        for &id in chunk {
            statement.push(id);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}
