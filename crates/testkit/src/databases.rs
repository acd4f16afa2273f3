//! Throwaway databases for rules that must hold on both store backends: a temporary SQLite
//! file, or a schema of its own on the local Postgres (`.ci/services`), so parallel tests
//! never meet.

use std::future::Future;

use sqlx::{Connection, Executor, PgConnection};
use tempfile::TempDir;

/// Trust auth, database `test`: what `.ci/services` provides.
pub const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// One test's empty database.
#[derive(Debug)]
pub struct TempDatabase {
    pub kind: Kind,
    /// A `DATABASE_URL` for it.
    pub url: String,
    /// A folder of the test's own (the SQLite file lives there).
    pub folder: TempDir,
}

/// Runs `test` on a fresh database of `kind` and removes the database afterwards, even when
/// the test panics (the panic is then passed on).
pub async fn with_database<F, Fut>(kind: Kind, test: F)
where
    F: FnOnce(TempDatabase) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let folder = tempfile::tempdir().expect("temp dir");
    let (url, schema) = match kind {
        Kind::Sqlite => (format!("sqlite://{}", folder.path().join("store.db").display()), None),
        Kind::Postgres => {
            let schema = format!("clockwork_test_{}", uuid::Uuid::new_v4().simple());
            admin(&format!("CREATE SCHEMA {schema}")).await;
            (format!("{POSTGRES_URL}?options=-c%20search_path%3D{schema}"), Some(schema))
        }
    };
    let outcome = tokio::spawn(test(TempDatabase { kind, url, folder })).await;
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

/// Writes each rule once as `async fn name(fixture) { … }` and runs it as `name::sqlite` and
/// `name::postgres`, through `runner(kind, rule)`, which builds the `Fixture` on a
/// [`TempDatabase`] (usually with [`with_database`]):
///
/// ```ignore
/// on_both_databases! { run, TestDb;
///     async fn a_rule(db) { … }
/// }
/// ```
#[macro_export]
macro_rules! on_both_databases {
    ($runner:path, $fixture:ty; $($(#[$meta:meta])* async fn $name:ident($arg:ident) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn rule($arg: $fixture) $body

                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $runner($crate::databases::Kind::Sqlite, rule).await;
                }

                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $runner($crate::databases::Kind::Postgres, rule).await;
                }
            }
        )+
    };
}
