//! The two backends behind one face.
//!
//! Every statement is written once, in SQL both databases accept, with `$n` placeholders (the
//! SQLite driver maps `$n` to the n-th argument too; SQLite is sent `?` instead when the `$n`
//! are in order, as it finds each `$n` by a linear search). A [`Statement`] (`statement`)
//! collects its arguments as backend-neutral [`Value`]s; [`Pool`] and [`Tx`] bind them for
//! whichever driver they hold, so only this module knows there are two.
//!
//! Every statement sent is counted ([`Statements`]): one relaxed atomic add, so tests and
//! benchmarks can prove how many statements a request costs without slowing anything.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

mod statement;

pub(crate) use statement::{Statement, Value};

use crate::config::{Backend, StoreConfig, userinfo};
use crate::error::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How long a SQLite writer waits for another to finish before answering `Busy`.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// SQLite writes one at a time; a few connections still let readers run beside a writer (WAL).
const SQLITE_CONNECTIONS: u32 = 4;

/// A row type both drivers can decode.
pub(crate) trait Record:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Record for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

/// A connection of either backend, borrowed for one statement.
enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl Conn<'_> {
    async fn execute(self, statement: Statement<'_>) -> Result<u64> {
        Ok(match self {
            Self::Sqlite(conn) => {
                let sql = statement.sqlite_sql();
                sqlx::query_with(&sql, statement.sqlite_args()?)
                    .execute(conn)
                    .await?
                    .rows_affected()
            }
            Self::Postgres(conn) => sqlx::query_with(statement.pg_sql(), statement.pg_args()?)
                .execute(conn)
                .await?
                .rows_affected(),
        })
    }

    async fn fetch_all<T: Record>(self, statement: Statement<'_>) -> Result<Vec<T>> {
        Ok(match self {
            Self::Sqlite(conn) => {
                let sql = statement.sqlite_sql();
                sqlx::query_as_with(&sql, statement.sqlite_args()?).fetch_all(conn).await?
            }
            Self::Postgres(conn) => {
                sqlx::query_as_with(statement.pg_sql(), statement.pg_args()?)
                    .fetch_all(conn)
                    .await?
            }
        })
    }

    async fn fetch_optional<T: Record>(self, statement: Statement<'_>) -> Result<Option<T>> {
        Ok(match self {
            Self::Sqlite(conn) => {
                let sql = statement.sqlite_sql();
                sqlx::query_as_with(&sql, statement.sqlite_args()?).fetch_optional(conn).await?
            }
            Self::Postgres(conn) => {
                sqlx::query_as_with(statement.pg_sql(), statement.pg_args()?)
                    .fetch_optional(conn)
                    .await?
            }
        })
    }
}

/// How many statements a pool and its transactions have sent; shared by clones.
#[derive(Debug, Clone, Default)]
pub(crate) struct Statements(Arc<AtomicU64>);

