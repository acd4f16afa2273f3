-- The issue listing's index. Keep this file equivalent to ../sqlite/0008_issue_page_index.sql.
-- A page of a project's issues is a range of (updated_ms, id) after its cursor: with id in
-- the index, the database can read that range in order and stop at the page's end, where it
-- read every later issue and sorted them. (Postgres plans so once the table is analyzed;
-- autovacuum does that within a minute of a load.)
DROP INDEX issues_project_updated;
CREATE INDEX issues_project_updated_id ON issues (project_key, updated_ms, id);
