//! `clockwork-local`: the whole backend on one machine.
//!
//! - [`serve`]: every route on one port, with embedded parts unless the environment names
//!   shared ones; `--demo` adds the simulated Jira and Clockwork of the test kit.
//! - [`sync`]: one timer sync or Jira project sync, its JSON summary printed last.
//! - [`projects`] and [`users`]: the Jira data integrator's tracked projects, watched users
//!   and team matching; [`migrate`]: the store's schema.
//! - [`webhooks`]: the Jira webhooks for the tracked projects (admin or dynamic).
//! - [`token`]: signs client and admin tokens.
//! - [`wiring`]: upstream settings (environment or demo), embedded parts and the store;
//!   [`table`]: plain-text tables.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod migrate;
mod projects;
mod serve;
mod sync;
mod table;
mod token;
mod users;
mod webhooks;
mod wiring;

/// A full Jira sync allocates for every field it reads; glibc's malloc spent a third of its
/// CPU time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "clockwork-local", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve every route on one port.
    Serve(serve::ServeArgs),
    /// Run a sync once and print its JSON summary.
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Apply the store's migrations (DATABASE_URL, default sqlite://./data/clockwork.db).
    Migrate,
    /// The Jira projects the integrator syncs.
    #[command(subcommand)]
    Projects(projects::ProjectsCommand),
    /// The team and its Jira accounts.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// The Jira webhooks that deliver the tracked projects' changes.
    #[command(subcommand)]
    Webhooks(webhooks::WebhooksCommand),
}

#[tokio::main]
async fn main() -> Result<()> {
    clockwork_core::telemetry::init(clockwork_core::telemetry::LogFormat::from_env_or(
        clockwork_core::telemetry::LogFormat::Pretty,
    ));
    match Cli::parse().command {
        Command::Serve(args) => serve::run(args).await,
        Command::Sync(command) => sync::run(command).await,
        Command::Token(command) => token::run(command),
        Command::Migrate => migrate::run().await,
        Command::Projects(command) => projects::run(command).await,
        Command::Users(command) => users::run(command).await,
        Command::Webhooks(command) => webhooks::run(command).await,
    }
}
