//! Tracing set-up shared by every binary: `LOG_FORMAT=json|pretty`, filtered by `RUST_LOG`.
//!
//! `RUST_LOG` is read as a list of `target=level` directives and bare levels
//! (`warn,clockwork_api=debug`). Span and field filters (`[span{field=x}]=debug`) are not
//! supported: they would need `EnvFilter`, whose regex engine costs every function binary
//! about 0.3 MB. A value that does not parse is reported on stderr and `info` is used.
//!
//! Colour codes are written only when stderr is a terminal: never into files or CloudWatch.

use std::io::IsTerminal;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl LogFormat {
    /// `LOG_FORMAT`, else `default` (json in the cloud, pretty locally).
    pub fn from_env_or(default: Self) -> Self {
        match std::env::var("LOG_FORMAT").as_deref() {
            Ok("json") => Self::Json,
            Ok("pretty") => Self::Pretty,
            _ => default,
        }
    }
}

/// Installs the global subscriber; a second call is a no-op.
pub fn init(format: LogFormat) {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref()).unwrap_or_else(|problem| {
        eprintln!("RUST_LOG is not understood ({problem}); logging at info");
        Targets::new().with_default(LevelFilter::INFO)
    });
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _already_set = match format {
        LogFormat::Json => builder.json().flatten_event(true).finish().with(filter).try_init(),
        LogFormat::Pretty => builder.compact().finish().with(filter).try_init(),
    };
}

/// The filter `RUST_LOG` names; `info` when it is unset or blank.
fn filter(rust_log: Option<&str>) -> Result<Targets, String> {
    match rust_log.map(str::trim).filter(|value| !value.is_empty()) {
        None => Ok(Targets::new().with_default(LevelFilter::INFO)),
        Some(directives) => directives.parse().map_err(|error| format!("{error}")),
    }
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::*;

    #[test]
    fn unset_or_blank_means_info() {
        for value in [None, Some(""), Some("  ")] {
            let targets = filter(value).unwrap();
            assert!(targets.would_enable("anything", &Level::INFO));
            assert!(!targets.would_enable("anything", &Level::DEBUG));
        }
    }

    #[test]
    fn levels_and_per_target_directives_are_honoured() {
        let targets = filter(Some("warn,clockwork_api=debug")).unwrap();
        assert!(targets.would_enable("clockwork_api::router", &Level::DEBUG));
        assert!(!targets.would_enable("clockwork_cache", &Level::INFO));
        assert!(targets.would_enable("clockwork_cache", &Level::WARN));
        assert!(!filter(Some("off")).unwrap().would_enable("anything", &Level::ERROR));
    }

    #[test]
    fn directives_it_cannot_read_are_refused() {
        assert!(filter(Some("[request{route=Health}]=debug")).is_err());
        assert!(filter(Some("clockwork=loud")).is_err());
    }
}
