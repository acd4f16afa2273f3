-- Operations: each project's schedule health (the telemetry ladder) and requested runs on
-- `sync_jobs`, and one row per finished sync run (`sync_runs`) for the telemetry to read.
-- Keep this file equivalent to ../postgres/0002_operations.sql.

-- `cron` stays the effective schedule; `original_cron` is the one an admin chose, restored
-- after the first successful run once the ladder slowed the project down.
ALTER TABLE sync_jobs ADD COLUMN original_cron TEXT NOT NULL DEFAULT '*/15 * * * *';
UPDATE sync_jobs SET original_cron = cron;
-- Every tracked project gets a schedule record; one never planned runs at the next tick.
INSERT INTO sync_jobs (project_key) SELECT project_key FROM tracked_projects WHERE is_active
ON CONFLICT (project_key) DO NOTHING;
-- 0: the original cadence; n: the n-th rung of the ladder.
ALTER TABLE sync_jobs ADD COLUMN backoff_rung BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_jobs ADD COLUMN backoff_reason TEXT;
ALTER TABLE sync_jobs ADD COLUMN consecutive_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_jobs ADD COLUMN last_error_code TEXT;
-- Consecutive slow-but-successful runs, for the latency alert.
ALTER TABLE sync_jobs ADD COLUMN slow_runs BIGINT NOT NULL DEFAULT 0;
-- A run asked for outside the schedule (a trigger), taken by the next tick even when paused.
ALTER TABLE sync_jobs ADD COLUMN requested_ms BIGINT;
ALTER TABLE sync_jobs ADD COLUMN requested_full BOOLEAN NOT NULL DEFAULT FALSE;
-- JSON list of account ids to backfill; NULL: the whole scope.
ALTER TABLE sync_jobs ADD COLUMN requested_accounts TEXT;

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY,
    project_key TEXT NOT NULL,
    started_ms  BIGINT NOT NULL,
    finished_ms BIGINT NOT NULL,
    succeeded   BOOLEAN NOT NULL,
    -- The classified error code of a failed run.
    error_code  TEXT,
    retryable   BOOLEAN NOT NULL DEFAULT FALSE,
    issues      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sync_runs_project ON sync_runs (project_key, id);
