//! Jira accounts (`jira_users`) and the team they are matched to (`team_members`).

use crate::Store;
use crate::error::Result;
use crate::model::{JiraUser, TeamMember};
use crate::pool::{Statement, Tx};
use crate::sql;

/// Upserts accounts inside the caller's transaction. A sighting without an email or avatar
/// (hidden by privacy settings, or a smaller payload) keeps the ones already known.
pub(crate) async fn upsert_users(tx: &mut Tx, users: &[JiraUser]) -> Result<()> {
    const WIDTH: usize = 5;
    let mut users = sql::last_per_key(users, |user| user.account_id.as_str());
    // Batches of different projects share users: one lock order means no deadlock.
    users.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    for chunk in sql::chunks(&users, WIDTH, 0) {
        let mut statement = Statement::new(format!(
            "INSERT INTO jira_users (account_id, display_name, email, avatar_url, active) \
             VALUES {} ON CONFLICT (account_id) DO UPDATE SET \
             display_name = excluded.display_name, \
             email = COALESCE(excluded.email, jira_users.email), \
             avatar_url = COALESCE(excluded.avatar_url, jira_users.avatar_url), \
             active = excluded.active",
            sql::tuples(chunk.len(), WIDTH, 1)
        ));
        for user in chunk {
            statement.push(&user.account_id);
            statement.push(&user.display_name);
            statement.push(&user.email);
            statement.push(&user.avatar_url);
            statement.push(user.active);
        }
        tx.execute(statement).await?;
    }
    Ok(())
}

impl Store {
    pub async fn upsert_users(&self, users: &[JiraUser]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        upsert_users(&mut tx, users).await?;
        tx.commit().await
    }

    /// Every known Jira account, by account id.
    pub async fn jira_users(&self) -> Result<Vec<JiraUser>> {
        let statement = Statement::new(
            "SELECT account_id, display_name, email, avatar_url, active FROM jira_users \
             ORDER BY account_id",
        );
        self.pool.fetch_all(statement).await
    }

    /// The stored accounts among `account_ids`, in one statement per few hundred ids.
    pub async fn jira_users_by_ids(&self, account_ids: &[String]) -> Result<Vec<JiraUser>> {
        let mut users = Vec::new();
        for chunk in sql::chunks(account_ids, 1, 0) {
            let mut statement = Statement::new(format!(
                "SELECT account_id, display_name, email, avatar_url, active FROM jira_users \
                 WHERE account_id IN ({}) ORDER BY account_id",
                sql::list(chunk.len(), 1)
            ));
            for id in chunk {
                statement.push(id);
            }
            users.extend(self.pool.fetch_all::<JiraUser>(statement).await?);
        }
        Ok(users)
    }

    /// The members matched to any of `account_ids`.
    pub async fn team_members_of_accounts(
        &self,
        account_ids: &[String],
    ) -> Result<Vec<TeamMember>> {
        let mut members = Vec::new();
        for chunk in sql::chunks(account_ids, 1, 0) {
            let mut statement = Statement::new(format!(
                "SELECT id, display_name, email, jira_account_id FROM team_members \
                 WHERE jira_account_id IN ({}) ORDER BY id",
                sql::list(chunk.len(), 1)
            ));
            for id in chunk {
                statement.push(id);
            }
            members.extend(self.pool.fetch_all::<TeamMember>(statement).await?);
        }
        Ok(members)
    }

    /// One member by id.
    pub async fn team_member(&self, id: &str) -> Result<Option<TeamMember>> {
        let statement = Statement::new(
            "SELECT id, display_name, email, jira_account_id FROM team_members WHERE id = $1",
        );
        self.pool.fetch_optional(statement.bind(id)).await
    }

    /// Creates or updates a member; a member given without an account keeps the one it has.
    pub async fn upsert_team_member(&self, member: &TeamMember) -> Result<()> {
        let statement = Statement::new(
            "INSERT INTO team_members (id, display_name, email, jira_account_id) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET \
             display_name = excluded.display_name, email = excluded.email, \
             jira_account_id = COALESCE(excluded.jira_account_id, team_members.jira_account_id)",
        )
        .bind(&member.id)
        .bind(&member.display_name)
        .bind(&member.email)
        .bind(&member.jira_account_id);
        self.pool.execute(statement).await?;
        Ok(())
    }

    /// The team, by member id.
    pub async fn team_members(&self) -> Result<Vec<TeamMember>> {
        let statement = Statement::new(
            "SELECT id, display_name, email, jira_account_id FROM team_members ORDER BY id",
        );
        self.pool.fetch_all(statement).await
    }

    /// Matches (or, with `None`, unmatches) a member to a Jira account; false when no such member.
    pub async fn set_team_member_account(
        &self,
        member_id: &str,
        account_id: Option<&str>,
    ) -> Result<bool> {
        let statement =
            Statement::new("UPDATE team_members SET jira_account_id = $2 WHERE id = $1")
                .bind(member_id)
                .bind(account_id);
        Ok(self.pool.execute(statement).await? > 0)
    }
}
