//! Notifications over a few channels, for people who must act on something: a channel-agnostic
//! [`Message`] (subject, text, labelled facts, severity) and one adapter per channel. It knows
//! nothing of Jira or of alert policy; the operations engine decides what to say and to whom.
//!
//! - [`message`]: [`Message`], [`Fact`], [`Severity`], [`EmailOverrides`], the [`Channel`] port
//!   and [`NotifyError`] (with whether a retry can help).
//! - [`email`]: [`EmailChannel`], SMTP with `lettre` (multipart text and inline-styled HTML).
//! - [`slack`]: [`SlackChannel`], a Slack incoming webhook (Block Kit payload).
//! - [`webhook`]: [`WebhookChannel`], a generic JSON webhook (chat gateways, incident tools).
//! - [`notifier`]: [`Notifier`], the channels by name with bounded retries and failure counts.
//! - [`config`]: [`NotifyConfig`], which channels the environment configures.
//! - `http`: the webhook channels' one POST and its status classification, and [`http_client`].
//!
//! Secrets (the SMTP password, webhook URLs) never appear in `Debug` output, logs or errors.

pub mod config;
pub mod email;
mod http;
pub mod message;
pub mod notifier;
pub mod slack;
pub mod webhook;

pub use config::NotifyConfig;
pub use email::{EmailChannel, EmailConfig};
pub use http::http_client;
pub use message::{Channel, EmailOverrides, Fact, Message, NotifyError, Severity};
pub use notifier::{Notifier, RetryPolicy};
pub use slack::SlackChannel;
pub use webhook::WebhookChannel;
