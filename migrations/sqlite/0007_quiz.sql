-- Every quiz question asked: which one, the order its answers were shown in (the only place
-- the right button is known: the buttons carry just this row's random id and a letter), and
-- how it was answered.
CREATE TABLE quiz_asks (
    id            INTEGER PRIMARY KEY,
    guild_id      INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    item_id       TEXT    NOT NULL,
    -- The question's key (a hash of its item and English text).
    question      TEXT    NOT NULL,
    -- Four digits: the answer on each button, 0 being the right one.
    answer_order  TEXT    NOT NULL,
    asked_at      INTEGER NOT NULL,
    answered_at   INTEGER,
    -- The button pressed (0 to 3) and the result, once answered.
    chosen        INTEGER,
    result        TEXT CHECK (result IN ('right', 'wrong')),
    -- The member's answers on the item, numbered in order (two in one second stay ordered).
    answer_seq    INTEGER
) STRICT;
CREATE INDEX quiz_asks_by_member ON quiz_asks (guild_id, user_id, item_id, asked_at);

-- Items a member proved: two different questions answered right in a row.
CREATE TABLE quiz_verified (
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    item_id      TEXT    NOT NULL,
    verified_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, item_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX quiz_verified_by_time ON quiz_verified (guild_id, verified_at);

-- The leaderboard counts verified items only (an admin's choice; off by default).
ALTER TABLE guilds ADD COLUMN verified_only INTEGER NOT NULL DEFAULT 0 CHECK (verified_only IN (0, 1));

-- Item counts ("popular here", the heat map) count members still in the server, like the
-- leaderboards: recounted once here, kept so by every write, leave and return since.
DELETE FROM item_counts;
INSERT INTO item_counts (guild_id, item_id, learning, done)
SELECT p.guild_id, p.item_id,
       SUM(CASE WHEN p.state = 'learning' THEN 1 ELSE 0 END),
       SUM(CASE WHEN p.state = 'done' THEN 1 ELSE 0 END)
FROM progress p LEFT JOIN members m ON m.guild_id = p.guild_id AND m.user_id = p.user_id
WHERE m.left_at IS NULL
GROUP BY p.guild_id, p.item_id;
