//! The email channel against a real SMTP server (aiosmtpd, see `clockwork_testkit::smtp`).

use std::sync::Arc;
use std::time::Duration;

use clockwork_notify::{
    Channel, EmailChannel, EmailConfig, Message, Notifier, NotifyError, RetryPolicy, Severity,
};
use clockwork_testkit::SmtpSink;
use secrecy::SecretString;

const ADVICE: &str =
    "Create a new API token at id.atlassian.com — then paste it into ATLASSIAN_API_TOKEN & retry.";

fn alert() -> Message {
    Message::new(
        Severity::Critical,
        "Jira sync of KAN stopped: authentication failed",
        "The last three runs of the KAN sync were refused by Jira.",
    )
    .fact("Project", "KAN")
    .fact("Site", "acme.atlassian.net")
    .fact("Error code", "AUTH_FAILED")
    .fact("What to do", ADVICE)
}

fn config(url: String) -> EmailConfig {
    EmailConfig {
        smtp_url: SecretString::from(url),
        from: "Clockwork alerts <alerts@clockwork.test>".into(),
        to: vec!["ops@acme.test".into(), "lead@acme.test".into()],
        cc: vec!["audit@acme.test".into()],
        bcc: vec!["archive@acme.test".into()],
    }
}

fn quick_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy { attempts, base_delay: Duration::from_millis(1) }
}

#[tokio::test]
async fn email_alert_reaches_the_inbox_with_subject_facts_and_both_parts() {
    let sink = SmtpSink::start().await.unwrap();
    let channel = EmailChannel::new(config(sink.url())).unwrap();
    let notifier = Notifier::new(vec![Arc::new(channel)]);

    assert_eq!(notifier.send_message("email", &alert()).await.unwrap(), 1);

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.subject().unwrap(), "Jira sync of KAN stopped: authentication failed");
    assert_eq!(mail.envelope_from, "alerts@clockwork.test");
    let mut envelope_to = mail.envelope_to.clone();
    envelope_to.sort();
    assert_eq!(
        envelope_to,
        ["archive@acme.test", "audit@acme.test", "lead@acme.test", "ops@acme.test"]
    );
    assert_eq!(mail.addresses("To"), ["ops@acme.test", "lead@acme.test"]);
    assert_eq!(mail.addresses("Cc"), ["audit@acme.test"]);
    assert!(!mail.raw.contains("archive@acme.test"), "Bcc shown in the headers:\n{}", mail.raw);
    assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"));

    let text = mail.text_body().expect("a text/plain part");
    assert!(text.contains("refused by Jira"), "{text}");
    for line in ["Project: KAN", "Site: acme.atlassian.net", "Error code: AUTH_FAILED"] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(text.contains(&format!("What to do: {ADVICE}")), "{text}");

    let html = mail.html_body().expect("a text/html part");
    assert!(html.contains("refused by Jira"), "{html}");
    for cell in [">Project</th>", ">KAN</td>", ">AUTH_FAILED</td>", ">acme.atlassian.net</td>"] {
        assert!(html.contains(cell), "{cell} missing from:\n{html}");
    }
    let escaped_advice = ADVICE.replace('&', "&amp;");
    assert!(html.contains(&escaped_advice), "advice missing or unescaped:\n{html}");
    assert!(html.contains("#dc2626"), "no critical colour bar:\n{html}");
}

#[tokio::test]
async fn per_message_overrides_replace_recipients_sender_and_html() {
    let sink = SmtpSink::start().await.unwrap();
    let channel = EmailChannel::new(config(sink.url())).unwrap();
    let mut message = alert();
    message.email.to = vec!["kan-owner@acme.test".into()];
    message.email.cc = vec!["kan-team@acme.test".into()];
    message.email.bcc = vec!["kan-archive@acme.test".into()];
    message.email.from = Some("KAN bot <kan-bot@clockwork.test>".into());
    message.email.html = Some("<p>Custom <b>KAN</b> report</p>".into());

    channel.send(&message).await.unwrap();

    let mail = sink.wait_for(1).await.remove(0);
    assert_eq!(mail.envelope_from, "kan-bot@clockwork.test");
    assert_eq!(mail.addresses("From"), ["kan-bot@clockwork.test"]);
    let mut envelope_to = mail.envelope_to.clone();
    envelope_to.sort();
    assert_eq!(envelope_to, ["kan-archive@acme.test", "kan-owner@acme.test", "kan-team@acme.test"]);
    assert_eq!(mail.html_body().unwrap().trim(), "<p>Custom <b>KAN</b> report</p>");
    assert!(mail.text_body().unwrap().contains("Error code: AUTH_FAILED"));
}

#[tokio::test]
async fn an_invalid_override_address_is_a_permanent_failure_naming_it() {
    let sink = SmtpSink::start().await.unwrap();
    let notifier = Notifier::new(vec![Arc::new(EmailChannel::new(config(sink.url())).unwrap())]);
    let mut message = alert();
    message.email.cc = vec!["kan-team(at)acme".into()];

    let error = notifier.send_message("email", &message).await.unwrap_err();
    assert!(!error.retryable);
    assert!(error.reason.contains("invalid cc address \"kan-team(at)acme\""), "{error}");
    assert!(sink.messages().await.is_empty());
}

#[tokio::test]
async fn smtp_password_never_appears_in_debug_or_errors() {
    const PASSWORD: &str = "s3cret-smtp-pass";
    let sink = SmtpSink::start_with_auth("alerts", PASSWORD).await.unwrap();
    let good = config(sink.url());
    assert!(sink.url().contains(PASSWORD), "the sink's URL carries the credentials");

    let channel = EmailChannel::new(good.clone()).unwrap();
    channel.send(&alert()).await.unwrap();
    assert_eq!(sink.wait_for(1).await.len(), 1, "authenticated mail not delivered");

    let wrong = format!("smtp://alerts:{PASSWORD}-wrong@127.0.0.1:{}", sink.port());
    let refused = EmailChannel::new(config(wrong.clone())).unwrap();
    let notifier = Notifier::new(vec![Arc::new(refused)]).with_retry(quick_retries(3));
    let error = notifier.send_message("email", &alert()).await.unwrap_err();
    assert_eq!(error.channel, "email");
    assert!(!error.retryable, "an authentication failure is permanent: {error}");
    assert!(error.reason.contains("535"), "{error}");
    assert_eq!(notifier.failures("email"), 1);
    assert_eq!(sink.messages().await.len(), 1);

    let shown = format!("{error} {error:?} {channel:?} {good:?} {notifier:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains("127.0.0.1"), "the server should still be named: {shown}");
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_a_retryable_failure() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let channel = EmailChannel::new(config(format!("smtp://127.0.0.1:{port}"))).unwrap();
    let notifier = Notifier::new(vec![Arc::new(channel)]).with_retry(quick_retries(2));

    let error: NotifyError = notifier.send_message("email", &alert()).await.unwrap_err();
    assert_eq!(error.channel, "email");
    assert!(error.retryable, "a refused connection may pass later: {error}");
    assert_eq!(notifier.failures("email"), 1);
}
