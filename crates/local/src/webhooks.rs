//! `clockwork-local webhooks register|list|delete|refresh`: the Jira webhooks that deliver
//! to `POST /api/webhooks/jira`, for the tracked projects.
//!
//! By default an admin webhook (a site admin's `ATLASSIAN_EMAIL`/`ATLASSIAN_API_TOKEN`), which
//! can sign its deliveries with `--secret`; with `--dynamic`, the app's dynamic webhooks
//! (`JIRA_OAUTH_ACCESS_TOKEN`), which cannot sign and expire 30 days after their creation or
//! last refresh: `webhooks refresh` (and every `register --dynamic`) extends those within
//! [`REFRESH_WITHIN_MS`] of expiring. Unsigned webhooks prove their origin by the receiver's
//! `JIRA_WEBHOOK_SECRET` as the URL's `secret` parameter; no secret is ever printed.

use std::io::Write;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use clockwork_clients::webhooks::{AdminWebhookSpec, projects_jql};
use clockwork_clients::{
    AdminWebhooks, ClientError, DynamicWebhooks, HttpClient, HttpOptions, WebhookUrl,
};
use clockwork_core::config::{JiraAppConfig, JiraConfig, process_env};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::{table, wiring};

/// The name admin webhooks are registered under.
const NAME: &str = "Clockwork time tracking";
const ISSUE_AND_COMMENT_EVENTS: [&str; 6] = [
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
];
const WORKLOG_EVENTS: [&str; 3] = ["worklog_created", "worklog_updated", "worklog_deleted"];
/// A dynamic webhook is refreshed once it is older than 25 of its 30 days.
pub const REFRESH_WITHIN_MS: i64 = 5 * 24 * 60 * 60 * 1000;

#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Register (or update) the webhook for the tracked projects' issues, comments, worklogs.
    Register(RegisterArgs),
    /// The registered webhooks, secrets masked.
    List(KindArgs),
    /// Delete a webhook by the id `webhooks list` shows.
    Delete(DeleteArgs),
    /// Extend the dynamic webhooks that expire within 5 days (run it daily).
    Refresh,
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Where Jira delivers: https (http only to a loopback address), e.g.
    /// https://clockwork.example.com/api/webhooks/jira.
    #[arg(long)]
    url: String,
    /// Sign deliveries with this secret (admin webhooks only); it must equal the receiver's
    /// JIRA_WEBHOOK_SECRET. Without it the URL carries JIRA_WEBHOOK_SECRET as `secret=`.
    #[arg(long, value_parser = secret)]
    secret: Option<SecretString>,
    /// Use the dynamic webhook API of an OAuth 2.0 app (JIRA_OAUTH_ACCESS_TOKEN).
    #[arg(long)]
    dynamic: bool,
}

#[derive(Debug, Args)]
pub struct KindArgs {
    /// The OAuth 2.0 app's dynamic webhooks instead of the admin ones.
    #[arg(long)]
    dynamic: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The webhook's id.
    id: String,
    /// A dynamic webhook of the OAuth 2.0 app.
    #[arg(long)]
    dynamic: bool,
}

fn secret(raw: &str) -> Result<SecretString, String> {
    if raw.trim().is_empty() {
        return Err("the secret must not be empty".to_owned());
    }
    Ok(SecretString::from(raw.to_owned()))
}

pub async fn run(command: WebhooksCommand) -> Result<()> {
    match command {
        WebhooksCommand::Register(args) if args.dynamic => register_dynamic(args).await,
        WebhooksCommand::Register(args) => register_admin(args).await,
        WebhooksCommand::List(args) => list(args.dynamic).await,
        WebhooksCommand::Delete(args) => delete(args).await,
        WebhooksCommand::Refresh => {
            let client = dynamic_client()?;
            let mut out = std::io::stdout().lock();
            refresh_due(&client, &mut out).await
        }
    }
}

fn http() -> HttpClient {
    HttpClient::new(HttpOptions::default())
}

fn admin_client() -> Result<AdminWebhooks> {
    Ok(AdminWebhooks::new(&JiraConfig::from_env()?, http()))
}

