//! `serve` started as a person starts it (most tests with `--demo`), on a free port with a
//! store of its own; included (`#[path]`) by the tests that talk to the running server.

#![allow(dead_code)] // each test file uses a different part

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

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
    serve_demo_with(|_| {})
}

/// `serve --demo` with the arguments and variables `configure` adds, such as `--auth`.
pub fn serve_demo_with(configure: impl FnOnce(&mut Command)) -> Server {
    serve_with(|command| {
        command.arg("--demo");
        configure(command);
    })
}

/// `serve` with the arguments and variables `configure` adds: the upstreams' settings, or
/// `--demo`; `DATABASE_URL`, when it sets one, replaces the server's own store.
pub fn serve_with(configure: impl FnOnce(&mut Command)) -> Server {
    let data = tempfile::tempdir().expect("temp dir");
    let mut command = local();
    command
        .env("DATABASE_URL", format!("sqlite://{}", data.path().join("store.db").display()))
        .args(["serve", "--port", "0"]);
    configure(&mut command);
    let mut child = command
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

/// An admin token signed with `secret`, as `token issue --admin` prints it.
pub fn admin_token(secret: &str) -> String {
    let output = local()
        .env("API_JWT_SECRET", secret)
        .args(["token", "issue", "--account-id", "acc-admin", "--admin", "--ttl", "1h"])
        .output()
        .expect("run clockwork-local");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("utf-8").trim().to_owned()
}
