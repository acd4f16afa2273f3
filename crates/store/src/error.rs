//! [`StoreError`]: what went wrong, sorted by what the caller can do about it.

use sqlx::error::ErrorKind;
use sqlx::sqlite::SqliteError;

use crate::config::{Backend, Redactor};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// `DATABASE_URL` cannot be used as written: fix the configuration.
    #[error("invalid DATABASE_URL: {0}")]
    Config(String),
    /// The database cannot be reached or opened right now (refused, timed out, I/O): retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Lock contention or a serialization failure: the same call is expected to succeed on retry.
    #[error("database busy: {0}")]
    Busy(String),
    /// A write broke a constraint of the schema; retrying the same data fails the same way.
    #[error("rejected by the database: {0}")]
    Constraint(String),
    /// The call names a project that is not in `tracked_projects`.
    #[error("project {0} is not tracked")]
    UnknownProject(String),
    /// The input contradicts itself (e.g. a comment filed under another issue than its own).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Applying the migrations failed; the schema is not what this build expects.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A stored value this build cannot read back (e.g. an unknown status string).
    #[error("unreadable stored data: {0}")]
    Corrupt(String),
    /// Anything else the database reported: not worth retrying as is.
    #[error("database error: {0}")]
    Database(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// True when the same call may succeed later without any change.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Busy(_))
    }

    /// Classifies a driver error raised while connecting, scrubbing the URL's password.
    pub(crate) fn connecting(error: sqlx::Error, redactor: &Redactor) -> Self {
        let message = redactor.scrub(&error.to_string());
        match error {
            sqlx::Error::Configuration(_) => Self::Config(message),
            // Wrong database name or credentials: only a configuration change helps.
            sqlx::Error::Database(db)
                if matches!(db.code().as_deref(), Some("3D000" | "28000" | "28P01")) =>
            {
                Self::Config(message)
            }
            sqlx::Error::Database(_) => match Self::from(error) {
                Self::Busy(_) => Self::Busy(message),
                _ => Self::Unavailable(message),
            },
            _ => Self::Unavailable(message),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let message = error.to_string();
        match &error {
            sqlx::Error::Database(db) => {
                let backend = match db.try_downcast_ref::<SqliteError>() {
                    Some(_) => Backend::Sqlite,
                    None => Backend::Postgres,
                };
                if is_busy(backend, db.code().as_deref()) {
                    return Self::Busy(message);
                }
                match db.kind() {
                    ErrorKind::UniqueViolation
                    | ErrorKind::ForeignKeyViolation
                    | ErrorKind::NotNullViolation
                    | ErrorKind::CheckViolation => Self::Constraint(message),
                    _ => Self::Database(message),
                }
            }
            // A protocol error is an answer that broke off mid-stream (a connection cut while
            // it was being set up, say): the next connection is expected to work.
            sqlx::Error::Io(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(message),
            sqlx::Error::Configuration(_) => Self::Config(message),
            sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => Self::Corrupt(message),
            _ => Self::Database(message),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        match error {
            sqlx::migrate::MigrateError::Execute(inner) => match Self::from(inner) {
                retry @ (Self::Unavailable(_) | Self::Busy(_)) => retry,
                other => Self::Migration(other.to_string()),
            },
            other => Self::Migration(other.to_string()),
        }
    }
}

/// Postgres serialization failures, deadlocks and "try again" shutdowns; SQLite `BUSY`/`LOCKED`
/// (primary codes 5 and 6, whatever the extended code).
fn is_busy(backend: Backend, code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    match backend {
        Backend::Postgres => {
            matches!(code, "40001" | "40P01" | "55P03" | "57P01" | "57P03" | "53300")
        }
        Backend::Sqlite => code.parse::<u32>().is_ok_and(|code| matches!(code & 0xff, 5 | 6)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_off_answer_is_retryable() {
        let error =
            StoreError::from(sqlx::Error::Protocol("unexpected response from SSLRequest".into()));
        assert!(error.is_retryable(), "{error:?}");
    }

    #[test]
    fn busy_codes_of_both_databases_are_retryable() {
        for code in ["40001", "40P01"] {
            assert!(is_busy(Backend::Postgres, Some(code)), "{code}");
        }
        for code in ["5", "517", "6", "262"] {
            assert!(is_busy(Backend::Sqlite, Some(code)), "{code}");
        }
        for code in ["23505", "08006", "22005"] {
            assert!(!is_busy(Backend::Postgres, Some(code)), "{code}");
        }
        for code in ["19", "787", "2067"] {
            assert!(!is_busy(Backend::Sqlite, Some(code)), "{code}");
        }
    }
}
