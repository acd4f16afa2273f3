//! `sync-jira-project` (event `jira/project.sync.requested`, data `{projectKey, full,
//! accountIds?}`; `accountIds` backfills only those accounts): the project sync as durable steps — `begin`, one `batch-<n>` per page of issues, `finish`.
//!
//! A redelivered attempt replays the batches it already committed from their memos. An
//! attempt that nears its time budget (a Lambda's end, the run's lease) returns
//! [`RunEnd::Continue`]: the engine enqueues the same run again with the state reached, and
//! the continuation searches on from the stored cursor. The store's lease, held under the
//! run id, keeps every other run off the project meanwhile.

use std::sync::Arc;

use async_trait::async_trait;
use clockwork_core::event::PROJECT_SYNC_REQUESTED;
use clockwork_core::{AccountId, ProjectKey};
use clockwork_durable::{Function, RunContext, RunEnd, StepError};
use serde::{Deserialize, Serialize};

use crate::engine::SyncEngine;
use crate::error::SyncError;
use crate::run_state::RunState;

pub const FUNCTION: &str = "sync-jira-project";
const BEGIN: &str = "begin";
const FINISH: &str = "finish";

/// The event's data; `resume` is added by the run's own continuations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    project_key: String,
    #[serde(default)]
    full: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    account_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resume: Option<Resume>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Resume {
    /// The number of the next batch step.
    batch: u64,
    state: RunState,
}

#[derive(Debug)]
pub struct ProjectSync {
    engine: Arc<SyncEngine>,
}

impl ProjectSync {
    pub fn new(engine: Arc<SyncEngine>) -> Self {
        Self { engine }
    }
}

#[async_trait]
impl Function for ProjectSync {
    fn name(&self) -> &'static str {
        FUNCTION
    }

    fn event(&self) -> &'static str {
        PROJECT_SYNC_REQUESTED
    }

    fn steps(&self) -> &'static [&'static str] {
        &[BEGIN, FINISH]
    }

    async fn run(
        &self,
        ctx: &mut RunContext<'_>,
        data: &serde_json::Value,
    ) -> Result<RunEnd, StepError> {
        let request = parse(data)?;
        let engine = self.engine.as_ref();
        let run_id = ctx.run_id().to_owned();
        let (mut batch, mut state) = match request.resume {
            Some(resume) => (resume.batch, resume.state.continued()),
            None => {
                let project = request.project_key.as_str();
                let begun = ctx.step(BEGIN, || async {
                    let tracked = engine
                        .store()
                        .tracked_projects()
                        .await
                        .map_err(|e| failure(SyncError::Store(e)))?;
                    if !tracked.iter().any(|p| p.key == project) {
                        return Err(StepError::permanent(
                            "NOT_TRACKED",
                            format!(
                                "{project} is not a tracked project; track it first \
                                 (clockwork-local projects track {project})"
                            ),
                        ));
                    }
                    let backfill = &request.account_ids;
                    engine.begin(project, request.full, backfill, &run_id).await.map_err(failure)
                });
                (0, begun.await?)
            }
        };
        let mut batches_here = 0;
        // The page after the last batch, fetched while it was committed; a batch replayed
        // from its memo leaves none, and its successor fetches its own page.
        let mut prefetched = None;
        while !state.issues_done {
            if batches_here > 0 && ctx.out_of_time() {
                let resume = Resume { batch, state };
                let next = Request { resume: Some(resume), ..request };
                return serde_json::to_value(next).map(RunEnd::Continue).map_err(unserializable);
            }
            let current = state.clone();
            let page = prefetched.take();
            let next_page = &mut prefetched;
            state = ctx
                .step(&format!("batch-{batch}"), || async {
                    let (state, page) = engine.next_batch(current, page).await.map_err(failure)?;
                    *next_page = page;
                    Ok(state)
                })
                .await?;
            batch += 1;
            batches_here += 1;
        }
        let summary =
            ctx.step(FINISH, || async { engine.finish(state).await.map_err(failure) }).await?;
        serde_json::to_value(summary).map(RunEnd::Completed).map_err(unserializable)
    }
}

fn parse(data: &serde_json::Value) -> Result<Request, StepError> {
    let malformed = |e: &dyn std::fmt::Display| {
        StepError::permanent(
            "MALFORMED_EVENT",
            format!("{PROJECT_SYNC_REQUESTED} needs data {{projectKey, full, accountIds?}}: {e}"),
        )
    };
    let mut request: Request = serde_json::from_value(data.clone()).map_err(|e| malformed(&e))?;
    let key = ProjectKey::parse(&request.project_key).map_err(|e| malformed(&e))?;
    request.project_key = key.to_string();
    for account in &request.account_ids {
        AccountId::parse(account).map_err(|e| malformed(&e))?;
    }
    Ok(request)
}

/// A sync failure as a step failure: retried later, or the end of the run with advice.
pub(crate) fn failure(error: SyncError) -> StepError {
    let message = format!("{error} ({})", error.advice());
    if error.is_retryable() {
        StepError::retryable(error.code(), message)
    } else {
        StepError::permanent(error.code(), message)
    }
}

pub(crate) fn unserializable(error: serde_json::Error) -> StepError {
    StepError::permanent("STEP_OUTPUT_UNSERIALIZABLE", error.to_string())
}
