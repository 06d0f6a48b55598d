-- Members per (count, day the count was reached) of each leaderboard, kept exact with
-- `done_tallies` like `done_histogram`: a member's rank then scans only their own day's ties.
-- `day` is `reached_at / 86400` (times are after 1970, so this is the UTC day).
CREATE TABLE done_days (
    guild_id  BIGINT NOT NULL,
    scope     TEXT   NOT NULL,
    period    TEXT   NOT NULL,
    starts    BIGINT NOT NULL,
    done      BIGINT NOT NULL,
    day       BIGINT NOT NULL,
    members   BIGINT NOT NULL,
    PRIMARY KEY (guild_id, scope, period, starts, done, day)
);

INSERT INTO done_days (guild_id, scope, period, starts, done, day, members)
SELECT guild_id, scope, period, starts, done, reached_at / 86400, COUNT(*) FROM done_tallies
GROUP BY guild_id, scope, period, starts, done, reached_at / 86400;

-- A member's own rows, for the write path (one read of all their boards) and for removing them
-- when they leave.
CREATE INDEX done_tallies_by_member ON done_tallies (guild_id, user_id, done, reached_at);
