//! The Python interpreter of the tests that run a real Python program (the SMTP sink, MCP
//! clients): `$CLOCKWORK_TEST_PYTHON`, else `.venv/bin/python` at the repository root, where
//! `.ci/services` installs what they import.

use std::path::{Path, PathBuf};

pub fn interpreter() -> PathBuf {
    match std::env::var_os("CLOCKWORK_TEST_PYTHON") {
        Some(python) if !python.is_empty() => PathBuf::from(python),
        _ => repo_root().join(".venv/bin/python"),
    }
}

/// Two levels above this crate (`crates/testkit`).
fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.ancestors().nth(2).unwrap_or(manifest_dir).to_path_buf()
}
