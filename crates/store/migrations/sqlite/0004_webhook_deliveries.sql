-- Jira webhook deliveries. Keep this file equivalent to ../postgres/0004_webhook_deliveries.sql.
-- One row per delivery, keyed by Jira's identifier (the same across its retries): when the
-- route accepted it and when the re-read of its issue was committed (NULL until then).
CREATE TABLE webhook_deliveries (
    id          TEXT PRIMARY KEY,
    received_ms BIGINT NOT NULL,
    event       TEXT NOT NULL,
    issue_id    TEXT NOT NULL,
    applied_ms  BIGINT
);
CREATE INDEX webhook_deliveries_issue ON webhook_deliveries (issue_id);
