-- Keeps the PostgreSQL history in step with SQLite's 0004 (which restated its due-schedules
-- index as `WHERE NOT paused`, as it already is here).
DROP INDEX prompt_schedules_due;
CREATE INDEX prompt_schedules_due ON prompt_schedules (next_due_at) WHERE NOT paused;
