//! `clockwork-local serve --port 0` as a child of the bench, with the arguments and variables
//! a bench adds; its address is read from the banner, and it is killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::children::ChildGuard;

const BANNER_PREFIX: &str = "clockwork-local listening on http://";
const STARTUP_LIMIT: Duration = Duration::from_secs(60);

/// The running local server.
#[derive(Debug)]
pub struct LocalServer {
    pub address: SocketAddr,
    /// The banner's second line, e.g. `cache: Redis (REDIS_URL); queue: in-process; …`.
    pub settings: String,
    _child: ChildGuard,
}

impl LocalServer {
    /// Starts `bin serve --port 0` in `root` with what `configure` adds, `RUST_LOG=warn`
    /// unless it sets another, and stderr on the bench's; waits for the banner.
    pub fn start(bin: &Path, root: &Path, configure: impl FnOnce(&mut Command)) -> Result<Self> {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--port", "0"])
            .current_dir(root)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        configure(&mut command);
        let child = ChildGuard::spawn("clockwork-local serve", &mut command)?;
        let stdout = child.take_stdout().context("the server's stdout was not piped")?;
        // Drain stdout for the server's whole life: a closed pipe would fail its banner writes.
        let (lines_tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Once the bench stops listening, lines are dropped but still read.
                let _ = lines_tx.send(line);
            }
        });
        let first = match lines.recv_timeout(STARTUP_LIMIT) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                bail!("clockwork-local printed nothing within {} s", STARTUP_LIMIT.as_secs())
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.try_wait()?;
                bail!("clockwork-local exited before listening ({status:?}); see its errors above")
            }
        };
        let address: SocketAddr = first
            .strip_prefix(BANNER_PREFIX)
            .and_then(|rest| rest.trim().parse().ok())
            .with_context(|| format!("unexpected first line from clockwork-local: {first:?}"))?;
        let settings = lines.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
        let settings = settings.trim().to_owned();
        eprintln!("bench: clockwork-local on {address} ({settings})");
        Ok(Self { address, settings, _child: child })
    }
}
