-- Safe deletions. Keep this file equivalent to ../postgres/0003_sweep_unobserved.sql.
-- When one sweep finds more of a project's live issues missing than it may delete at once,
-- they are marked unobserved instead (still live); the next sweep deletes those still
-- missing, or clears the mark of those Jira lists again.
ALTER TABLE issues ADD COLUMN unobserved_ms BIGINT;
