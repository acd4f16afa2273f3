//! Who hears of a run's end: the operations engine's telemetry, which reads the recorded
//! runs and adjusts the project's schedule. The sync itself knows nothing of schedules.

use async_trait::async_trait;
use clockwork_store::RunRecord;

/// Told of every finished run (success or failure, whatever started it), after the run is
/// recorded in the store. It cannot fail the run: it handles its own errors.
#[async_trait]
pub trait RunObserver: Send + Sync {
    async fn run_ended(&self, run: &RunRecord);
}
