//! The sequential best: a search's pages (the whole project's, or an incremental run's)
//! fetched one after another over one keep-alive connection, with the sync's fields and page
//! size, each answer read to its page token and nothing stored. No sync that pages one search
//! can be faster: this is pages × (latency + the fake's work per page), the figure a
//! partitioned sync must beat.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use serde::Deserialize;
use serde_json::json;

use super::{API_TOKEN, EMAIL};
use crate::jira_sync::scratch::Database;

/// The pages of one search fetched back to back.
#[derive(Debug, Clone, Copy)]
pub struct Sequential {
    pub latency: Duration,
    pub pages: u64,
    pub issues: u64,
    pub seconds: f64,
}

/// A page as far as paging needs it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    issues: Vec<serde::de::IgnoredAny>,
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: bool,
}

/// Fetches every page of the search for `jql` from the fake at `base_url`, `fields` named,
/// `page_size` issues a page, over one connection; `latency` is what the fake adds.
pub async fn fetch(
    base_url: &str,
    jql: &str,
    fields: &[&str],
    page_size: u32,
    latency: Duration,
) -> Result<Sequential> {
    clockwork_core::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .http1_only()
        .build()
        .context("an HTTP client")?;
    let url = format!("{base_url}/rest/api/3/search/jql");
    let (mut pages, mut issues, mut token) = (0, 0, None::<String>);
    let started = Instant::now();
    loop {
        let mut body = json!({ "jql": jql, "fields": fields, "maxResults": page_size });
        if let Some(token) = &token {
            body["nextPageToken"] = json!(token);
        }
        let response = http
            .post(&url)
            .basic_auth(EMAIL, Some(API_TOKEN))
            .json(&body)
            .send()
            .await
            .context("a search page")?;
        ensure!(response.status().is_success(), "the search answered {}", response.status());
        let page: Page = response.json().await.context("a search page's JSON")?;
        pages += 1;
        issues += page.issues.len() as u64;
        match page.next_page_token {
            Some(next) if !page.is_last => token = Some(next),
            _ => break,
        }
    }
    Ok(Sequential { latency, pages, issues, seconds: started.elapsed().as_secs_f64() })
}

/// Our full sync against the sequential best at the same latency.
#[derive(Debug, Clone, Copy)]
pub struct AgainstSequential {
    pub database: Database,
    pub sequential: Sequential,
    pub ours_seconds: f64,
    pub ours_requests_per_1000: f64,
}

impl AgainstSequential {
    /// How many times faster than the sequential best our full sync was.
    pub fn speedup(&self) -> f64 {
        self.sequential.seconds / self.ours_seconds
    }
}
