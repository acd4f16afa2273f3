//! `clockwork-local sync jira` killed with SIGKILL at random points (during page fetches,
//! mid-commit, between batches, during the sweep), over many rounds, while the site keeps
//! changing; after the final complete run the store matches the fake site's truth row by
//! row: nothing missing, doubled or resurrected, and the cursor never ahead of the data. The
//! same with full syncs partitioned by issue id (four ranges fetched at once).

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clockwork_store::{Store, StoreConfig, SyncEntity};
use clockwork_testkit::jira::FakeJira;
use serde_json::{Value, json};
use support::local;

mod support;

const EMAIL: &str = "bot@acme.example";
const TOKEN: &str = "token";
const ISSUES: usize = 800;

/// A small deterministic generator (xorshift), seeded from the clock; the seed is printed so
/// a failing round can be replayed.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// `(summary, updated)` of every issue the site lists, by id.
async fn truth(jira: &FakeJira) -> BTreeMap<String, (String, String)> {
    let http = clockwork_testkit::http_client();
    let mut issues = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let body = json!({ "jql": "project = KAN", "fields": ["summary", "updated"], "maxResults": 100, "nextPageToken": token });
        let page: Value = http
            .post(format!("{}/rest/api/3/search/jql", jira.base_url()))
            .basic_auth(EMAIL, Some(TOKEN))
            .json(&body)
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("JSON");
        for issue in page["issues"].as_array().expect("issues") {
            let fields = &issue["fields"];
            let row = (
                fields["summary"].as_str().unwrap().to_owned(),
                fields["updated"].as_str().unwrap().to_owned(),
            );
            issues.insert(issue["id"].as_str().unwrap().to_owned(), row);
        }
        match page["nextPageToken"].as_str() {
            Some(next) if page["isLast"] != true => token = Some(next.to_owned()),
            _ => return issues,
        }
    }
}

/// Full syncs of more issues than this are partitioned.
#[derive(Debug, Clone, Copy)]
struct PartitionMin(&'static str);

/// Never partitioned: the project is smaller.
const ONE_SEARCH: PartitionMin = PartitionMin("1000");
const PARTITIONED: PartitionMin = PartitionMin("200");

fn sync(jira: &FakeJira, database: &str, partition_min: PartitionMin) -> std::process::Command {
    let mut command = local();
    command
        .env("SYNC_PARTITION_MIN_ISSUES", partition_min.0)
        .env("JIRA_SYNC_CONCURRENCY", "4")
        .env("DATABASE_URL", database)
        .env("JIRA_BASE_URL", jira.base_url())
        .env("ATLASSIAN_EMAIL", EMAIL)
        .env("ATLASSIAN_API_TOKEN", TOKEN)
        // A crashed run's lease lapses within a second, as it would in 20 minutes.
        .env("SYNC_LEASE_SECONDS", "1")
        .args(["sync", "jira", "--project", "KAN"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_anywhere_resumes_to_exactly_the_sites_truth() {
    killed_anywhere(ONE_SEARCH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_sync_killed_anywhere_resumes_to_exactly_the_sites_truth() {
    killed_anywhere(PARTITIONED).await;
}

async fn killed_anywhere(partition_min: PartitionMin) {
    let jira = FakeJira::start(EMAIL, TOKEN).await;
    let seeded = jira.seed_project("KAN", ISSUES, 2, 1);
    let folder = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", folder.path().join("store.db").display());
    let store = Store::connect(&StoreConfig::new(&database).unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    store.track_project("KAN", "10000", "Kanban").await.unwrap();

    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    println!("dice seed {seed}");
    let mut dice = Dice(seed);
    let ids: Vec<u64> = seeded.issue_ids.clone().collect();
    // How long an undisturbed full run takes here: the kill points fall within it.
    let timed = Instant::now();
    let output = sync(&jira, &database, partition_min).arg("--full").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let full_run_ms = u64::try_from(timed.elapsed().as_millis()).unwrap().max(100);
    println!("a full run takes {full_run_ms} ms");
    let mut killed = 0;
    for round in 0..10 {
        // The site moves on between rounds: edits, and an issue deleted now and then.
        for _ in 0..20 {
            let id = ids[dice.roll(ids.len() as u64) as usize].to_string();
            jira.update_issue(&id, |issue| issue.summary = format!("edited in round {round}"));
        }
        if round % 3 == 1 {
            jira.remove_issue(&ids[dice.roll(ids.len() as u64) as usize].to_string());
        }
        // Mostly full runs (every page, then the sweep), so there is a run to kill; an
        // incremental one now and then resumes from the cursor a killed run left.
        let mut command = sync(&jira, &database, partition_min);
        if round % 4 != 3 {
            command.arg("--full");
        }
        let mut child = command.spawn().expect("spawn");
        tokio::time::sleep(Duration::from_millis(20 + dice.roll(full_run_ms))).await;
        match child.try_wait().unwrap() {
            None => {
                child.kill().expect("SIGKILL");
                killed += 1;
                child.wait().unwrap();
            }
            Some(status) => {
                let output = child.wait_with_output().unwrap();
                assert!(
                    status.success(),
                    "round {round}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
        // The next round starts once the dead run's lease has lapsed.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    assert!(killed >= 4, "only {killed} runs were killed: the kill points missed the runs");

    // A full run to the end sweeps too, so deletions on the site are seen.
    let started = Instant::now();
    let output = sync(&jira, &database, partition_min).arg("--full").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    println!("final run {:?}", started.elapsed());

    let truth = truth(&jira).await;
    let mut stored = BTreeMap::new();
    let mut max_updated = 0;
    for id in seeded.issue_ids.clone().map(|id| id.to_string()) {
        let Some(issue) = store.issue(&id).await.unwrap() else { continue };
        max_updated = max_updated.max(issue.value.updated_ms);
        if !issue.is_deleted() {
            let updated = chrono::DateTime::from_timestamp_millis(issue.value.updated_ms).unwrap();
            stored.insert(id, (issue.value.summary.clone(), updated));
        }
    }
    assert_eq!(
        stored.keys().collect::<Vec<_>>(),
        truth.keys().collect::<Vec<_>>(),
        "the same live issues"
    );
    for (id, (summary, updated)) in &truth {
        let (stored_summary, stored_updated) = &stored[id];
        assert_eq!(stored_summary, summary, "issue {id}");
        let updated = chrono::DateTime::parse_from_str(updated, "%Y-%m-%dT%H:%M:%S%.3f%z").unwrap();
        assert_eq!(stored_updated.timestamp_millis(), updated.timestamp_millis(), "issue {id}");
    }
    // Every live issue has its seeded children, once.
    for id in truth.keys() {
        let comments = store.comments_of(id).await.unwrap();
        let worklogs = store.worklogs_of(id).await.unwrap();
        let live = |deleted: &[bool]| deleted.iter().filter(|d| !**d).count();
        let comments: Vec<bool> = comments.iter().map(|c| c.is_deleted()).collect();
        let worklogs: Vec<bool> = worklogs.iter().map(|w| w.is_deleted()).collect();
        assert_eq!(
            (live(&comments), comments.len(), live(&worklogs), worklogs.len()),
            (2, 2, 1, 1),
            "issue {id}"
        );
    }
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.issues - counts.issues_deleted, truth.len() as i64, "{counts:?}");
    let cursor =
        store.sync_state("KAN", SyncEntity::Issues).await.unwrap().and_then(|s| s.cursor_ms);
    assert!(
        cursor.is_some_and(|cursor| cursor <= max_updated),
        "cursor {cursor:?} ahead of {max_updated}"
    );
}
