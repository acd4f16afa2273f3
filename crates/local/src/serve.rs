//! `clockwork-local serve [--port 3000] [--demo]`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use axum::extract::State;
use clap::Args;
use clockwork_api::App;
use clockwork_api::auth::Auth;
use clockwork_clients::HttpOptions;
use clockwork_core::config::{
    AuthConfig, CacheConfig, ClockworkConfig, ConfigError, JiraConfig, QueueConfig, merge_missing,
};
use clockwork_queue::in_process::Receiver;
use clockwork_testkit::demo::{self, DEMO_CLOCKWORK_TOKEN, DEMO_JIRA_EMAIL, DEMO_JIRA_TOKEN};
use secrecy::SecretString;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Start simulated Jira and Clockwork sites with sample data and use them, auth off.
    #[arg(long)]
    demo: bool,
}

/// The upstream settings: real ones from the environment, or the demo's.
struct Upstreams {
    jira: JiraConfig,
    clockwork: ClockworkConfig,
    auth: AuthConfig,
    /// Keeps the simulated sites running for as long as the server does.
    demo: Option<demo::Demo>,
}

pub async fn run(args: ServeArgs) -> Result<()> {
    let upstreams = if args.demo { demo_upstreams().await? } else { env_upstreams()? };
    let cache_config = embedded_unless_set(CacheConfig::from_env(), CacheConfig::Memory)?;
    let queue_config = embedded_unless_set(QueueConfig::from_env(), QueueConfig::InProcess)?;
    let cache = clockwork_cache::from_config(&cache_config).await?;
    let (queue, receiver) = clockwork_queue::from_config(&queue_config).await;
    let app = Arc::new(App::new(
        &upstreams.jira,
        &upstreams.clockwork,
        cache,
        queue,
        Auth::new(&upstreams.auth),
        HttpOptions::default(),
    ));
    if let Some(receiver) = receiver {
        tokio::spawn(log_events(receiver));
    }

    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.host, args.port))
        .await
        .with_context(|| format!("could not listen on {}:{}", args.host, args.port))?;
    let address = listener.local_addr()?;
    print_banner(address, &upstreams, &cache_config, &queue_config)?;

    let router = axum::Router::new().fallback(adapt).with_state(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    drop(upstreams.demo);
    Ok(())
}

/// The local host adapter: an axum request in, the shared handler, an axum response out.
async fn adapt(
    State(app): State<Arc<App>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let response = match clockwork_api::host::read_body(body).await {
        Ok(bytes) => clockwork_api::handle(&app, http::Request::from_parts(parts, bytes)).await,
        Err(refusal) => refusal,
    };
    response.map(axum::body::Body::from)
}

fn env_upstreams() -> Result<Upstreams> {
    let jira = JiraConfig::from_env();
    let clockwork = ClockworkConfig::from_env();
    let auth = AuthConfig::from_env();
    match (jira, clockwork, auth) {
        (Ok(jira), Ok(clockwork), Ok(auth)) => Ok(Upstreams { jira, clockwork, auth, demo: None }),
        (jira, clockwork, auth) => {
            let errors = [jira.err(), clockwork.err(), auth.err()].into_iter().flatten();
            let error = merge_missing(errors).unwrap_or(ConfigError::Missing(Vec::new()));
            bail!(
                "{error}\n(or run `clockwork-local serve --demo` to try it with simulated Jira and Clockwork)"
            )
        }
    }
}

async fn demo_upstreams() -> Result<Upstreams> {
    let demo = demo::start_demo(None, None).await.context("starting the simulated sites")?;
    let jira = JiraConfig {
        base_url: demo.jira.base_url().parse()?,
        email: DEMO_JIRA_EMAIL.to_owned(),
        api_token: SecretString::from(DEMO_JIRA_TOKEN),
    };
    let clockwork = ClockworkConfig {
        api_base_url: demo.clockwork.base_url().parse()?,
        api_token: Some(SecretString::from(DEMO_CLOCKWORK_TOKEN)),
    };
    Ok(Upstreams { jira, clockwork, auth: AuthConfig::Disabled, demo: Some(demo) })
}

/// A shared part when the environment names one, the embedded one when it names none;
/// a half-configured shared part is an error, never silently replaced.
fn embedded_unless_set<T>(configured: Result<T, ConfigError>, embedded: T) -> Result<T> {
    match configured {
        Ok(config) => Ok(config),
        Err(ConfigError::Missing(names))
            if names.iter().all(|n| n.starts_with("REDIS_URL") || *n == "SQS_QUEUE_URL") =>
        {
            Ok(embedded)
        }
        Err(error) => Err(error.into()),
    }
}

/// Until the worker consumes in-process events, each one is logged so it is visible.
async fn log_events(mut receiver: Receiver) {
    while let Some(event) = receiver.recv().await {
        tracing::info!(name = %event.name, id = %event.id, "event enqueued in-process");
    }
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
    writeln!(out, "  cache: {cache}; queue: {queue}")?;
    writeln!(
        out,
        "  Jira: {}; Clockwork: {}",
        upstreams.jira.base_url, upstreams.clockwork.api_base_url
    )?;
    if let Some(demo) = &upstreams.demo {
        writeln!(out)?;
        writeln!(out, "  ******************************************************************")?;
        writeln!(out, "  DEMO MODE: simulated Jira and Clockwork with sample data.")?;
        writeln!(out, "  AUTHENTICATION IS DISABLED: every caller is trusted. Never expose this.")?;
        writeln!(out, "  ******************************************************************")?;
        writeln!(
            out,
            "  try: curl 'http://{address}/api/worklogs?accountId={}&date=<today>'",
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
    } else if matches!(upstreams.auth, AuthConfig::Disabled) {
        writeln!(out, "  AUTHENTICATION IS DISABLED (AUTH_DISABLED=true)")?;
    }
    out.flush()?;
    Ok(())
}
