//! The Jira data integrator's commands as a person runs them: the real binary against the
//! simulated Jira (`--demo`), with a store of its own in a temporary folder.

use std::path::PathBuf;
use std::process::Output;

use clockwork_testkit::demo::{DEMO_ACCOUNT_ID, DEMO_USER_EMAIL};
use serde_json::Value;
use support::local;
use tempfile::TempDir;

mod support;

/// A temporary SQLite store, in a folder that does not exist yet.
struct Workspace {
    folder: TempDir,
}

impl Workspace {
    fn new() -> Self {
        Self { folder: tempfile::tempdir().expect("temp dir") }
    }

    fn database(&self) -> PathBuf {
        self.folder.path().join("data").join("clockwork.db")
    }

    fn run(&self, args: &[&str]) -> Output {
        local()
            .env("DATABASE_URL", format!("sqlite://{}", self.database().display()))
            .args(args)
            .output()
            .expect("run clockwork-local")
    }

    /// Runs a command that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).expect("utf-8")
    }

    /// Runs `sync jira --demo` for a project; the summary on its last line.
    fn sync(&self, project: &str) -> Value {
        let stdout = self.ok(&["sync", "jira", "--project", project, "--demo"]);
        serde_json::from_str(stdout.lines().last().expect("a line")).expect("a JSON summary")
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn migrate_creates_the_database_file_and_its_folder() {
    let workspace = Workspace::new();
    assert!(!workspace.database().parent().expect("folder").exists());
    let stdout = workspace.ok(&["migrate"]);
    assert!(workspace.database().is_file());
    assert!(stdout.contains("SQLite") && stdout.contains("clockwork.db"), "{stdout}");
    workspace.ok(&["migrate"]);
}

#[test]
fn tracking_an_unknown_project_fails_naming_it() {
    let workspace = Workspace::new();
    let output = workspace.run(&["projects", "track", "NOPE", "--demo"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("NOPE"), "{}", stderr(&output));
    assert!(!workspace.ok(&["projects", "list", "--demo"]).contains("yes"));
}

#[test]
fn a_tracked_project_is_listed_as_tracked() {
    let workspace = Workspace::new();
    workspace.ok(&["projects", "track", "kan", "--demo"]);
    let listed = workspace.ok(&["projects", "list", "--demo"]);
    let row = |key: &str| listed.lines().find(|line| line.starts_with(key)).unwrap_or_default();
    assert!(row("KAN ").contains("Kanban Web App") && row("KAN ").contains("yes"), "{listed}");
    assert!(row("OPS ").ends_with("no"), "{listed}");

    workspace.ok(&["projects", "untrack", "KAN"]);
    assert!(workspace.ok(&["projects", "list", "--demo"]).lines().all(|l| !l.contains("yes")));
}

#[test]
fn only_tracked_projects_are_synced() {
    let workspace = Workspace::new();
    let output = workspace.run(&["sync", "jira", "--project", "KAN", "--demo"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("projects track KAN"), "{}", stderr(&output));
}

#[test]
fn sync_jira_prints_its_summary_last() {
    let workspace = Workspace::new();
    workspace.ok(&["projects", "track", "KAN", "--demo"]);
    let summary = workspace.sync("KAN");
    let mut fields: Vec<&str> =
        summary.as_object().expect("an object").keys().map(String::as_str).collect();
    fields.sort_unstable();
    let mut expected = [
        "project",
        "issues",
        "comments",
        "worklogs",
        "sprints",
        "users",
        "deleted",
        "changes",
        "drifts",
        "new_drifts",
        "missed_by_webhooks",
        "requests",
        "seconds",
    ];
    expected.sort_unstable();
    assert_eq!(fields, expected);
    assert_eq!(summary["project"], "KAN");
    // A first sync finds every issue new: none came by a webhook.
    assert_eq!(summary["missed_by_webhooks"], summary["issues"], "{summary}");
    assert_eq!(summary["drifts"], 0, "the demo site serves the shapes the client reads");
    for positive in ["issues", "comments", "worklogs", "sprints", "requests"] {
        assert!(summary[positive].as_u64() > Some(0), "{positive}: {summary}");
    }
}

#[test]
fn a_second_sync_is_incremental_and_needs_few_requests() {
    let workspace = Workspace::new();
    workspace.ok(&["projects", "track", "KAN", "--demo"]);
    let full = workspace.sync("KAN");
    let incremental = workspace.sync("KAN");
    // Changed issues, the worklog feeds: no sprints, users or deleted-issue sweep.
    assert!(incremental["requests"].as_u64() <= Some(4), "{incremental}");
    assert!(incremental["requests"].as_u64() < full["requests"].as_u64(), "{full}");
    assert!(incremental["issues"].as_u64() < full["issues"].as_u64(), "{incremental}");
}

#[test]
fn adding_a_tracked_user_triggers_a_full_resync_of_that_project() {
    let workspace = Workspace::new();
    workspace.ok(&["projects", "track", "KAN", "--demo"]);
    let full = workspace.sync("KAN");
    let said = workspace.ok(&["projects", "track", "KAN", "--user", DEMO_ACCOUNT_ID, "--demo"]);
    assert!(said.contains("next sync of KAN will be a full resync"), "{said}");
    let listed = workspace.ok(&["projects", "list", "--demo"]);
    assert!(listed.contains("1 watched user"), "{listed}");

    let backfill = workspace.sync("KAN");
    // Sprints are read by full syncs (and daily), never by an incremental run right after one.
    assert_eq!(backfill["sprints"], full["sprints"], "{backfill}");
    assert!(backfill["requests"].as_u64() > Some(4), "{backfill}");
}

#[test]
fn users_match_reports_unmatched_hidden_email_users() {
    let workspace = Workspace::new();
    workspace.ok(&["projects", "track", "KAN", "--demo"]);
    workspace.sync("KAN");
    let shouted = DEMO_USER_EMAIL.to_uppercase();
    workspace.ok(&["users", "add-member", "--name", "M. Nguyen", "--email", &shouted]);
    workspace.ok(&["users", "add-member", "--name", "Sofia Rossi"]);
    workspace.ok(&["users", "add-member", "--name", "Newcomer", "--email", "new@acme.example"]);

    let report = workspace.ok(&["users", "match"]);
    let line = |needle: &str| report.lines().find(|l| l.contains(needle)).unwrap_or_default();
    assert!(line("M. Nguyen").contains(DEMO_ACCOUNT_ID), "{report}");
    assert!(line("M. Nguyen").ends_with("email"), "case-insensitive email: {report}");
    assert!(line("Sofia Rossi").ends_with("display name"), "hidden email, same name: {report}");
    assert!(line("Newcomer").contains("new@acme.example"), "{report}");
    let unmatched = report.split("Jira users matched to no team member").nth(1).unwrap_or("");
    assert!(line("Priya Sharma").contains("(hidden)"), "{report}");
    assert!(unmatched.contains("Priya Sharma"), "{report}");
    assert!(!unmatched.contains("Sofia Rossi"), "{report}");
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let workspace = Workspace::new();
    let mut child = local()
        .env("DATABASE_URL", format!("sqlite://{}", workspace.database().display()))
        .args(["serve", "--demo", "--port", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn clockwork-local");
    // The demo logs as it starts (auth off, the first syncs); two seconds is plenty.
    std::thread::sleep(std::time::Duration::from_secs(2));
    child.kill().expect("kill");
    let output = child.wait_with_output().expect("wait");
    let logs = stderr(&output);
    assert!(logs.contains("WARN") || logs.contains("INFO"), "no log lines to check: {logs}");
    assert!(!logs.contains('\u{1b}'), "ANSI escapes in piped logs: {logs:?}");
}
