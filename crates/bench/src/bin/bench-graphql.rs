//! `issues(first: 100)` with comments and worklogs over a 10k-issue store, served over HTTP
//! on loopback by an axum server around [`GraphqlService::handle`] (as `clockwork-local
//! serve` hosts it), under load from a few keep-alive clients cycling through the store's
//! pages. Prints requests/s, p50/p99 and the SQL statements per request; targets: at least
//! 1,000 requests/s, p99 at most 20 ms, at most 4 statements.
//!
//! `cargo run --profile server -p clockwork-bench --bin bench-graphql [-- --postgres]` (the
//! speed-optimized profile of the long-running servers that host GraphQL)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use clockwork_api::auth::Auth;
use clockwork_bench::http1;
use clockwork_bench::stats::{Summary, ms};
use clockwork_clients::jira_data::{DataOptions, JiraDataClient};
use clockwork_core::config::{AuthConfig, JiraConfig};
use clockwork_graphql::{Deps, GraphqlService};
use clockwork_operations::{Controls, Schedule};
use clockwork_store::{
    Backend, Comment, Issue, IssueBatch, IssueRecord, JiraUser, Sprint, Store, StoreConfig, Worklog,
};
use clockwork_testkit::databases::{Kind, with_database};
use secrecy::SecretString;
use sqlx::{Connection, Executor, PgConnection};
use tokio::io::AsyncWriteExt;

/// `clockwork-local`'s allocator, so that the service measured here allocates as it does
/// under `serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ISSUES: u32 = 10_000;
const CHILDREN: u32 = 2;
const PEOPLE: u32 = 8;
const QUERY: &str = "query($after: String) { issues(projectId: \"KAN\", first: 100, after: $after) \
     { edges { node { key summary status updated assignee { displayName } \
     comments { body created author { displayName } } \
     worklogs { timeSpent started author { displayName } } } } \
     pageInfo { hasNextPage endCursor } } }";

#[derive(Debug, Parser)]
struct Args {
    /// The store on the local Postgres (a schema of its own) instead of a SQLite file.
    #[arg(long)]
    postgres: bool,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Seconds of measured load (after one of warm-up).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    clockwork_core::tls::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let kind = if args.postgres { Kind::Postgres } else { Kind::Sqlite };
    runtime.block_on(async move {
        let (sender, outcome) = tokio::sync::oneshot::channel();
        with_database(kind, move |database| async move {
            let _ = sender.send(bench(&database.url, &args).await);
        })
        .await;
        outcome.await.context("the bench ended early")?
    })
}

async fn bench(url: &str, args: &Args) -> Result<()> {
    let store = Store::connect(&StoreConfig::new(url)?).await?;
    store.migrate().await?;
    let seeding = Instant::now();
    seed(&store).await?;
    if store.backend() == Backend::Postgres {
        // The statistics autovacuum gathers within a minute of a load like the seeding (a
        // sync's): planned without, a page of a fresh table reads every later issue.
        let mut conn = PgConnection::connect(url).await?;
        conn.execute("ANALYZE issues, comments, worklogs, jira_users, issue_sprints, sprints")
            .await?;
    }
    println!(
        "seeded {ISSUES} issues ({CHILDREN} comments, {CHILDREN} worklogs each) in {:.1} s on {:?}",
        seeding.elapsed().as_secs_f64(),
        store.backend()
    );

    let unused = JiraConfig {
        base_url: "http://127.0.0.1:9".parse()?,
        email: "bench@acme.example".into(),
        api_token: SecretString::from("unused"),
    };
    let deps = Deps {
        store: store.clone(),
        controls: Controls::new(store.clone(), Schedule::parse("*/15 * * * *")?),
        jira: Arc::new(JiraDataClient::new(&unused, DataOptions::default())),
    };
    let service = Arc::new(GraphqlService::new(deps, Auth::new(&AuthConfig::Disabled)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let router = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let service = service.clone();
        async move {
            let (parts, body) = request.into_parts();
            let response = match clockwork_api::host::read_body(body).await {
                Ok(bytes) => service.handle(http::Request::from_parts(parts, bytes)).await,
                Err(refusal) => refusal,
            };
            response.map(axum::body::Body::from)
        }
    });
    tokio::spawn(async move { axum::serve(listener, router).await });

    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        page_cursors(&address.to_string())
            .await?
            .iter()
            .map(|after| {
                let body = serde_json::json!({ "query": QUERY, "variables": { "after": after } });
                http1::post_json_request(&address.to_string(), "/api/graphql", &body.to_string())
            })
            .collect(),
    );
    println!("{} pages of 100 issues; {} clients on {address}", requests.len(), args.clients);

    load(address, &requests, 1, Duration::from_secs(1)).await?;
    let before = store.statements_sent();
    let started = Instant::now();
    let samples = load(address, &requests, args.clients, Duration::from_secs(args.seconds)).await?;
    let elapsed = started.elapsed();
    let statements = store.statements_sent() - before;
    let summary = Summary::of(samples).context("no request finished")?;
    let per_second = summary.count as f64 / elapsed.as_secs_f64();
    let per_request = statements as f64 / summary.count as f64;
    println!(
        "issues(first: 100) with comments and worklogs: {per_second:.0} requests/s, p50 {} ms, \
         p99 {} ms, max {} ms, {per_request:.2} SQL statements per request ({} requests)",
        ms(summary.p50),
        ms(summary.p99),
        ms(summary.max),
        summary.count
    );
    println!(
        "targets: >= 1000 requests/s {}, p99 <= 20 ms {}, <= 4 statements {}",
        verdict(per_second >= 1000.0),
        verdict(summary.p99 <= Duration::from_millis(20)),
        verdict(per_request <= 4.0)
    );
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// Every page's `after` (`null` first), by paging through the store once.
async fn page_cursors(host: &str) -> Result<Vec<serde_json::Value>> {
    let client = reqwest::Client::new();
    let mut cursors = vec![serde_json::Value::Null];
    loop {
        let after = cursors.last().cloned().unwrap_or_default();
        let body = serde_json::json!({ "query": QUERY, "variables": { "after": after } });
        let answer: serde_json::Value = client
            .post(format!("http://{host}/api/graphql"))
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        ensure!(answer.get("errors").is_none(), "{answer}");
        let info = &answer["data"]["issues"]["pageInfo"];
        if info["hasNextPage"] != true {
            return Ok(cursors);
        }
        cursors.push(info["endCursor"].clone());
    }
}

