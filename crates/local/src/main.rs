//! `clockwork-local`: the whole backend on one machine.
//!
//! - [`serve`]: every route on one port, with embedded parts unless the environment names
//!   shared ones; `--demo` adds the simulated Jira and Clockwork of the test kit.
//! - [`token`]: signs client and admin tokens.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod serve;
mod token;

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
        Command::Token(command) => token::run(command),
    }
}
