//! Which channels the environment configures (read through a lookup, never the process env).

use std::collections::HashMap;

use clockwork_core::config::ConfigError;
use clockwork_notify::NotifyConfig;
use secrecy::ExposeSecret;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> =
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

fn http() -> reqwest::Client {
    clockwork_notify::http_client().unwrap()
}

const EMAIL: [(&str, &str); 5] = [
    ("SMTP_URL", "smtps://alerts:pa55word@smtp.example.com"),
    ("ALERT_EMAIL_FROM", "Clockwork <alerts@example.com>"),
    ("ALERT_EMAIL_TO", "ops@example.com, lead@example.com ,"),
    ("ALERT_EMAIL_CC", "audit@example.com"),
    ("ALERT_EMAIL_BCC", "archive@example.com,backup@example.com"),
];

#[test]
fn half_configured_email_names_the_missing_variables() {
    let error =
        NotifyConfig::from_lookup(&env(&[("SMTP_URL", "smtp://mail.example.com")])).unwrap_err();
    assert_eq!(error, ConfigError::Missing(vec!["ALERT_EMAIL_FROM", "ALERT_EMAIL_TO"]));
    assert_eq!(error.to_string(), "missing configuration: set ALERT_EMAIL_FROM, ALERT_EMAIL_TO");

    let error =
        NotifyConfig::from_lookup(&env(&[("ALERT_EMAIL_TO", "ops@example.com")])).unwrap_err();
    assert_eq!(error, ConfigError::Missing(vec!["SMTP_URL", "ALERT_EMAIL_FROM"]));

    let error =
        NotifyConfig::from_lookup(&env(&[("ALERT_EMAIL_CC", "audit@example.com")])).unwrap_err();
    assert_eq!(error, ConfigError::Missing(vec!["SMTP_URL", "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO"]));
}

#[test]
fn nothing_configured_gives_an_empty_notifier() {
    let config = NotifyConfig::from_lookup(&env(&[])).unwrap();
    assert!(config.is_empty());
    let notifier = config.into_notifier(http()).unwrap();
    assert!(notifier.is_empty());
    assert!(notifier.channel_names().is_empty());
}

#[test]
fn each_configured_channel_is_named_email_slack_or_webhook() {
    let mut pairs = EMAIL.to_vec();
    pairs.push(("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T1/B2/abc"));
    pairs.push(("ALERT_WEBHOOK_URL", "https://gateway.example.com/alerts"));
    let config = NotifyConfig::from_lookup(&env(&pairs)).unwrap();

    let email = config.email.as_ref().unwrap();
    assert_eq!(email.from, "Clockwork <alerts@example.com>");
    assert_eq!(email.to, ["ops@example.com", "lead@example.com"]);
    assert_eq!(email.cc, ["audit@example.com"]);
    assert_eq!(email.bcc, ["archive@example.com", "backup@example.com"]);
    assert_eq!(email.smtp_url.expose_secret(), "smtps://alerts:pa55word@smtp.example.com");

    let notifier = config.into_notifier(http()).unwrap();
    assert_eq!(notifier.channel_names(), ["email", "slack", "webhook"]);

    let slack_only = env(&[("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T1/B2/abc")]);
    let notifier = NotifyConfig::from_lookup(&slack_only).unwrap().into_notifier(http()).unwrap();
    assert_eq!(notifier.channel_names(), ["slack"]);
}

#[test]
fn urls_of_the_wrong_kind_are_refused_without_quoting_them() {
    let error = NotifyConfig::from_lookup(&env(&[(
        "SLACK_WEBHOOK_URL",
        "hooks.slack.com/services/T1/B2/topSecretPath",
    )]))
    .unwrap_err();
    assert!(matches!(error, ConfigError::Invalid { name: "SLACK_WEBHOOK_URL", .. }), "{error}");
    assert!(!error.to_string().contains("topSecretPath"), "{error}");

    let mut pairs = EMAIL.to_vec();
    pairs[0] = ("SMTP_URL", "https://alerts:pa55word@smtp.example.com");
    let error = NotifyConfig::from_lookup(&env(&pairs)).unwrap_err();
    assert!(matches!(error, ConfigError::Invalid { name: "SMTP_URL", .. }), "{error}");
    assert!(!error.to_string().contains("pa55word"), "{error}");
}

#[test]
fn an_invalid_address_fails_the_notifier_naming_it() {
    let mut pairs = EMAIL.to_vec();
    pairs[2] = ("ALERT_EMAIL_TO", "ops@example.com, ops at example dot com");
    let config = NotifyConfig::from_lookup(&env(&pairs)).unwrap();
    let error = config.into_notifier(http()).unwrap_err();
    assert_eq!(error.channel, "email");
    assert!(error.reason.contains("invalid to address \"ops at example dot com\""), "{error}");
}

#[test]
fn debug_output_hides_the_smtp_password_and_webhook_urls() {
    let mut pairs = EMAIL.to_vec();
    pairs.push(("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T1/B2/slackSecret"));
    let config = NotifyConfig::from_lookup(&env(&pairs)).unwrap();
    let debug = format!("{config:?} {:?}", config.clone().into_notifier(http()).unwrap());
    assert!(debug.contains("ops@example.com"), "{debug}");
    for secret in ["pa55word", "slackSecret"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}
