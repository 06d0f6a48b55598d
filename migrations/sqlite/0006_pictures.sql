-- The server's name as Discord last told us (GUILD_CREATE): pictures show it.
ALTER TABLE guilds ADD COLUMN name TEXT;

-- Whether the weekly digest (the community's heat map and the week's top movers) is posted in
-- the prompts channel.
ALTER TABLE prompt_schedules ADD COLUMN digest INTEGER NOT NULL DEFAULT 0 CHECK (digest IN (0, 1));

-- One row per server and week whose digest was posted (or is being, or failed): the
-- idempotency key is (guild, week), so a week's digest is posted at most once, and a retry
-- after a crash finds its nonce instead of posting again.
CREATE TABLE digest_posts (
    guild_id     INTEGER NOT NULL,
    -- The week the digest reports on: its Monday 00:00 in the server's time zone.
    week_start   INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    nonce        TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    message_id   INTEGER,
    error        TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    PRIMARY KEY (guild_id, week_start)
) STRICT, WITHOUT ROWID;

-- A server's activity over a time window (the heat map's week, the digest): events by time.
CREATE INDEX progress_events_by_time ON progress_events (guild_id, at);
