//! The store's rules, each written once and run on both databases: a temporary SQLite file, and
//! Postgres for real on 127.0.0.1:5432 in a schema of its own, so parallel tests never meet.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use clockwork_store::{Store, StoreConfig};
use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

/// Writes each rule once as `async fn name(db) { … }` and runs it as `name::sqlite` and
/// `name::postgres`.
macro_rules! on_both_databases {
    ($($(#[$meta:meta])* async fn $name:ident($db:ident) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn rule($db: $crate::TestDb) $body

                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::run($crate::Kind::Sqlite, rule).await;
                }

                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::run($crate::Kind::Postgres, rule).await;
                }
            }
        )+
    };
}

mod batches;
mod bookkeeping;
mod fixtures;

/// Trust auth, database `test`: what `.ci/services` provides.
const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// One test's database, empty until [`TestDb::store`] migrates it.
#[derive(Debug)]
pub struct TestDb {
    pub kind: Kind,
    url: String,
    folder: TempDir,
    clock: Arc<AtomicI64>,
}

/// Where the manual clock of every test store starts.
pub const T0: i64 = 1_750_000_000_000;

impl TestDb {
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A store on this database with its migrations applied and the manual clock.
    pub async fn store(&self) -> Store {
        let store = self.connect().await;
        store.migrate().await.expect("migrate");
        store
    }

    /// A store on this database, as found.
    pub async fn connect(&self) -> Store {
        let config = StoreConfig::new(&self.url).expect("config");
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
                let file = self.folder.path().join("not").join("yet").join("clockwork.db");
                (format!("sqlite://{}", file.display()), Some(file))
            }
            Kind::Postgres => (self.url.clone(), None),
        }
    }

    /// The tables of the schema, by name, without the migration bookkeeping.
    pub async fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = match self.kind {
            Kind::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.expect("sqlite");
                sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut conn)
                .await
                .expect("tables")
            }
            Kind::Postgres => {
                let mut conn = PgConnection::connect(&self.url).await.expect("postgres");
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

/// Runs one rule on a fresh database of `kind` and removes the database afterwards, even when
/// the rule panics (the panic is then passed on).
pub async fn run<F, Fut>(kind: Kind, rule: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let folder = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(AtomicI64::new(T0));
    let (url, schema) = match kind {
        Kind::Sqlite => (format!("sqlite://{}", folder.path().join("store.db").display()), None),
        Kind::Postgres => {
            let schema = format!("clockwork_test_{}", uuid::Uuid::new_v4().simple());
            admin(&format!("CREATE SCHEMA {schema}")).await;
            (format!("{POSTGRES_URL}?options=-c%20search_path%3D{schema}"), Some(schema))
        }
    };
    let outcome = tokio::spawn(rule(TestDb { kind, url, folder, clock })).await;
    if let Some(schema) = schema {
        admin(&format!("DROP SCHEMA {schema} CASCADE")).await;
    }
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn admin(sql: &str) {
    let mut conn = PgConnection::connect(POSTGRES_URL)
        .await
        .unwrap_or_else(|error| panic!("Postgres must answer on {POSTGRES_URL}: {error}"));
    conn.execute(sql).await.expect(sql);
    conn.close().await.expect("close");
}