fn dynamic_client() -> Result<DynamicWebhooks> {
    Ok(DynamicWebhooks::new(&JiraAppConfig::from_env()?, http()))
}

/// A failed call as the person at the terminal should read it.
fn failure(what: &str, dynamic: bool, error: &ClientError) -> anyhow::Error {
    let advice = match (error, dynamic) {
        (ClientError::Unauthorized { status: 403 }, false) => {
            "only a Jira site admin's API token may manage admin webhooks: set ATLASSIAN_EMAIL \
             and ATLASSIAN_API_TOKEN to an admin's, or use --dynamic for an OAuth 2.0 app"
        }
        (ClientError::Unauthorized { status: 403 }, true) => {
            "only OAuth 2.0 and Connect apps may manage dynamic webhooks: JIRA_OAUTH_ACCESS_TOKEN \
             must be an app's access token with the manage:jira-webhook scope"
        }
        (ClientError::Unauthorized { .. }, _) => "check the Jira credentials",
        (error, _) if error.is_retryable() => "try again in a minute",
        _ => "see the message above",
    };
    anyhow!("{what} failed: {error}\nwhat to do: {advice}")
}

/// The URL Jira is to deliver to: https, or http to a loopback address.
fn delivery_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|e| anyhow!("--url is not a URL ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        scheme => bail!(
            "refusing --url {}: Jira must deliver over https ({scheme} is allowed only to a \
             loopback address, for testing)",
            WebhookUrl::new(url.as_str()).masked()
        ),
    }
}

/// The URL with the receiver's token as `secret=`, unless it carries one already; `Err`
/// when there is none to add.
fn with_url_token(mut url: Url) -> Result<WebhookUrl> {
    if url.query_pairs().any(|(name, _)| name == "secret") {
        return Ok(WebhookUrl::new(url.as_str()));
    }
    let Some(token) = process_env("JIRA_WEBHOOK_SECRET") else {
        bail!(
            "without --secret the webhook URL must carry the receiver's secret token: set \
             JIRA_WEBHOOK_SECRET (the value the API runs with) or add ?secret=… to --url"
        );
    };
    url.query_pairs_mut().append_pair("secret", &token);
    Ok(WebhookUrl::new(url.as_str()))
}

/// The tracked projects' JQL; `Err` when none is tracked.
async fn tracked_jql() -> Result<String> {
    let (store, _) = wiring::store().await?;
    let keys: Vec<String> = store.tracked_projects().await?.into_iter().map(|p| p.key).collect();
    if keys.is_empty() {
        bail!(
            "no project is tracked, so there is nothing to deliver: track one first with \
             `clockwork-local projects track KEY`"
        );
    }
    Ok(projects_jql(&keys))
}

