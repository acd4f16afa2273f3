//! A real SMTP server for tests: `aiosmtpd` run as a child process by
//! `python/smtp_sink.py`, which stores each mail it accepts (raw bytes and envelope) in a
//! temporary directory. [`ReceivedMail`] decodes what a person would read (subject, text and
//! HTML parts, quoted-printable or base64 undone) with `mail-parser`.
//!
//! The interpreter is [`crate::python::interpreter`]; `.ci/services` installs aiosmtpd for it.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long a sink may take to start and a mail to arrive.
const WAIT: Duration = Duration::from_secs(10);

/// One mail as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// `MAIL FROM`.
    pub envelope_from: String,
    /// Every `RCPT TO`, Bcc recipients included.
    pub envelope_to: Vec<String>,
    /// The RFC 5322 message as sent.
    pub raw: String,
}

impl ReceivedMail {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .unwrap_or_else(|| panic!("not an RFC 5322 message:\n{}", self.raw))
    }

    /// The decoded `Subject`.
    pub fn subject(&self) -> Option<String> {
        self.parsed().subject().map(str::to_owned)
    }

    /// A header's value as sent (still encoded), e.g. `header("Content-Type")`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed().header_raw(name).map(|value| value.trim().to_owned())
    }

    /// The addresses of an address header (`"From"`, `"To"`, `"Cc"`, `"Bcc"`).
    pub fn addresses(&self, name: &str) -> Vec<String> {
        let message = self.parsed();
        let address = match name.to_ascii_lowercase().as_str() {
            "from" => message.from(),
            "to" => message.to(),
            "cc" => message.cc(),
            "bcc" => message.bcc(),
            other => panic!("{other} is not an address header"),
        };
        address
            .map(|address| address.iter().filter_map(|a| a.address()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The decoded `text/plain` part, when the mail has one.
    pub fn text_body(&self) -> Option<String> {
        let message = self.parsed();
        let id = *message.text_body.first()?;
        let part = message.part(id)?;
        part.is_text().then(|| part.text_contents().unwrap_or_default().to_owned())
    }

    /// The decoded `text/html` part, when the mail has one (never a rendering of the text).
    pub fn html_body(&self) -> Option<String> {
        let message = self.parsed();
        let id = *message.html_body.first()?;
        let part = message.part(id)?;
        part.is_text_html().then(|| part.text_contents().unwrap_or_default().to_owned())
    }
}

/// A running SMTP sink; the server is killed when this is dropped.
#[derive(Debug)]
pub struct SmtpSink {
    port: u16,
    credentials: Option<(String, String)>,
    dir: tempfile::TempDir,
    _child: Child,
}

impl SmtpSink {
    /// A sink that accepts any mail without authentication.
    pub async fn start() -> io::Result<Self> {
        Self::launch(None).await
    }

    /// A sink that requires `AUTH` (PLAIN or LOGIN, offered without TLS) with these credentials.
    pub async fn start_with_auth(user: &str, password: &str) -> io::Result<Self> {
        Self::launch(Some((user.to_owned(), password.to_owned()))).await
    }

    async fn launch(credentials: Option<(String, String)>) -> io::Result<Self> {
        let dir = tempfile::tempdir()?;
        let python = crate::python::interpreter();
        let mut command = Command::new(&python);
        command.arg(script()).arg(dir.path());
        if let Some((user, password)) = &credentials {
            command.args(["--user", user, "--password", password]);
        }
        command.stdin(Stdio::null()).stdout(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "cannot run {} ({error}): run .ci/services to create .venv with aiosmtpd, \
                     or point CLOCKWORK_TEST_PYTHON at a Python that has it",
                    python.display()
                ),
            )
        })?;
        let stdout = child.stdout.take().ok_or_else(|| io::Error::other("no stdout"))?;
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        let port = match tokio::time::timeout(WAIT, stdout.read_line(&mut line)).await {
            Ok(Ok(_)) => line.trim().parse::<u16>().ok(),
            _ => None,
        };
        let Some(port) = port else {
            return Err(io::Error::other(format!(
                "the SMTP sink did not report its port (is aiosmtpd installed for {}? \
                 its stderr is above)",
                python.display()
            )));
        };
        Ok(Self { port, credentials, dir, _child: child })
    }

    /// `smtp://127.0.0.1:PORT`, with `user:password@` for a sink started with auth.
    pub fn url(&self) -> String {
        match &self.credentials {
            Some((user, password)) => format!("smtp://{user}:{password}@127.0.0.1:{}", self.port),
            None => format!("smtp://127.0.0.1:{}", self.port),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every mail received so far, in order of arrival.
    pub async fn messages(&self) -> Vec<ReceivedMail> {
        read_mails(self.dir.path())
    }

    /// Waits (up to 10 s) until at least `count` mails have arrived and returns them all.
    ///
    /// # Panics
    /// When fewer arrive in time.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let mails = self.messages().await;
            if mails.len() >= count {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {count} mails within {WAIT:?}, got {}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn read_mails(dir: &Path) -> Vec<ReceivedMail> {
    let mut envelopes: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|entry| Some(entry.ok()?.path())).collect())
        .unwrap_or_default();
    envelopes.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
    envelopes.sort();
    envelopes
        .iter()
        .map(|path| {
            let envelope: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).expect("read envelope"))
                    .expect("envelope JSON");
            let raw = std::fs::read(path.with_extension("eml")).expect("read mail");
            ReceivedMail {
                envelope_from: envelope["from"].as_str().unwrap_or_default().to_owned(),
                envelope_to: envelope["to"]
                    .as_array()
                    .map(|to| to.iter().filter_map(|a| a.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
                raw: String::from_utf8_lossy(&raw).into_owned(),
            }
        })
        .collect()
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/smtp_sink.py")
}
