-- The Jira store. Keep this file equivalent to ../postgres/0001_jira_store.sql: same tables,
-- columns, constraints and indexes; only the spelling of types and identity columns differs.
-- Timestamps are epoch milliseconds (BIGINT); `deleted_at` marks a soft delete.

CREATE TABLE jira_users (
    account_id   TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    email        TEXT,
    avatar_url   TEXT,
    active       BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE team_members (
    id              TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    email           TEXT,
    jira_account_id TEXT
);

CREATE TABLE tracked_projects (
    project_key TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    created_ms  BIGINT NOT NULL
);

CREATE TABLE project_tracked_users (
    project_key TEXT NOT NULL REFERENCES tracked_projects (project_key) ON DELETE CASCADE,
    account_id  TEXT NOT NULL,
    added_ms    BIGINT NOT NULL,
    PRIMARY KEY (project_key, account_id)
);

CREATE TABLE issues (
    id                  TEXT PRIMARY KEY,
    issue_key           TEXT NOT NULL,
    project_key         TEXT NOT NULL,
    summary             TEXT NOT NULL,
    status              TEXT NOT NULL,
    status_category     TEXT,
    priority            TEXT,
    issue_type          TEXT,
    assignee_account_id TEXT,
    reporter_account_id TEXT,
    created_ms          BIGINT NOT NULL,
    updated_ms          BIGINT NOT NULL,
    resolved_ms         BIGINT,
    story_points        DOUBLE PRECISION,
    deleted_at          BIGINT
);
CREATE INDEX issues_project_updated ON issues (project_key, updated_ms);
CREATE INDEX issues_issue_key ON issues (issue_key);

CREATE TABLE comments (
    id                TEXT PRIMARY KEY,
    issue_id          TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    author_account_id TEXT,
    body              TEXT NOT NULL,
    created_ms        BIGINT NOT NULL,
    updated_ms        BIGINT NOT NULL,
    deleted_at        BIGINT
);
CREATE INDEX comments_issue ON comments (issue_id);

CREATE TABLE worklogs (
    id                 TEXT PRIMARY KEY,
    issue_id           TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    author_account_id  TEXT,
    started_ms         BIGINT NOT NULL,
    time_spent_seconds BIGINT NOT NULL CHECK (time_spent_seconds >= 0),
    comment            TEXT,
    created_ms         BIGINT NOT NULL,
    updated_ms         BIGINT NOT NULL,
    deleted_at         BIGINT
);
CREATE INDEX worklogs_issue ON worklogs (issue_id);

CREATE TABLE sprints (
    id          BIGINT PRIMARY KEY,
    project_key TEXT NOT NULL,
    board_id    BIGINT,
    name        TEXT NOT NULL,
    state       TEXT NOT NULL,
    goal        TEXT,
    start_ms    BIGINT,
    end_ms      BIGINT,
    complete_ms BIGINT
);
CREATE INDEX sprints_project ON sprints (project_key);

-- No foreign key to sprints: an issue may name a sprint of a board not read yet.
CREATE TABLE issue_sprints (
    issue_id  TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    sprint_id BIGINT NOT NULL,
    PRIMARY KEY (issue_id, sprint_id)
);
CREATE INDEX issue_sprints_sprint ON issue_sprints (sprint_id);

CREATE TABLE sync_jobs (
    project_key TEXT PRIMARY KEY,
    cron        TEXT NOT NULL DEFAULT '*/15 * * * *',
    status      TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PAUSED', 'ERROR')),
    last_run_ms BIGINT,
    next_run_ms BIGINT
);

CREATE TABLE sync_states (
    project_key     TEXT NOT NULL,
    entity          TEXT NOT NULL,
    cursor_ms       BIGINT,
    status          TEXT NOT NULL DEFAULT 'IDLE'
                    CHECK (status IN ('IDLE', 'RUNNING', 'SUCCESS', 'FAILED')),
    last_success_ms BIGINT,
    last_error      TEXT,
    last_error_ms   BIGINT,
    PRIMARY KEY (project_key, entity)
);

CREATE TABLE sync_logs (
    id          INTEGER PRIMARY KEY,
    project_key TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('DEBUG', 'INFO', 'WARN', 'ERROR')),
    message     TEXT NOT NULL,
    details     TEXT,
    created_ms  BIGINT NOT NULL
);
CREATE INDEX sync_logs_project ON sync_logs (project_key, id);

-- One sync run per project at a time, across processes: the holder owns the row until it
-- releases it or `expires_ms` passes.
CREATE TABLE sync_leases (
    project_key TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_ms  BIGINT NOT NULL
);
