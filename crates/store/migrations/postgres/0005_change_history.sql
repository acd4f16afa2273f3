-- Change history. Keep this file equivalent to ../sqlite/0005_change_history.sql.
-- One row per changed field of a Jira changelog entry (`change_id`), keyed so that reading
-- a changelog again stores each change once. `field` is Jira's field id (`status`,
-- `customfield_10016`), else its name; values are Jira's raw ids, strings its display text.
CREATE TABLE issue_changes (
    issue_id          TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    change_id         TEXT NOT NULL,
    author_account_id TEXT,
    created_ms        BIGINT NOT NULL,
    field             TEXT NOT NULL,
    from_value        TEXT,
    to_value          TEXT,
    from_string       TEXT,
    to_string         TEXT,
    PRIMARY KEY (issue_id, change_id, field)
);
CREATE INDEX issue_changes_issue_created ON issue_changes (issue_id, created_ms);

-- What the history says of each issue, recomputed whenever its changes are stored:
-- `status_durations` a JSON array `[{"status": "In Progress", "ms": 5400000}, …]` of the
-- time spent in each status it has left (first entered first); `cycle_time_ms` from the
-- first move into an "In Progress" (indeterminate) status to the resolution; `lead_time_ms`
-- from creation to the resolution. NULL until the history is read, or while unresolved.
-- `history_updated_ms` is the issue's `updated_ms` when its history was last stored: an
-- issue updated since (or never read) owes a read of its changelog.
ALTER TABLE issues ADD COLUMN status_durations TEXT;
ALTER TABLE issues ADD COLUMN cycle_time_ms BIGINT;
ALTER TABLE issues ADD COLUMN lead_time_ms BIGINT;
ALTER TABLE issues ADD COLUMN history_updated_ms BIGINT;
