//! Schemathesis (`.ci/services` installs it into `.venv`) attacks the real `serve --demo`, with
//! authentication on and an admin token: every REST route from the committed OpenAPI document,
//! and GraphQL from its committed SDL. Valid and invalid inputs alike must never meet a server
//! error; every REST answer must have a documented status, content type and body, and every
//! GraphQL error a machine code.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use demo::{Server, admin_token, serve_demo_with};

#[path = "support/demo.rs"]
mod demo;
mod support;

const SECRET: &str = "the-fuzzed-demo-secret-of-32-characters";
/// Longer than this and a run is ended as a failure: the fuzzing must not cost CI more.
const TIME_LIMIT: Duration = Duration::from_secs(420);

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_the_openapi_document_does_not_describe() {
    let (server, token) = serve_with_auth();
    let document = repo().join("crates/api/openapi.json");
    let checks = "not_a_server_error,status_code_conformance,content_type_conformance,\
                  response_schema_conformance";
    let mut args = vec![document.into_os_string(), "--url".into(), (&server.base).into()];
    args.extend(
        ["--checks", checks, "--mode", "all", "--phases", "examples,coverage,fuzzing"]
            .into_iter()
            .chain(["--max-examples", "50"])
            .map(OsString::from),
    );
    schemathesis("rest", &token, args, &[]);
}

#[test]
fn schemathesis_finds_no_graphql_error_without_a_machine_code_or_from_a_server_fault() {
    let (server, token) = serve_with_auth();
    let schema = repo().join("crates/graphql/schema.graphql");
    let url = format!("{}/api/graphql", server.base);
    let mut args = vec![schema.into_os_string(), "--url".into(), url.into()];
    // Its own `not_a_server_error` fails any `errors` array, refusals of bad input included.
    // Fewer examples: each of its 21 root fields is an operation, with a stateful phase besides.
    let checks = ["--checks", "graphql_errors_are_coded_refusals", "--max-examples", "30"];
    args.extend(checks.map(OsString::from));
    let hooks = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis");
    let env = [
        ("PYTHONPATH", hooks.into_os_string()),
        ("SCHEMATHESIS_HOOKS", OsString::from("graphql_checks")),
    ];
    schemathesis("graphql", &token, args, &env);
}

/// `serve --demo --auth` and an admin token it accepts; the cron routes take the same
/// bearer, so they are fuzzed past their secret too.
fn serve_with_auth() -> (Server, String) {
    let token = admin_token(SECRET);
    let server = serve_demo_with(|command| {
        command
            .env("API_JWT_SECRET", SECRET)
            .env("CRON_SECRET", &token)
            .env("JIRA_WEBHOOK_SECRET", "webhook-secret-the-fuzzer-does-not-know")
            .arg("--auth");
    });
    (server, token)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `st run` with `args` and the bounds every run shares, and fails with its report
/// unless it found nothing. Its log and JUnit report are kept in `target/tmp/schemathesis`.
fn schemathesis(name: &str, token: &str, args: Vec<OsString>, env: &[(&str, OsString)]) {
    let st = installed();
    let reports = Path::new(env!("CARGO_TARGET_TMPDIR")).join("schemathesis");
    std::fs::create_dir_all(&reports).expect("report folder");
    let log_path = reports.join(format!("{name}.log"));
    let log = File::create(&log_path).expect("log file");
    let started = Instant::now();
    let mut run = Command::new(&st)
        .arg("run")
        .args(args)
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // Bounded by `--max-examples` (test cases per operation and phase), from a fixed seed.
        .args(["--seed", "42", "--request-timeout", "10"])
        // One worker: hypothesis describes its strategies with `ast.parse`, which CPython
        // 3.11 does not make thread-safe.
        .args(["--workers", "1", "--no-color", "--report", "junit", "--report-junit-path"])
        .arg(reports.join(format!("{name}.xml")))
        .envs(env.iter().map(|(name, value)| (name, value)))
        // Its caches (`.schemathesis/`, bytecode) go to the report folder, not the source tree.
        .current_dir(&reports)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", st.display()));
    let status = loop {
        if let Some(status) = run.try_wait().expect("wait for schemathesis") {
            break status;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = run.kill();
            let _ = run.wait();
            panic!("schemathesis ran past {TIME_LIMIT:?}; see {}", log_path.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(status.success(), "schemathesis found failures ({status}):\n{log}");
    let summary = log.lines().rev().find(|line| line.contains("generated")).unwrap_or_default();
    eprintln!("schemathesis {name}: {} in {:.0?}", summary.trim(), started.elapsed());
}

/// The `st` command beside the test interpreter, or a failure saying how to install it.
fn installed() -> PathBuf {
    let python = clockwork_testkit::python::interpreter();
    let found = Command::new(&python)
        .args(["-c", "import schemathesis"])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "Schemathesis is not installed for {}: run .ci/services, which installs it into .venv",
        python.display()
    );
    python.with_file_name("st")
}
