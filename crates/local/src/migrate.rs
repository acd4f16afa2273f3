//! `clockwork-local migrate`: applies the store's migrations and says where.

use std::io::Write;

use anyhow::Result;
use clockwork_store::Backend;

use crate::wiring;

pub async fn run() -> Result<()> {
    let (store, config) = wiring::store().await?;
    let backend = match store.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "Postgres",
    };
    writeln!(
        std::io::stdout(),
        "Migrations applied: the {backend} store at {} is up to date.",
        config.redacted_url()
    )?;
    Ok(())
}