/// `clients` keep-alive connections for `duration`, each sending the pages in turn from its
/// own offset; every request's latency.
async fn load(
    address: std::net::SocketAddr,
    requests: &Arc<Vec<Vec<u8>>>,
    clients: usize,
    duration: Duration,
) -> Result<Vec<Duration>> {
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let (requests, stop) = (requests.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(address).await?;
            stream.set_nodelay(true)?;
            let mut buf = Vec::with_capacity(256 * 1024);
            let mut samples = Vec::new();
            let mut page = client * requests.len() / clients.max(1);
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                stream.write_all(&requests[page % requests.len()]).await?;
                let parsed = http1::read_response(&mut stream, &mut buf).await?;
                ensure!(parsed.status == 200, "status {}", parsed.status);
                samples.push(sent.elapsed());
                page += 1;
            }
            Ok::<_, anyhow::Error>(samples)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await??);
    }
    Ok(samples)
}

/// 10k issues of KAN in batches of 100, through the store's own API.
async fn seed(store: &Store) -> Result<()> {
    store.track_project("KAN", "10000", "Kanban").await?;
    let account = |n: u32| format!("712020:bench-{}", n % PEOPLE);
    let users: Vec<JiraUser> = (0..PEOPLE)
        .map(|n| JiraUser {
            account_id: account(n),
            display_name: format!("Person {n}"),
            email: Some(format!("person{n}@acme.example")),
            avatar_url: None,
            active: true,
        })
        .collect();
    let sprint = Sprint {
        id: 1,
        board_id: Some(1),
        name: "Sprint 1".into(),
        state: "active".into(),
        goal: None,
        start_ms: None,
        end_ms: None,
        complete_ms: None,
    };
    let t0 = 1_700_000_000_000_i64;
    for start in (0..ISSUES).step_by(100) {
        let records = (start..start + 100).map(|n| {
            let id = format!("{}", 100_000 + n);
            let at = t0 + i64::from(n) * 60_000;
            let comments = (0..CHILDREN)
                .map(|c| Comment {
                    id: format!("{id}-c{c}"),
                    issue_id: id.clone(),
                    author_account_id: Some(account(n + c)),
                    body: "Looked into it; the cause is in the cache layer.".into(),
                    created_ms: at,
                    updated_ms: at,
                })
                .collect();
            let worklogs = (0..CHILDREN)
                .map(|w| Worklog {
                    id: format!("{id}-w{w}"),
                    issue_id: id.clone(),
                    author_account_id: Some(account(n + w)),
                    started_ms: at,
                    time_spent_seconds: 1800,
                    comment: Some("Code review".into()),
                    created_ms: at,
                    updated_ms: at,
                })
                .collect();
            let issue = Issue {
                id: id.clone(),
                key: format!("KAN-{n}"),
                project_key: "KAN".into(),
                summary: "Speed up sync".into(),
                status: "In Progress".into(),
                status_category: Some("indeterminate".into()),
                priority: Some("High".into()),
                issue_type: Some("Task".into()),
                assignee_account_id: Some(account(n)),
                reporter_account_id: Some(account(n + 1)),
                created_ms: at,
                updated_ms: at,
                resolved_ms: None,
                story_points: Some(3.0),
                sprint_ids: vec![1],
            };
            IssueRecord {
                issue,
                comments,
                comments_complete: true,
                worklogs,
                worklogs_complete: true,
            }
        });
        let batch = IssueBatch {
            project_key: "KAN".into(),
            issues: records.collect(),
            sprints: vec![sprint.clone()],
            users: users.clone(),
            cursor_ms: None,
            deleted_issue_ids: Vec::new(),
        };
        store.apply_batch(&batch).await?;
    }
    Ok(())
}
