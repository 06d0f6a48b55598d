-- Study streaks: a summary per member, kept one study day at a time by the writes that make
-- study days (marks, quiz answers) and recomputed from the event log when it may be stale (a new
-- time zone, this migration). Days are numbers (days since 1970-01-01) in the server's time zone.
CREATE TABLE streaks (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    current     INTEGER NOT NULL,
    longest     INTEGER NOT NULL,
    freezes     INTEGER NOT NULL,
    run         INTEGER NOT NULL,
    last_day    INTEGER NOT NULL,
    reached_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX streaks_board ON streaks (guild_id, current, reached_at);

-- A member's daily reminder to keep their streak (a DM at a local time).
CREATE TABLE streak_reminders (
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    local_time      TEXT    NOT NULL,
    -- The member's language when they asked (reminders are DMs, outside any interaction).
    locale          TEXT    NOT NULL,
    enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    -- The next time to consider sending one; a scheduler working on it, until when.
    next_due_at     INTEGER,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    -- Discord refused a DM (the member closed them): reminders were turned off, and the member
    -- is told at their next command.
    dms_closed_at   INTEGER,
    notice_pending  INTEGER NOT NULL DEFAULT 0 CHECK (notice_pending IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX streak_reminders_due ON streak_reminders (next_due_at) WHERE enabled;

-- One row per member and day a reminder was sent (or is being): at most one per day, whatever
-- restarts happen; a retry finds its nonce.
CREATE TABLE reminder_sends (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    day          INTEGER NOT NULL,
    nonce        TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('sending', 'sent', 'skipped', 'failed')),
    message_id   INTEGER,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    PRIMARY KEY (guild_id, user_id, day)
) STRICT, WITHOUT ROWID;

-- Roles a server gives for achievements: `achievement` is `section:<id>`, `milestone:<id>`,
-- `items:<n>` or `streak:<n>`. A reward Discord refused (403/404) is paused with the reason.
CREATE TABLE rewards (
    guild_id       INTEGER NOT NULL,
    reward_id      INTEGER NOT NULL,
    achievement    TEXT    NOT NULL,
    role_id        INTEGER NOT NULL,
    keep           INTEGER NOT NULL CHECK (keep IN (0, 1)),
    paused_reason  TEXT,
    paused_detail  TEXT,
    paused_at      INTEGER,
    created_by     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (guild_id, reward_id)
) STRICT, WITHOUT ROWID;

-- Who holds which reward's role (as trilha gave it).
CREATE TABLE member_rewards (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    reward_id   INTEGER NOT NULL,
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, reward_id)
) STRICT, WITHOUT ROWID;

-- Milestones are announced in the prompts channel (an admin's choice; off by default).
ALTER TABLE guilds ADD COLUMN announce_rewards INTEGER NOT NULL DEFAULT 0 CHECK (announce_rewards IN (0, 1));
