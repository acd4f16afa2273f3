//! Sprints (`sprints`), from board reads and from the issues' sprint field.

use crate::Store;
use crate::error::Result;
use crate::model::Sprint;
use crate::pool::{Statement, Tx};
use crate::sql;

pub(crate) async fn upsert_sprints(tx: &mut Tx, project: &str, sprints: &[Sprint]) -> Result<()> {
    const WIDTH: usize = 9;
    let mut sprints = sql::last_per_key(sprints, |sprint| sprint.id);
    // Projects may share a board's sprints: one lock order means no deadlock.
    sprints.sort_by_key(|sprint| sprint.id);
    for chunk in sql::chunks(&sprints, WIDTH, 0) {
        let mut statement = Statement::new(format!(
            "INSERT INTO sprints (id, project_key, board_id, name, state, goal, start_ms, end_ms, \
             complete_ms) VALUES {} ON CONFLICT (id) DO UPDATE SET \
             project_key = excluded.project_key, board_id = excluded.board_id, \
             name = excluded.name, state = excluded.state, goal = excluded.goal, \
             start_ms = excluded.start_ms, end_ms = excluded.end_ms, \
             complete_ms = excluded.complete_ms",
            sql::tuples(chunk.len(), WIDTH, 1)
        ));
        for sprint in chunk {
            statement.push(sprint.id);
            statement.push(project);
            statement.push(sprint.board_id);
            statement.push(&sprint.name);
            statement.push(&sprint.state);
            statement.push(&sprint.goal);
            statement.push(sprint.start_ms);
            statement.push(sprint.end_ms);
            statement.push(sprint.complete_ms);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

impl Store {
    pub async fn upsert_sprints(&self, project: &str, sprints: &[Sprint]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        upsert_sprints(&mut tx, project, sprints).await?;
        tx.commit().await
    }

    /// The project's sprints, by id.
    pub async fn sprints(&self, project: &str) -> Result<Vec<Sprint>> {
        let statement = Statement::new(
            "SELECT id, board_id, name, state, goal, start_ms, end_ms, complete_ms FROM sprints \
             WHERE project_key = $1 ORDER BY id",
        );
        self.pool.fetch_all(statement.bind(project)).await
    }
}
