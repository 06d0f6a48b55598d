-- Study streaks: a summary per member (see the SQLite migration for the details).
CREATE TABLE streaks (
    guild_id    BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    current     BIGINT NOT NULL,
    longest     BIGINT NOT NULL,
    freezes     BIGINT NOT NULL,
    run         BIGINT NOT NULL,
    last_day    BIGINT NOT NULL,
    reached_at  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX streaks_board ON streaks (guild_id, current, reached_at);

-- A member's daily reminder to keep their streak (a DM at a local time).
CREATE TABLE streak_reminders (
    guild_id        BIGINT  NOT NULL,
    user_id         BIGINT  NOT NULL,
    local_time      TEXT    NOT NULL,
    -- The member's language when they asked (reminders are DMs, outside any interaction).
    locale          TEXT    NOT NULL,
    enabled         BOOLEAN NOT NULL,
    next_due_at     BIGINT,
    claimed_by      TEXT,
    claimed_until   BIGINT,
    dms_closed_at   BIGINT,
    notice_pending  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
CREATE INDEX streak_reminders_due ON streak_reminders (next_due_at) WHERE enabled;

-- One row per member and day a reminder was sent (or is being).
CREATE TABLE reminder_sends (
    guild_id     BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    day          BIGINT NOT NULL,
    nonce        TEXT   NOT NULL,
    status       TEXT   NOT NULL CHECK (status IN ('sending', 'sent', 'skipped', 'failed')),
    message_id   BIGINT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT,
    PRIMARY KEY (guild_id, user_id, day)
);

-- Roles a server gives for achievements.
CREATE TABLE rewards (
    guild_id       BIGINT  NOT NULL,
    reward_id      BIGINT  NOT NULL,
    achievement    TEXT    NOT NULL,
    role_id        BIGINT  NOT NULL,
    keep           BOOLEAN NOT NULL,
    paused_reason  TEXT,
    paused_detail  TEXT,
    paused_at      BIGINT,
    created_by     BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (guild_id, reward_id)
);

-- Who holds which reward's role (as trilha gave it).
CREATE TABLE member_rewards (
    guild_id    BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    reward_id   BIGINT NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (guild_id, user_id, reward_id)
);

-- Milestones are announced in the prompts channel (an admin's choice; off by default).
ALTER TABLE guilds ADD COLUMN announce_rewards BOOLEAN NOT NULL DEFAULT FALSE;
