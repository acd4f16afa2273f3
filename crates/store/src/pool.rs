//! The two backends behind one face.
//!
//! Every statement is written once, in SQL both databases accept, with `$n` placeholders (the
//! SQLite driver maps `$n` to the n-th argument too; [`positional`] sends SQLite `?` instead
//! when the `$n` are in order, as it finds each `$n` by a linear search). A [`Statement`]
//! collects its arguments as backend-neutral [`Value`]s; [`Pool`] and [`Tx`] bind them for
//! whichever driver they hold, so only this module knows there are two.
//!
//! Every statement sent is counted ([`Statements`]): one relaxed atomic add, so tests and
//! benchmarks can prove how many statements a request costs without slowing anything.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::{Arguments, Encode, FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction, Type};

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

/// An argument of a statement, borrowed from the caller's data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Text(Option<&'a str>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(bool),
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(value: &'a String) -> Self {
        Self::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Self::Text(value)
    }
}

impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(value: &'a Option<String>) -> Self {
        Self::Text(value.as_deref())
    }
}

impl From<i64> for Value<'_> {
    fn from(value: i64) -> Self {
        Self::Int(Some(value))
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(value: Option<i64>) -> Self {
        Self::Int(value)
    }
}

impl From<Option<f64>> for Value<'_> {
    fn from(value: Option<f64>) -> Self {
        Self::Real(value)
    }
}

impl From<bool> for Value<'_> {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// One SQL text and its arguments, in placeholder order.
#[derive(Debug)]
pub(crate) struct Statement<'a> {
    sql: Cow<'static, str>,
    values: Vec<Value<'a>>,
}

impl<'a> Statement<'a> {
    pub(crate) fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self { sql: sql.into(), values: Vec::new() }
    }

    pub(crate) fn bind(mut self, value: impl Into<Value<'a>>) -> Self {
        self.push(value);
        self
    }

    pub(crate) fn push(&mut self, value: impl Into<Value<'a>>) {
        self.values.push(value.into());
    }

    fn sqlite_args(&self) -> Result<SqliteArguments<'a>> {
        self.arguments()
    }

    fn pg_args(&self) -> Result<PgArguments> {
        self.arguments()
    }

    /// The values bound for one driver.
    fn arguments<A>(&self) -> Result<A>
    where
        A: Arguments<'a> + Default,
        Option<&'a str>: Encode<'a, A::Database> + Type<A::Database>,
        Option<i64>: Encode<'a, A::Database> + Type<A::Database>,
        Option<f64>: Encode<'a, A::Database> + Type<A::Database>,
        bool: Encode<'a, A::Database> + Type<A::Database>,
    {
        let mut args = A::default();
        for value in &self.values {
            let added = match *value {
                Value::Text(text) => args.add(text),
                Value::Int(int) => args.add(int),
                Value::Real(real) => args.add(real),
                Value::Bool(flag) => args.add(flag),
            };
            added.map_err(|error| StoreError::Invalid(error.to_string()))?;
        }
        Ok(args)
    }
}

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
        let sql = statement.sql.as_ref();
        Ok(match self {
            Self::Sqlite(conn) => {
                let sql = positional(sql);
                sqlx::query_with(&sql, statement.sqlite_args()?)
                    .execute(conn)
                    .await?
                    .rows_affected()
            }
            Self::Postgres(conn) => {
                sqlx::query_with(sql, statement.pg_args()?).execute(conn).await?.rows_affected()
            }
        })
    }

    async fn fetch_all<T: Record>(self, statement: Statement<'_>) -> Result<Vec<T>> {
        let sql = statement.sql.as_ref();
        Ok(match self {
            Self::Sqlite(conn) => {
                let sql = positional(sql);
                sqlx::query_as_with(&sql, statement.sqlite_args()?).fetch_all(conn).await?
            }
            Self::Postgres(conn) => {
                sqlx::query_as_with(sql, statement.pg_args()?).fetch_all(conn).await?
            }
        })
    }

    async fn fetch_optional<T: Record>(self, statement: Statement<'_>) -> Result<Option<T>> {
        let sql = statement.sql.as_ref();
        Ok(match self {
            Self::Sqlite(conn) => {
                let sql = positional(sql);
                sqlx::query_as_with(&sql, statement.sqlite_args()?).fetch_optional(conn).await?
            }
            Self::Postgres(conn) => {
                sqlx::query_as_with(sql, statement.pg_args()?).fetch_optional(conn).await?
            }
        })
    }
}

/// The statement with anonymous `?` placeholders for SQLite, when its `$n` appear in order
/// (`$1`, `$2`, … each once, none inside a quoted literal or name): SQLite finds a named
/// parameter by a linear search of the statement's names, and the driver asks for every
/// one's name, so a multi-row statement's binding grows with the square of its
/// placeholders; `?` are numbered by position and found at once. Any other statement is
/// sent as it is.
fn positional(sql: &str) -> Cow<'_, str> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut next, mut copied, mut quote) = (1_u64, 0, None);
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match quote {
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None if byte == b'\'' || byte == b'"' => quote = Some(byte),
            None if byte == b'$' => {
                let digits = bytes[at + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
                let number = sql[at + 1..at + 1 + digits].parse::<u64>().ok();
                if number != Some(next) {
                    return Cow::Borrowed(sql);
                }
                next += 1;
                out.push_str(&sql[copied..at]);
                out.push('?');
                at += 1 + digits;
                copied = at;
                continue;
            }
            None => {}
        }
        at += 1;
    }
    if next == 1 {
        return Cow::Borrowed(sql);
    }
    out.push_str(&sql[copied..]);
    Cow::Owned(out)
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

#[cfg(test)]
mod tests {
    use super::positional;

    #[test]
    fn placeholders_in_order_become_positional_for_sqlite() {
        assert_eq!(
            positional("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            positional("SELECT '$5', \"$x\" FROM t WHERE a = $1"),
            "SELECT '$5', \"$x\" FROM t WHERE a = ?"
        );
    }

    #[test]
    fn placeholders_out_of_order_or_repeated_are_left_as_written() {
        for sql in
            ["SELECT $2, $1", "SELECT $1 WHERE a = $1", "SELECT $1, $3", "SELECT 1", "SELECT $a"]
        {
            assert!(
                matches!(positional(sql), std::borrow::Cow::Borrowed(same) if same == sql),
                "{sql}"
            );
        }
    }
}
