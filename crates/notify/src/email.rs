//! Email over SMTP with `lettre`: one multipart/alternative mail per message, the plain text
//! and an HTML part of inline styles only (mail clients drop `<style>`): a severity colour bar,
//! the text, and the facts as a table. Every value is escaped.
//!
//! `SMTP_URL` follows lettre's URL forms: `smtp://host:25` plain, `smtp://…?tls=required` (or
//! `opportunistic`) STARTTLS, `smtps://host:465` implicit TLS; `user:pass@` authenticates.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::{Channel, Message, NotifyError, Severity};

const NAME: &str = "email";
/// For connecting (lettre's async transport applies its timeout to the connection only).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// For the whole conversation: a server that stops answering must not hold an alert forever.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom alert mails are sent; each list may be overridden per message.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `SMTP_URL`, e.g. `smtps://user:pass@smtp.example.com` (the password makes it a secret).
    pub smtp_url: SecretString,
    /// `ALERT_EMAIL_FROM`: `alerts@example.com` or `Clockwork <alerts@example.com>`.
    pub from: String,
    /// `ALERT_EMAIL_TO`.
    pub to: Vec<String>,
    /// `ALERT_EMAIL_CC`.
    pub cc: Vec<String>,
    /// `ALERT_EMAIL_BCC`.
    pub bcc: Vec<String>,
}

/// Sends through one SMTP server, a new connection per mail (alerts are rare).
pub struct EmailChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// `scheme://host:port` only: what `Debug` shows of the server.
    server: String,
    from: Mailbox,
    to: Vec<Mailbox>,
    cc: Vec<Mailbox>,
    bcc: Vec<Mailbox>,
}

impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |boxes: &[Mailbox]| boxes.iter().map(ToString::to_string).collect::<Vec<_>>();
        f.debug_struct("EmailChannel")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("to", &list(&self.to))
            .field("cc", &list(&self.cc))
            .field("bcc", &list(&self.bcc))
            .finish()
    }
}

impl EmailChannel {
    /// Checks the URL and every address now, so a typo fails at start rather than at the
    /// first alert.
    pub fn new(config: EmailConfig) -> Result<Self, NotifyError> {
        let raw = config.smtp_url.expose_secret();
        let url = url::Url::parse(raw).map_err(|error| {
            NotifyError::permanent(NAME, format!("SMTP_URL is not a URL: {error}"))
        })?;
        if !matches!(url.scheme(), "smtp" | "smtps") || url.host_str().is_none() {
            return Err(NotifyError::permanent(
                NAME,
                "SMTP_URL must be smtp://host[:port] or smtps://host[:port]",
            ));
        }
        let server = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port().map_or_else(|| "default".into(), |port| port.to_string())
        );
        clockwork_core::tls::install_crypto_provider();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(raw)
            .map_err(|error| {
                // lettre's messages name no part of the URL; scrub the password regardless.
                let reason = scrub(&format!("invalid SMTP_URL: {error}"), url.password());
                NotifyError::permanent(NAME, reason)
            })?
            .timeout(Some(CONNECT_TIMEOUT))
            .build();
        let to = mailboxes("to", &config.to)?;
        if to.is_empty() {
            return Err(NotifyError::permanent(NAME, "no recipient: set at least one to address"));
        }
        Ok(Self {
            transport,
            server,
            from: mailbox("from", &config.from)?,
            to,
            cc: mailboxes("cc", &config.cc)?,
            bcc: mailboxes("bcc", &config.bcc)?,
        })
    }

    /// The mail for `message`, with its overrides applied.
    fn compose(&self, message: &Message) -> Result<lettre::Message, NotifyError> {
        let overrides = &message.email;
        let pick = |kind, given: &[String], default: &[Mailbox]| {
            if given.is_empty() { Ok(default.to_vec()) } else { mailboxes(kind, given) }
        };
        let from = match &overrides.from {
            Some(from) => mailbox("from", from)?,
            None => self.from.clone(),
        };
        let mut builder = lettre::Message::builder().from(from).subject(message.subject.clone());
        for to in pick("to", &overrides.to, &self.to)? {
            builder = builder.to(to);
        }
        for cc in pick("cc", &overrides.cc, &self.cc)? {
            builder = builder.cc(cc);
        }
        for bcc in pick("bcc", &overrides.bcc, &self.bcc)? {
            builder = builder.bcc(bcc);
        }
        let html = overrides.html.clone().unwrap_or_else(|| render_html(message));
        builder.multipart(MultiPart::alternative_plain_html(message.plain_text(), html)).map_err(
            |error| NotifyError::permanent(NAME, format!("cannot build the mail: {error}")),
        )
    }
}

