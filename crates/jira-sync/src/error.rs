//! How a run fails ([`SyncError`]): its classified code, advice and whether to retry.

use clockwork_clients::jira_data::JiraDataError;
use clockwork_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("another sync of {0} is running; try again when it ends")]
    Busy(String),
    #[error("Jira: {0}")]
    Jira(#[from] JiraDataError),
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

impl SyncError {
    /// The classified code kept in `sync_logs`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Busy(_) => "BUSY",
            Self::Jira(error) => error.code.as_str(),
            Self::Store(_) => "STORE_UNAVAILABLE",
        }
    }

    /// What to do about it.
    pub fn advice(&self) -> String {
        match self {
            Self::Jira(error) => error.advice.to_owned(),
            Self::Busy(_) | Self::Store(_) => self.to_string(),
        }
    }

    /// Whether the same run may succeed later: rate limits, outages, a busy project, a
    /// store that is down. Rejected credentials, permissions, missing projects and
    /// answers we cannot read need a person first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Busy(_) => true,
            Self::Jira(error) => error.is_retryable(),
            Self::Store(error) => error.is_retryable(),
        }
    }
}