async fn register_admin(args: RegisterArgs) -> Result<()> {
    let url = delivery_url(&args.url)?;
    let receiver_secret = process_env("JIRA_WEBHOOK_SECRET");
    let (url, how) = match &args.secret {
        Some(secret) => {
            if receiver_secret.is_some_and(|s| s != secret.expose_secret()) {
                bail!(
                    "--secret differs from JIRA_WEBHOOK_SECRET: the receiver would refuse every \
                     delivery; pass the receiver's secret"
                );
            }
            (
                WebhookUrl::new(url.as_str()),
                "Deliveries are signed (X-Hub-Signature) with the \
              secret; the API must run with the same JIRA_WEBHOOK_SECRET.",
            )
        }
        None => (
            with_url_token(url)?,
            "No --secret: Jira will not sign the deliveries, so the \
              URL carries JIRA_WEBHOOK_SECRET as its secret parameter, which the receiver accepts \
              instead; treat the URL as a secret.",
        ),
    };
    let jql = tracked_jql().await?;
    let client = admin_client()?;
    let events = ISSUE_AND_COMMENT_EVENTS.iter().chain(&WORKLOG_EVENTS);
    let spec = AdminWebhookSpec {
        name: NAME.to_owned(),
        url: url.clone(),
        events: events.map(|e| (*e).to_owned()).collect(),
        jql,
        secret: args.secret,
    };
    let existing = client.list().await.map_err(|e| failure("listing the webhooks", false, &e))?;
    let mut ours = existing.into_iter().filter(|w| w.url.endpoint() == url.endpoint());
    let (verb, webhook) = match ours.next() {
        Some(current) => {
            let updated = client.update(&current.id, &spec).await;
            ("Updated", updated.map_err(|e| failure("updating the webhook", false, &e))?)
        }
        None => {
            let created = client.create(&spec).await;
            ("Registered", created.map_err(|e| failure("registering the webhook", false, &e))?)
        }
    };
    // Earlier registrations of the same receiver would deliver everything twice.
    for duplicate in ours {
        client
            .delete(&duplicate.id)
            .await
            .map_err(|e| failure("deleting a duplicate", false, &e))?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{verb} admin webhook {} for {}.", webhook.id, webhook.url)?;
    writeln!(
        out,
        "Events: issue, comment and worklog created/updated/deleted in {}.",
        webhook.jql
    )?;
    writeln!(out, "{how}")?;
    writeln!(out, "Re-run this command after `projects track` or `untrack` to update the JQL.")?;
    Ok(())
}

async fn register_dynamic(args: RegisterArgs) -> Result<()> {
    if args.secret.is_some() {
        bail!(
            "dynamic webhooks cannot sign their deliveries: drop --secret, and the URL carries \
             JIRA_WEBHOOK_SECRET as its secret parameter instead"
        );
    }
    let url = with_url_token(delivery_url(&args.url)?)?;
    let jql = tracked_jql().await?;
    let client = dynamic_client()?;
    let events: Vec<String> = ISSUE_AND_COMMENT_EVENTS.iter().map(|e| (*e).to_owned()).collect();
    let existing = client.list().await.map_err(|e| failure("listing the webhooks", true, &e))?;
    let mut out = std::io::stdout().lock();
    let same = |w: &&clockwork_clients::webhooks::DynamicWebhook| {
        w.url == url && w.jql == jql && w.events == events
    };
    if let Some(current) = existing.iter().find(same) {
        writeln!(out, "Dynamic webhook {} for {} is registered already.", current.id, url)?;
    } else {
        // Jira takes one URL per app: the earlier registrations of this receiver go first.
        let stale: Vec<u64> =
            existing.iter().filter(|w| w.url.endpoint() == url.endpoint()).map(|w| w.id).collect();
        if !stale.is_empty() {
            client.delete(&stale).await.map_err(|e| failure("replacing the webhook", true, &e))?;
        }
        let answers = client
            .register(&url, &[(events, jql.clone())])
            .await
            .map_err(|e| failure("registering the webhook", true, &e))?;
        match answers.into_iter().next() {
            Some(Ok(id)) => writeln!(out, "Registered dynamic webhook {id} for {url}.")?,
            Some(Err(errors)) => bail!("Jira refused the webhook: {}", errors.join("; ")),
            None => bail!("Jira answered the registration without a result"),
        }
    }
    writeln!(out, "Events: issue and comment created/updated/deleted in {jql}.")?;
    writeln!(
        out,
        "Dynamic webhooks have no worklog events (the scheduled sync brings worklogs) and cannot \
         sign: the URL carries JIRA_WEBHOOK_SECRET as its secret parameter."
    )?;
    refresh_due(&client, &mut out).await?;
    writeln!(
        out,
        "They expire 30 days after a refresh: run `clockwork-local webhooks refresh` daily."
    )?;
    Ok(())
}

/// Whether a dynamic webhook expiring at `expires_ms` is due for a refresh at `now_ms`.
fn due(expires_ms: Option<i64>, now_ms: i64) -> bool {
    expires_ms.is_none_or(|at| at - now_ms <= REFRESH_WITHIN_MS)
}

/// Refreshes the dynamic webhooks due, saying what it did.
async fn refresh_due(client: &DynamicWebhooks, out: &mut impl Write) -> Result<()> {
    let webhooks = client.list().await.map_err(|e| failure("listing the webhooks", true, &e))?;
    let now = Utc::now().timestamp_millis();
    let ids: Vec<u64> = webhooks.iter().filter(|w| due(w.expires_ms, now)).map(|w| w.id).collect();
    if ids.is_empty() {
        let next = webhooks.iter().filter_map(|w| w.expires_ms).min();
        writeln!(out, "No dynamic webhook expires within 5 days (first expiry: {}).", when(next))?;
        return Ok(());
    }
    let until = client.refresh(&ids).await.map_err(|e| failure("refreshing", true, &e))?;
    writeln!(out, "Refreshed {} dynamic webhook(s) until {}.", ids.len(), when(Some(until)))?;
    Ok(())
}

fn when(ms: Option<i64>) -> String {
    ms.and_then(DateTime::from_timestamp_millis)
        .map_or_else(|| "-".to_owned(), |at| at.format("%Y-%m-%d %H:%M UTC").to_string())
}

async fn list(dynamic: bool) -> Result<()> {
    let rows: Vec<[String; 6]> = if dynamic {
        let listed = dynamic_client()?.list().await;
        let webhooks = listed.map_err(|e| failure("listing the webhooks", true, &e))?;
        let now = Utc::now().timestamp_millis();
        webhooks
            .into_iter()
            .map(|w| {
                let expiry = match w.expires_ms {
                    Some(at) if at <= now => format!("{} (expired)", when(Some(at))),
                    at => when(at),
                };
                [
                    w.id.to_string(),
                    "-".to_owned(),
                    w.url.masked(),
                    w.events.join(","),
                    w.jql,
                    expiry,
                ]
            })
            .collect()
    } else {
        let listed = admin_client()?.list().await;
        let webhooks = listed.map_err(|e| failure("listing the webhooks", false, &e))?;
        webhooks
            .into_iter()
            .map(|w| [w.id, w.name, w.url.masked(), w.events.join(","), w.jql, "-".to_owned()])
            .collect()
    };
    let mut out = std::io::stdout().lock();
    table::write(&mut out, ["ID", "NAME", "URL", "EVENTS", "JQL", "EXPIRES"], &rows)?;
    Ok(())
}

async fn delete(args: DeleteArgs) -> Result<()> {
    let id = args.id.trim();
    let missing =
        || anyhow!("Jira has no webhook {id}; `clockwork-local webhooks list` shows them");
    if args.dynamic {
        let id_number: u64 = id.parse().map_err(|_| missing())?;
        let client = dynamic_client()?;
        let listed = client.list().await.map_err(|e| failure("listing the webhooks", true, &e))?;
        if listed.iter().all(|w| w.id != id_number) {
            return Err(missing());
        }
        client.delete(&[id_number]).await.map_err(|e| failure("deleting", true, &e))?;
    } else {
        match admin_client()?.delete(id).await {
            Ok(()) => {}
            Err(ClientError::NotFound) => return Err(missing()),
            Err(error) => return Err(failure("deleting the webhook", false, &error)),
        }
    }
    writeln!(std::io::stdout(), "Deleted webhook {id}.")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_webhook_is_due_once_older_than_25_of_its_30_days() {
        let day = 24 * 60 * 60 * 1000;
        assert!(!due(Some(30 * day), 0));
        assert!(!due(Some(6 * day), 0));
        assert!(due(Some(5 * day), 0));
        assert!(due(Some(-day), 0), "an expired one is refreshed too");
        assert!(due(None, 0), "one without an expiry is refreshed to learn it");
    }

    #[test]
    fn only_https_or_loopback_http_urls_are_accepted() {
        assert!(delivery_url("https://clockwork.example.com/api/webhooks/jira").is_ok());
        assert!(delivery_url("http://127.0.0.1:8080/api/webhooks/jira").is_ok());
        assert!(delivery_url("http://localhost/api/webhooks/jira").is_ok());
        let refused = delivery_url("http://clockwork.example.com/x?secret=s3cr3t").unwrap_err();
        assert!(!refused.to_string().contains("s3cr3t"), "{refused}");
        assert!(delivery_url("ftp://127.0.0.1/").is_err());
    }
}
