//! The store's rules, each written once and run on both databases: a temporary SQLite file, and
//! Postgres for real on 127.0.0.1:5432 in a schema of its own, so parallel tests never meet.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use clockwork_store::{Store, StoreConfig};
pub use clockwork_testkit::databases::Kind;
use clockwork_testkit::databases::{TempDatabase, with_database};
use sqlx::{Connection, PgConnection};

mod batches;
mod bookkeeping;
mod fixtures;
mod history;
mod listing;
mod schedule;

/// One test's database, empty until [`TestDb::store`] migrates it.
#[derive(Debug)]
pub struct TestDb {
    pub kind: Kind,
    database: TempDatabase,
    clock: Arc<AtomicI64>,
}

/// Where the manual clock of every test store starts.
pub const T0: i64 = 1_750_000_000_000;

impl TestDb {
    pub fn url(&self) -> &str {
        &self.database.url
    }

    /// A store on this database with its migrations applied and the manual clock.
    pub async fn store(&self) -> Store {
        let store = self.connect().await;
        store.migrate().await.expect("migrate");
        store
    }

    /// A store on this database, as found.
    pub async fn connect(&self) -> Store {
        let config = StoreConfig::new(self.url()).expect("config");
        let clock = Arc::clone(&self.clock);
        Store::connect(&config)
            .await
            .expect("connect")
            .with_clock(Arc::new(move || clock.load(Ordering::SeqCst)))
    }

    /// Moves the clock of every store of this test forward.
    pub fn advance_ms(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// A place where no store exists yet, and the file that should appear there: for SQLite a
    /// file in folders not created yet; for Postgres this test's own schema, still empty.
    pub fn unborn(&self) -> (String, Option<PathBuf>) {
        match self.kind {
            Kind::Sqlite => {
                let file = self.database.folder.path().join("not").join("yet").join("clockwork.db");
                (format!("sqlite://{}", file.display()), Some(file))
            }
            Kind::Postgres => (self.url().to_owned(), None),
        }
    }

    /// The tables of the schema, by name, without the migration bookkeeping.
    pub async fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = match self.kind {
            Kind::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(self.url()).await.expect("sqlite");
                sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut conn)
                .await
                .expect("tables")
            }
            Kind::Postgres => {
                let mut conn = PgConnection::connect(self.url()).await.expect("postgres");
                sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = current_schema()",
                )
                .fetch_all(&mut conn)
                .await
                .expect("tables")
            }
        };
        names.retain(|name| name != "_sqlx_migrations");
        names.sort();
        names
    }
}

/// Runs one rule on a fresh database of `kind` with a manual clock at [`T0`].
pub async fn run<F, Fut>(kind: Kind, rule: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    with_database(kind, |database| {
        rule(TestDb { kind, database, clock: Arc::new(AtomicI64::new(T0)) })
    })
    .await;
}