impl Statements {
    fn count(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn sent(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A pool of either backend; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Pool {
    backing: Backing,
    pub(crate) statements: Statements,
}

#[derive(Debug, Clone)]
enum Backing {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Pool {
    fn new(backing: Backing) -> Self {
        Self { backing, statements: Statements::default() }
    }

    pub(crate) async fn connect(config: &StoreConfig) -> Result<Self> {
        let redactor = config.redactor();
        let connecting = |error| StoreError::connecting(error, &redactor);
        match config.backend() {
            Backend::Sqlite => {
                reject_sqlite_credentials(config)?;
                let options = SqliteConnectOptions::from_str(config.expose_url())
                    .map_err(connecting)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT);
                if let Some(folder) = options.get_filename().parent()
                    && !folder.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(folder).map_err(|error| {
                        StoreError::Unavailable(redactor.scrub(&format!(
                            "cannot create the folder {}: {error}",
                            folder.display()
                        )))
                    })?;
                }
                let pool = SqlitePoolOptions::new()
                    .max_connections(SQLITE_CONNECTIONS)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(connecting)?;
                Ok(Self::new(Backing::Sqlite(pool)))
            }
            Backend::Postgres => {
                let options =
                    PgConnectOptions::from_str(config.expose_url()).map_err(connecting)?;
                let pool = PgPoolOptions::new()
                    .max_connections(postgres_connections())
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await
                    .map_err(connecting)?;
                Ok(Self::new(Backing::Postgres(pool)))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self.backing {
            Backing::Sqlite(_) => Backend::Sqlite,
            Backing::Postgres(_) => Backend::Postgres,
        }
    }

    pub(crate) async fn migrate(&self) -> Result<()> {
        match &self.backing {
            Backing::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Backing::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Starts a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so
    /// a transaction that reads before it writes waits its turn instead of failing mid-way.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let backing = match &self.backing {
            Backing::Sqlite(pool) => TxBacking::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Backing::Postgres(pool) => TxBacking::Postgres(pool.begin().await?),
        };
        Ok(Tx { backing, statements: self.statements.clone() })
    }

    /// Starts a write transaction whose statements find rows by key, as [`Pool::begin`]
    /// does. Postgres plans a table it has no statistics of yet (a fresh store's first
    /// sync, before autovacuum analyzes it) as if a list of a hundred keys matched half its
    /// rows, and reads the whole table for each such lookup; told to avoid sequential scans,
    /// it takes the indexes the lookups are written for.
    pub(crate) async fn begin_lookups(&self) -> Result<Tx> {
        let backing = match &self.backing {
            Backing::Sqlite(_) => return self.begin().await,
            Backing::Postgres(pool) => {
                TxBacking::Postgres(pool.begin_with("BEGIN; SET LOCAL enable_seqscan = off").await?)
            }
        };
        Ok(Tx { backing, statements: self.statements.clone() })
    }

    pub(crate) async fn close(&self) {
        match &self.backing {
            Backing::Sqlite(pool) => pool.close().await,
            Backing::Postgres(pool) => pool.close().await,
        }
    }

    pub(crate) async fn execute(&self, statement: Statement<'_>) -> Result<u64> {
        self.statements.count();
        self.acquire().await?.conn().execute(statement).await
    }

    pub(crate) async fn fetch_all<T: Record>(&self, statement: Statement<'_>) -> Result<Vec<T>> {
        self.statements.count();
        self.acquire().await?.conn().fetch_all(statement).await
    }

    pub(crate) async fn fetch_optional<T: Record>(
        &self,
        statement: Statement<'_>,
    ) -> Result<Option<T>> {
        self.statements.count();
        self.acquire().await?.conn().fetch_optional(statement).await
    }

    async fn acquire(&self) -> Result<Pooled> {
        Ok(match &self.backing {
            Backing::Sqlite(pool) => Pooled::Sqlite(pool.acquire().await?),
            Backing::Postgres(pool) => Pooled::Postgres(pool.acquire().await?),
        })
    }
}

enum Pooled {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Pooled {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Sqlite(conn) => Conn::Sqlite(conn),
            Self::Postgres(conn) => Conn::Postgres(conn),
        }
    }
}

/// An open transaction; dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub(crate) struct Tx {
    backing: TxBacking,
    statements: Statements,
}

#[derive(Debug)]
enum TxBacking {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<()> {
        match self.backing {
            TxBacking::Sqlite(tx) => tx.commit().await?,
            TxBacking::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub(crate) async fn execute(&mut self, statement: Statement<'_>) -> Result<u64> {
        self.statements.count();
        self.conn().execute(statement).await
    }

    pub(crate) async fn fetch_all<T: Record>(
        &mut self,
        statement: Statement<'_>,
    ) -> Result<Vec<T>> {
        self.statements.count();
        self.conn().fetch_all(statement).await
    }

    pub(crate) async fn fetch_optional<T: Record>(
        &mut self,
        statement: Statement<'_>,
    ) -> Result<Option<T>> {
        self.statements.count();
        self.conn().fetch_optional(statement).await
    }

    fn conn(&mut self) -> Conn<'_> {
        match &mut self.backing {
            TxBacking::Sqlite(tx) => Conn::Sqlite(tx),
            TxBacking::Postgres(tx) => Conn::Postgres(tx),
        }
    }
}

/// A SQLite URL names a file; credentials in it mean the wrong URL was pasted (and would end
/// up in a file name).
fn reject_sqlite_credentials(config: &StoreConfig) -> Result<()> {
    if userinfo(config.expose_url()).is_some() {
        return Err(StoreError::Config(format!(
            "a sqlite: URL names a file and takes no user or password: {}",
            config.redacted_url()
        )));
    }
    Ok(())
}

/// Two connections per core: enough to keep the cores busy while others wait on the network.
fn postgres_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).clamp(4, 16)
}
