-- Periodic study prompts: one schedule per server, and one row per slot that was posted,
-- skipped or failed. Times are UTC epoch seconds.

CREATE TABLE prompt_schedules (
    guild_id      INTEGER PRIMARY KEY,
    channel_id    INTEGER NOT NULL,
    -- Local time of day, "HH:MM", in `timezone`.
    local_time    TEXT    NOT NULL,
    -- Weekdays: bit 0 = Monday ... bit 6 = Sunday.
    days          INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),
    timezone      TEXT    NOT NULL,
    -- The only role a post may mention (NULL: no mention).
    role_id       INTEGER,
    -- Only this section's options (NULL: the whole roadmap).
    section_id    TEXT,
    -- Open a thread for answers under each post.
    thread        INTEGER NOT NULL DEFAULT 0 CHECK (thread IN (0, 1)),
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    -- 'admin', 'forbidden' (403) or 'missing' (404); with the detail Discord gave.
    pause_reason  TEXT,
    pause_detail  TEXT,
    paused_at     INTEGER,
    -- The next slot not yet handled.
    next_due_at   INTEGER,
    -- An admin asked for a post right away (/prompts now), at this instant.
    requested_at  INTEGER,
    -- A scheduler working on this server; `claimed_until` also delays a retry.
    claimed_by    TEXT,
    claimed_until INTEGER,
    created_by    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX prompt_schedules_due ON prompt_schedules (next_due_at) WHERE paused = 0;
CREATE INDEX prompt_schedules_requested ON prompt_schedules (requested_at) WHERE requested_at IS NOT NULL;

-- The idempotency key of a post is (guild, slot): a slot is posted at most once, and a retry
-- after a crash finds its row (and its nonce) instead of choosing again.
CREATE TABLE prompt_posts (
    guild_id      INTEGER NOT NULL,
    slot          INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('scheduled', 'manual')),
    item_id       TEXT    NOT NULL,
    prompt_index  INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    nonce         TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('sending', 'sent', 'skipped', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    message_id    INTEGER,
    error         TEXT,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    PRIMARY KEY (guild_id, slot)
) STRICT, WITHOUT ROWID;
