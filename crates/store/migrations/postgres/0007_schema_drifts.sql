-- Schema drift. Keep this file equivalent to ../sqlite/0007_schema_drifts.sql.
-- Each way Jira's answers were seen to differ from what the sync's client reads, once per
-- project: `entity` the record (`issue`, `comment`, `worklog`), `path` the value's dotted
-- path from it (`fields.status.statusCategory.key`), `kind` `missing`, `type` or `new`;
-- `sample` what was seen first (short, a value's type and the start of its text).
CREATE TABLE schema_drifts (
    project_key   TEXT NOT NULL,
    entity        TEXT NOT NULL,
    path          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    sample        TEXT NOT NULL,
    first_seen_ms BIGINT NOT NULL,
    PRIMARY KEY (project_key, entity, path, kind)
);