#[async_trait]
impl Channel for EmailChannel {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        let mail = self.compose(message)?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(mail)).await {
            Ok(sent) => sent.map(drop).map_err(|error| classify(&error)),
            Err(_) => Err(NotifyError::retryable(
                NAME,
                format!("SMTP: the server did not finish within {}s", SEND_TIMEOUT.as_secs()),
            )),
        }
    }
}

/// SMTP 4xx and connection failures may pass later; 5xx (a refused recipient, failed
/// authentication), TLS and protocol failures will not.
fn classify(error: &lettre::transport::smtp::Error) -> NotifyError {
    let permanent =
        error.is_permanent() || error.is_client() || error.is_tls() || error.is_response();
    let reason = clockwork_core::error::cause_chain(error);
    NotifyError { channel: NAME, reason: format!("SMTP: {reason}"), retryable: !permanent }
}

fn mailbox(kind: &str, raw: &str) -> Result<Mailbox, NotifyError> {
    raw.trim().parse().map_err(|error| {
        NotifyError::permanent(NAME, format!("invalid {kind} address {raw:?}: {error}"))
    })
}

fn mailboxes(kind: &str, raw: &[String]) -> Result<Vec<Mailbox>, NotifyError> {
    raw.iter().map(|address| mailbox(kind, address)).collect()
}

fn scrub(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, "[REDACTED]"),
        _ => text.to_owned(),
    }
}

/// The HTML part: a colour bar of the severity, the subject, the text and a table of facts.
pub fn render_html(message: &Message) -> String {
    let colour = match message.severity {
        Severity::Info => "#2563eb",
        Severity::Warning => "#d97706",
        Severity::Critical => "#dc2626",
    };
    let mut rows = String::new();
    for fact in &message.facts {
        rows.push_str(&format!(
            "<tr><th style=\"text-align:left;vertical-align:top;padding:6px 12px 6px 0;\
             color:#374151;white-space:nowrap\">{}</th>\
             <td style=\"padding:6px 0;color:#111827\">{}</td></tr>",
            escape_html(&fact.label),
            multiline(&fact.value)
        ));
    }
    let table = if rows.is_empty() {
        String::new()
    } else {
        format!(
            "<table role=\"presentation\" style=\"border-collapse:collapse;margin-top:16px;\
             font-size:14px\">{rows}</table>"
        )
    };
    format!(
        "<!DOCTYPE html><html><body style=\"margin:0;padding:16px;background:#f3f4f6;\
         font-family:Arial,Helvetica,sans-serif\">\
         <div style=\"max-width:640px;margin:0 auto;background:#ffffff;\
         border-top:6px solid {colour};padding:20px\">\
         <p style=\"margin:0 0 4px;font-size:12px;text-transform:uppercase;color:{colour}\">{severity}</p>\
         <h1 style=\"margin:0 0 12px;font-size:20px;color:#111827\">{subject}</h1>\
         <p style=\"margin:0;font-size:14px;line-height:1.5;color:#111827\">{text}</p>\
         {table}</div></body></html>",
        severity = message.severity.as_str(),
        subject = escape_html(&message.subject),
        text = multiline(&message.text),
    )
}

/// Escaped, line breaks kept as `<br>`.
fn multiline(text: &str) -> String {
    escape_html(text.trim_end()).replace('\n', "<br>")
}

/// Escapes the five characters that matter in HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_ampersands() {
        assert_eq!(
            escape_html(r#"<b onclick="x">Tom & Jerry's</b>"#),
            "&lt;b onclick=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;"
        );
    }

    #[test]
    fn html_escapes_every_value_and_shows_every_fact() {
        let message = Message::new(Severity::Warning, "<Sync> & co", "line one\nline <two>")
            .fact("Project", "KAN")
            .fact("What to do", "Use <new> token & retry");
        let html = render_html(&message);
        assert!(html.contains("&lt;Sync&gt; &amp; co"), "{html}");
        assert!(html.contains("line one<br>line &lt;two&gt;"), "{html}");
        assert!(html.contains(">Project</th>") && html.contains(">KAN</td>"), "{html}");
        assert!(html.contains("Use &lt;new&gt; token &amp; retry"), "{html}");
        assert!(html.contains("#d97706") && !html.contains("<style"), "{html}");
        assert!(!html.contains("<new>") && !html.contains("<Sync>"), "{html}");
    }

    #[test]
    fn a_bad_address_is_refused_by_name() {
        let config = EmailConfig {
            smtp_url: SecretString::from("smtp://127.0.0.1:2525"),
            from: "alerts@example.com".into(),
            to: vec!["ops@example.com".into(), "not an address".into()],
            cc: vec![],
            bcc: vec![],
        };
        let error = EmailChannel::new(config).unwrap_err();
        assert!(!error.retryable);
        assert!(error.reason.contains("invalid to address \"not an address\""), "{error}");
    }
}
