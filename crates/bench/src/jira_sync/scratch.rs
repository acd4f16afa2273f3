//! A fresh, migrated store for each measured run: a Postgres schema of its own (named after
//! this process, so [`drop_leftover_schemas`] can find any an error left behind) or a SQLite
//! file in a temporary folder. Unlike the test kit's `databases`, a store outlives a closure
//! (the bench keeps some for later steps) and failures are errors, not panics.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use clockwork_store::{Store, StoreConfig};
use clockwork_testkit::databases::POSTGRES_URL;
use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

static NEXT_SCHEMA: AtomicU32 = AtomicU32::new(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Postgres,
    Sqlite,
}

impl Database {
    pub const BOTH: [Self; 2] = [Self::Postgres, Self::Sqlite];

    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "Postgres",
            Self::Sqlite => "SQLite",
        }
    }
}

impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a scratch store lives.
#[derive(Debug)]
enum Place {
    Schema(String),
    /// Removed with its files when dropped.
    Folder(TempDir),
}

/// A migrated store nobody else uses.
#[derive(Debug)]
pub struct ScratchStore {
    pub store: Store,
    /// Its `DATABASE_URL` (no password), for a child process to open it too.
    pub url: String,
    place: Place,
}

impl ScratchStore {
    pub async fn create(database: Database) -> Result<Self> {
        let (url, place) = match database {
            Database::Postgres => {
                let schema =
                    format!("{}{}", schema_prefix(), NEXT_SCHEMA.fetch_add(1, Ordering::Relaxed));
                admin(&format!("CREATE SCHEMA {schema}")).await?;
                (
                    format!("{POSTGRES_URL}?options=-c%20search_path%3D{schema}"),
                    Place::Schema(schema),
                )
            }
            Database::Sqlite => {
                let folder = sqlite_folder()?;
                (sqlite_url(&folder), Place::Folder(folder))
            }
        };
        let config = StoreConfig::new(&url).context("store URL")?;
        let store = Store::connect(&config)
            .await
            .with_context(|| format!("connecting to {}", config.redacted_url()))?;
        store.migrate().await.context("migrating the scratch store")?;
        Ok(Self { store, url, place })
    }

    /// Closes the pool and drops the schema or the file.
    pub async fn remove(self) -> Result<()> {
        self.store.close().await;
        match self.place {
            Place::Schema(schema) => admin(&format!("DROP SCHEMA {schema} CASCADE")).await,
            Place::Folder(folder) => folder.close().context("removing the SQLite folder"),
        }
    }
}

/// A temporary folder for a SQLite database.
pub fn sqlite_folder() -> Result<TempDir> {
    tempfile::Builder::new().prefix("bench-jira-sync-").tempdir().context("a temporary folder")
}

/// `sqlite://<folder>/sync.db`.
pub fn sqlite_url(folder: &TempDir) -> String {
    format!("sqlite://{}", folder.path().join("sync.db").display())
}

/// Drops the schemas of this process that a failed run did not remove.
pub async fn drop_leftover_schemas() -> Result<()> {
    let mut conn = admin_connection().await?;
    let prefix = schema_prefix();
    // `_` is a LIKE wildcard, so the prefix is matched here rather than in SQL.
    let schemas: Vec<(String,)> =
        sqlx::query_as("SELECT schema_name::text FROM information_schema.schemata")
            .fetch_all(&mut conn)
            .await
            .context("listing schemas")?;
    for (schema,) in schemas.into_iter().filter(|(name,)| name.starts_with(&prefix)) {
        conn.execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await
            .with_context(|| format!("dropping {schema}"))?;
    }
    Ok(())
}

fn schema_prefix() -> String {
    format!("bench_jira_sync_{}_", std::process::id())
}

async fn admin_connection() -> Result<PgConnection> {
    PgConnection::connect(POSTGRES_URL).await.with_context(|| {
        format!("Postgres must answer on {POSTGRES_URL} (start it with `.ci/services`)")
    })
}

async fn admin(sql: &str) -> Result<()> {
    admin_connection().await?.execute(sql).await.with_context(|| sql.to_owned())?;
    Ok(())
}
