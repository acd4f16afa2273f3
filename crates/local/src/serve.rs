//! `clockwork-local serve [--port 3000] [--demo]`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::State;
use clap::Args;
use clockwork_api::App;
use clockwork_api::auth::Auth;
use clockwork_api::routes::sync::request_timer_sync;
use clockwork_clients::jira_data::{DataOptions, JiraData, JiraDataClient};
use clockwork_clients::{HttpClient, HttpOptions};
use clockwork_core::config::JiraConfig;
use clockwork_core::config::{AuthConfig, CacheConfig, QueueConfig};
use clockwork_durable::Engine;
use clockwork_graphql::{Deps, GraphqlService, console};
use clockwork_operations::{Operations, Scheduler};
use clockwork_queue::Queue;
use clockwork_queue::sqs::SqsQueue;
use clockwork_store::Store;
use clockwork_worker::wiring::{operations_from_env, with_project_sync};

use crate::wiring::{self, Upstreams, embedded_unless_set, jira_failure};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Start simulated Jira and Clockwork sites with sample data and use them, auth off
    /// (unless --auth).
    #[arg(long)]
    demo: bool,
    /// With --demo: authenticate callers as a deployment does, with API_JWT_SECRET (tokens
    /// from `token issue`), instead of trusting every caller.
    #[arg(long, requires = "demo")]
    auth: bool,
    /// Seconds between scheduled timer syncs.
    #[arg(long, default_value = "60", value_parser = parse_seconds)]
    sync_every: Duration,
    /// Seconds between ticks of the Jira project schedules.
    #[arg(long, default_value = "60", value_parser = parse_seconds)]
    tick_every: Duration,
}

fn parse_seconds(raw: &str) -> Result<Duration, String> {
    match raw.parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err(format!("{raw:?} must be a whole number of seconds, at least 1")),
    }
}

pub async fn run(args: ServeArgs) -> Result<()> {
    let upstreams = match (args.demo, args.auth) {
        (true, false) => Upstreams::demo(AuthConfig::Disabled).await?,
        (true, true) => Upstreams::demo(demo_auth()?).await?,
        (false, _) => Upstreams::from_env(true)?,
    };
    let (cache, cache_config) = wiring::cache().await?;
    let queue_config = embedded_unless_set(QueueConfig::from_env(), QueueConfig::InProcess)?;
    // With SQS, one SDK client both sends and long-polls: the local runner need not be small,
    // and the SDK also finds credentials in a profile, where the routes' sender reads only
    // the environment.
    let sqs = match &queue_config {
        QueueConfig::Sqs { queue_url, region, endpoint_url } => {
            Some(Arc::new(SqsQueue::new(queue_url, region.as_deref(), endpoint_url.as_deref())))
        }
        QueueConfig::InProcess => None,
    };
    let (queue, receiver): (Arc<dyn Queue>, _) = match &sqs {
        Some(sqs) => (sqs.clone(), None),
        None => clockwork_queue::from_config(&queue_config),
    };
    let http = HttpClient::new(HttpOptions::default());
    let app = Arc::new(App::new(
        &upstreams.jira,
        &upstreams.clockwork,
        cache.clone(),
        Some(queue.clone()),
        Auth::new(&upstreams.auth),
        http.clone(),
    ));
    let timer_sync = upstreams.engine(cache.clone(), app.jira.clone(), http);
    if timer_sync.is_none() {
        tracing::warn!(
            "timer sync is off: no timer source is configured (set JIRA_FULL_COOKIE, or \
             JIRA_TENANT_SESSION_TOKEN with JIRA_CLOUD_ID, JIRA_WORKSPACE_ID, FORGE_EXTENSION_ID)"
        );
    } else {
        tokio::spawn(schedule(app.clone(), args.sync_every));
    }
    // The worker in-process runs the timer syncs (with a timer source) and the Jira
    // project syncs, which the schedule tick starts.
    let (store, _) = wiring::store().await?;
    let operations =
        operations_from_env(Some(&upstreams.jira), store.clone(), Some(queue.clone()))?;
    let engine = timer_sync.unwrap_or_else(|| Engine::new(cache));
    let engine =
        with_project_sync(engine, &upstreams.jira, store.clone(), queue.clone(), &operations)
            .await?;
    let engine = Arc::new(engine);
    match (receiver, sqs) {
        (Some(receiver), _) => {
            tokio::spawn(clockwork_worker::local::consume(engine.clone(), receiver, queue));
        }
        (None, Some(sqs)) => {
            let engine = engine.clone();
            tokio::spawn(async move {
                clockwork_worker::poll::run(&engine, &sqs, std::future::pending()).await
            });
        }
        (None, None) => unreachable!("a queue is either in-process or SQS"),
    }
    if let Some(key) = upstreams.demo.as_ref().and_then(|demo| demo.project_keys.first()) {
        track_demo_project(&operations, &upstreams.jira, key).await?;
    }
    if let Some(scheduler) = operations.scheduler.clone() {
        tokio::spawn(tick(scheduler, args.tick_every));
    }

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port))
        .await
        .with_context(|| format!("could not listen on {}:{}", args.host, args.port))?;
    let address = listener.local_addr()?;
    print_banner(address, &upstreams, &cache_config, &queue_config)?;
    print_operations(&store, &operations).await?;

    // GraphQL over the same store and the operations' controls (whose scheduler enqueues
    // triggers at once), with the GraphiQL page on GET; in --demo, auth is off here too.
    let deps = Deps {
        store: store.clone(),
        controls: operations.controls.clone(),
        jira: Arc::new(JiraDataClient::new(&upstreams.jira, DataOptions::default())),
    };
    let graphql = GraphqlService::new(deps, Auth::new(&upstreams.auth)).with_graphiql();
    let hosted = Arc::new(Hosted { app, graphql });
    let router = axum::Router::new().fallback(adapt).with_state(hosted);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    drop(upstreams.demo);
    Ok(())
}

