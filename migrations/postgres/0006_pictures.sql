-- The server's name as Discord last told us (GUILD_CREATE): pictures show it.
ALTER TABLE guilds ADD COLUMN name TEXT;

-- Whether the weekly digest is posted in the prompts channel.
ALTER TABLE prompt_schedules ADD COLUMN digest BOOLEAN NOT NULL DEFAULT FALSE;

-- One row per server and week whose digest was posted (or is being, or failed): the
-- idempotency key is (guild, week).
CREATE TABLE digest_posts (
    guild_id     BIGINT NOT NULL,
    -- The week the digest reports on: its Monday 00:00 in the server's time zone.
    week_start   BIGINT NOT NULL,
    channel_id   BIGINT NOT NULL,
    nonce        TEXT   NOT NULL,
    status       TEXT   NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    message_id   BIGINT,
    error        TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    PRIMARY KEY (guild_id, week_start)
);

-- A server's activity over a time window (the heat map's week, the digest): events by time.
CREATE INDEX progress_events_by_time ON progress_events (guild_id, at);
