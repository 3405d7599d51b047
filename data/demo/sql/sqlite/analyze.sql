-- analyze.sql (SQLite): refresh the planner's statistics; run nightly by
-- the task nightly_analyze.
ANALYZE;