/// `--demo --auth`: the environment's API_JWT_SECRET, which AUTH_DISABLED may not contradict.
fn demo_auth() -> Result<AuthConfig> {
    match AuthConfig::from_env()? {
        AuthConfig::Disabled => {
            anyhow::bail!("--auth asks for authentication; unset AUTH_DISABLED")
        }
        jwt => Ok(jwt),
    }
}

/// The local timer-sync schedule: a sync at start, then one per interval.
async fn schedule(app: Arc<App>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        if let Err(error) = request_timer_sync(&app).await {
            tracing::warn!(%error, "scheduled timer sync not enqueued");
        }
    }
}

/// The Jira project schedules: a tick at start, then one per interval.
async fn tick(scheduler: Scheduler, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        if let Err(error) = scheduler.tick_now().await {
            tracing::warn!(%error, "schedule tick failed");
        }
    }
}

/// The demo's first project is tracked on the default schedule, as `projects track` would,
/// and synced at once, so the store fills with no typing.
async fn track_demo_project(operations: &Operations, jira: &JiraConfig, key: &str) -> Result<()> {
    let client = JiraDataClient::new(jira, DataOptions::default());
    let projects =
        client.projects().await.map_err(|e| jira_failure("listing the demo's projects", &e))?;
    let project =
        projects.iter().find(|p| p.key == key).context("the demo site lists its projects")?;
    if operations.controls.track(key, &project.id, &project.name).await? {
        operations.controls.trigger(key, false, &[]).await?;
    }
    Ok(())
}

/// What the local server serves: the REST routes and, beside them, GraphQL and its admin
/// console (`/admin`).
struct Hosted {
    app: Arc<App>,
    graphql: GraphqlService,
}

/// The local host adapter: an axum request in, the shared handler (or GraphQL at
/// `/api/graphql`, the MCP server over the handlers at `/api/mcp`, or the admin console's
/// files at `/admin`), an axum response out.
async fn adapt(
    State(hosted): State<Arc<Hosted>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let response = match clockwork_api::host::read_body(body).await {
        Ok(bytes) => {
            let request = http::Request::from_parts(parts, bytes);
            let path = request.uri().path();
            if GraphqlService::serves(path) {
                hosted.graphql.handle(request).await
            } else if clockwork_mcp::serves(path) {
                clockwork_mcp::handle(Arc::clone(&hosted.app), request).await
            } else if console::serves(path) {
                console::respond(&request)
            } else {
                clockwork_api::handle(&hosted.app, request).await
            }
        }
        Err(refusal) => refusal,
    };
    response.map(axum::body::Body::from)
}

