-- The issue listing's index. Keep this file equivalent to ../postgres/0008_issue_page_index.sql.
-- A page of a project's issues is a range of (updated_ms, id) after its cursor: with id in
-- the index, the database reads that range in order and stops at the page's end, whatever
-- its statistics say; without, it read every later issue and sorted them.
DROP INDEX issues_project_updated;
CREATE INDEX issues_project_updated_id ON issues (project_key, updated_ms, id);
