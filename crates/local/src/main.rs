//! `clockwork-local`: the whole backend on one machine.
//!
//! - [`serve`]: every route on one port, with embedded parts unless the environment names
//!   shared ones; `--demo` adds the simulated Jira and Clockwork of the test kit.
//! - [`sync`]: one sync run, its JSON summary printed last.
//! - [`token`]: signs client and admin tokens.
//! - [`wiring`]: upstream settings (environment or demo) and embedded parts.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod serve;
mod sync;
mod token;
mod wiring;

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
    }
}
