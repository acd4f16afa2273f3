//! The admin console in a real browser: Debian's headless Chromium, driven by playwright-core
//! (both installed by `.ci/services`), clicks through `/admin` of the real `serve --demo`.

use std::path::{Path, PathBuf};
use std::process::Command;

use demo::serve_demo;

#[path = "support/demo.rs"]
mod demo;
mod support;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_tests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../graphql/console/tests")
}

#[test]
fn console_tracks_syncs_pauses_reschedules_and_shows_the_log_in_chromium() {
    let tests = browser_tests();
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run .ci/services, which installs Debian's chromium package"
    );
    assert!(
        tests.join("node_modules/playwright-core/package.json").exists(),
        "playwright-core is missing from {}: run .ci/services, which installs it with npm ci",
        tests.display()
    );
    let server = serve_demo();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    let output = Command::new("node")
        .arg(tests.join("console.test.mjs"))
        .arg(&server.base)
        .arg(&shots)
        .current_dir(&tests)
        .output()
        .expect("run node (Node.js is needed for the browser test)");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(output.status.success(), "the browser test failed ({}): {stderr}", output.status);
    assert!(shots.join("6-phone-controls.png").exists(), "screenshots in {}", shots.display());
}