fn print_banner(
    address: SocketAddr,
    upstreams: &Upstreams,
    cache: &CacheConfig,
    queue: &QueueConfig,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "clockwork-local listening on http://{address}")?;
    let cache = match cache {
        CacheConfig::Redis { .. } => "Redis (REDIS_URL)",
        CacheConfig::Upstash { .. } => "Upstash REST",
        CacheConfig::Memory => "in-memory",
    };
    let queue = match queue {
        QueueConfig::Sqs { .. } => "SQS (SQS_QUEUE_URL)",
        QueueConfig::InProcess => "in-process",
    };
    let sync = if upstreams.timer_source.is_some() {
        "on (worker in-process)"
    } else {
        "off (no timer source)"
    };
    writeln!(out, "  cache: {cache}; queue: {queue}; timer sync: {sync}")?;
    writeln!(out, "  GraphQL: POST http://{address}/api/graphql (GraphiQL: open it in a browser)")?;
    writeln!(out, "  admin console: http://{address}/admin")?;
    writeln!(out, "  OpenAPI document: http://{address}/api/openapi.json")?;
    writeln!(
        out,
        "  Jira: {}; Clockwork: {}",
        upstreams.jira.base_url, upstreams.clockwork.api_base_url
    )?;
    if let Some(demo) = &upstreams.demo {
        writeln!(out)?;
        writeln!(out, "  ******************************************************************")?;
        writeln!(out, "  DEMO MODE: simulated Jira and Clockwork with sample data.")?;
        if matches!(upstreams.auth, AuthConfig::Disabled) {
            writeln!(
                out,
                "  AUTHENTICATION IS DISABLED: every caller is trusted. Never expose this."
            )?;
        } else {
            writeln!(out, "  Authentication is on (API_JWT_SECRET): add to each request")?;
            writeln!(
                out,
                "  -H \"Authorization: Bearer $(clockwork-local token issue --account-id ID --admin)\""
            )?;
        }
        writeln!(out, "  ******************************************************************")?;
        writeln!(out, "  try: curl 'http://{address}/api/timers/active?accountId=all'")?;
        writeln!(
            out,
            "       curl 'http://{address}/api/worklogs?accountId={}&date=<today>'",
            demo.account_id
        )?;
        writeln!(
            out,
            "       curl http://{address}/api/issues/{}-1",
            demo.project_keys.first().map_or("KAN", String::as_str)
        )?;
        writeln!(
            out,
            "       curl -XPOST http://{address}/api/timers/start -d '{{\"issueKey\":\"KAN-1\"}}'"
        )?;
        writeln!(
            out,
            "       curl http://{address}/api/graphql -d '{{\"query\":\"{{ trackedProjects {{ key counts {{ issues }} }} }}\"}}'"
        )?;
    } else if matches!(upstreams.auth, AuthConfig::Disabled) {
        writeln!(out, "  AUTHENTICATION IS DISABLED (AUTH_DISABLED=true)")?;
    }
    out.flush()?;
    Ok(())
}

/// The Jira integrator's line of the banner: what is scheduled, and where alerts go.
async fn print_operations(store: &Store, operations: &Operations) -> Result<()> {
    let jobs = store.sync_jobs().await?;
    let mut out = std::io::stdout().lock();
    let projects: Vec<String> = jobs
        .iter()
        .map(|job| format!("{} ({}, {})", job.project_key, job.cron, job.status))
        .collect();
    let projects =
        if projects.is_empty() { "none tracked".to_owned() } else { projects.join(", ") };
    writeln!(out, "  Jira sync schedules: {projects}; alerts {}", operations.alerts.describe())?;
    out.flush()?;
    Ok(())
}
