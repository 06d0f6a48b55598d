-- Periodic study prompts. The PostgreSQL twin of migrations/sqlite/0003_prompts.sql.

CREATE TABLE prompt_schedules (
    guild_id      BIGINT PRIMARY KEY,
    channel_id    BIGINT  NOT NULL,
    -- Local time of day, "HH:MM", in `timezone`.
    local_time    TEXT    NOT NULL,
    -- Weekdays: bit 0 = Monday ... bit 6 = Sunday.
    days          BIGINT  NOT NULL CHECK (days BETWEEN 1 AND 127),
    timezone      TEXT    NOT NULL,
    role_id       BIGINT,
    section_id    TEXT,
    thread        BOOLEAN NOT NULL DEFAULT FALSE,
    paused        BOOLEAN NOT NULL DEFAULT FALSE,
    -- 'admin', 'forbidden' (403), 'missing' (404) or 'invalid'; the detail is Discord's error code.
    pause_reason  TEXT,
    pause_detail  TEXT,
    paused_at     BIGINT,
    next_due_at   BIGINT,
    requested_at  BIGINT,
    claimed_by    TEXT,
    claimed_until BIGINT,
    created_by    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX prompt_schedules_due ON prompt_schedules (next_due_at) WHERE NOT paused;
CREATE INDEX prompt_schedules_requested ON prompt_schedules (requested_at) WHERE requested_at IS NOT NULL;

-- The idempotency key of a post is (guild, slot).
CREATE TABLE prompt_posts (
    guild_id      BIGINT NOT NULL,
    slot          BIGINT NOT NULL,
    kind          TEXT   NOT NULL CHECK (kind IN ('scheduled', 'manual')),
    item_id       TEXT   NOT NULL,
    prompt_index  BIGINT NOT NULL,
    channel_id    BIGINT NOT NULL,
    nonce         TEXT   NOT NULL,
    status        TEXT   NOT NULL CHECK (status IN ('sending', 'sent', 'skipped', 'failed')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    message_id    BIGINT,
    error         TEXT,
    created_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    PRIMARY KEY (guild_id, slot)
);
