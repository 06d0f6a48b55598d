-- The due-schedules index, restated as `WHERE NOT paused`: the form the queries (shared with
-- PostgreSQL, where `paused` is a BOOLEAN) use, so SQLite's planner can match it.
DROP INDEX prompt_schedules_due;
CREATE INDEX prompt_schedules_due ON prompt_schedules (next_due_at) WHERE NOT paused;
