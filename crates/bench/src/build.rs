//! `cargo build --profile <release|server>` of the packages a bench measures, from the bench
//! itself: `release` (size-optimized) for the function binaries as they are deployed,
//! `server` (speed-optimized) for the long-running `clockwork-local`.
//!
//! Cargo's own progress and diagnostics go to the terminal; its JSON messages on stdout name
//! the executables it produced, so the bench never guesses the target directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::children::ChildGuard;

/// A release build is bounded too: fat LTO on two cores is slow, but not this slow.
const BUILD_LIMIT: Duration = Duration::from_secs(60 * 60);

/// An executable cargo reported.
#[derive(Debug, Clone)]
pub struct Executable {
    /// The binary target's name, e.g. `timers-active-vercel`.
    pub name: String,
    pub path: PathBuf,
}

/// Builds `packages` with `profile` in the workspace at `root` and returns their binaries.
/// Fails with cargo's exit status when the build fails (its errors are already on screen).
pub fn with_profile(root: &Path, profile: &str, packages: &[String]) -> Result<Vec<Executable>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(root)
        .args(["build", "--profile", profile, "--message-format=json-render-diagnostics"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for package in packages {
        command.args(["-p", package]);
    }
    let shown = format!("cargo build --profile {profile} -p {}", packages.join(" -p "));
    eprintln!("bench: {shown}");
    let child = ChildGuard::spawn("cargo build", &mut command)?;
    let stdout = child.take_stdout().context("cargo's stdout was not piped")?;
    // Read on a thread so that the wait below bounds the whole build, hung lock included.
    let reader = std::thread::spawn(move || read_artifacts(stdout));
    let status = child.wait_timeout(BUILD_LIMIT)?;
    let executables = match reader.join() {
        Ok(result) => result?,
        Err(_) => bail!("reading cargo's JSON messages panicked"),
    };
    if !status.success() {
        bail!("`{shown}` failed ({status}); see cargo's messages above");
    }
    Ok(executables)
}

fn read_artifacts(stdout: std::process::ChildStdout) -> Result<Vec<Executable>> {
    let mut executables = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading cargo's JSON messages")?;
        let Ok(message) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let (Some(path), Some(name)) =
            (message["executable"].as_str(), message["target"]["name"].as_str())
        else {
            continue;
        };
        executables.push(Executable { name: name.to_owned(), path: PathBuf::from(path) });
    }
    Ok(executables)
}

/// `--skip-build`: the executables already in the profile's directory (`$CARGO_TARGET_DIR` or
/// `<root>/target`, then `release/` or `server/`) whose names satisfy `wanted`, as a previous
/// build left them. For measuring again while another crate of the workspace does not compile.
pub fn existing(
    root: &Path,
    profile: &str,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<Executable>> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = if target.is_absolute() { target } else { root.join(target) }.join(profile);
    let entries = std::fs::read_dir(&dir)
        .with_context(|| format!("--skip-build: cannot list {}", dir.display()))?;
    let mut executables = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if wanted(&name) && entry.file_type().is_ok_and(|t| t.is_file()) {
            executables.push(Executable { name, path: entry.path() });
        }
    }
    eprintln!("bench: --skip-build: using the binaries in {}", dir.display());
    Ok(executables)
}

/// `clockwork-local` built in `profile`, or with `skip_build` as a previous build of that
/// profile left it.
pub fn local_server(root: &Path, profile: &str, skip_build: bool) -> Result<PathBuf> {
    const LOCAL: &str = "clockwork-local";
    let executables = if skip_build {
        let dir = if profile == "dev" { "debug" } else { profile };
        existing(root, dir, |name| name == LOCAL)?
    } else {
        with_profile(root, profile, &[LOCAL.to_owned()])?
    };
    Ok(find(&executables, LOCAL)?.path.clone())
}

/// The executable called `name` among `executables`, or an error naming what was built.
pub fn find<'a>(executables: &'a [Executable], name: &str) -> Result<&'a Executable> {
    executables.iter().find(|e| e.name == name).with_context(|| {
        let built: Vec<&str> = executables.iter().map(|e| e.name.as_str()).collect();
        format!("cargo built no binary named {name} (built: {})", built.join(", "))
    })
}
