//! `serve --demo` started as a person starts it, on a free port with a store of its own;
//! included (`#[path]`) by the tests that talk to the running server.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::support::local;

pub struct Server {
    child: Child,
    pub base: String,
    /// Holds the Jira store of the in-process worker.
    pub data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve --demo` on a free port and reads the address from its banner.
pub fn serve_demo() -> Server {
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = local()
        .env("DATABASE_URL", format!("sqlite://{}", data.path().join("store.db").display()))
        .args(["serve", "--demo", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn clockwork-local");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout);
    let mut banner = String::new();
    lines.read_line(&mut banner).expect("banner");
    // Keep reading so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let base = banner.trim().rsplit(' ').next().expect("address").to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{banner}");
    Server { child, base, data }
}
