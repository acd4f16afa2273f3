//! What the runner's end-to-end tests share.

use std::process::Command;

/// The real binary with none of the developer's settings: each test sets what it needs.
pub fn local() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clockwork-local"));
    for name in [
        "JIRA_DOMAIN",
        "JIRA_BASE_URL",
        "ATLASSIAN_EMAIL",
        "ATLASSIAN_API_TOKEN",
        "API_JWT_SECRET",
        "AUTH_DISABLED",
        "CRON_SECRET",
        "REDIS_URL",
        "UPSTASH_REDIS_REST_URL",
        "UPSTASH_REDIS_REST_TOKEN",
        "SQS_QUEUE_URL",
        "CLOCKWORK_API_TOKEN",
        "DATABASE_URL",
        "PORT",
        "SYNC_DEFAULT_CRON",
        "SYNC_BACKOFF_LADDER",
        "ALERT_ROUTES",
        "SMTP_URL",
        "ALERT_EMAIL_FROM",
        "ALERT_EMAIL_TO",
        "SLACK_WEBHOOK_URL",
        "ALERT_WEBHOOK_URL",
        "JIRA_WEBHOOK_SECRET",
        "JIRA_OAUTH_ACCESS_TOKEN",
    ] {
        command.env_remove(name);
    }
    command
}
