-- Members per (count, day the count was reached) of each leaderboard, kept exact with
-- `done_tallies` like `done_histogram`. The members tied with someone on the count who reached it
-- on an earlier day become a sum over one row per day, so finding a member's rank scans only
-- their own day's ties instead of the whole tie group (16 000 members on the 100 000-member
-- bench). `day` is `reached_at / 86400` (times are after 1970, so this is the UTC day).
CREATE TABLE done_days (
    guild_id  INTEGER NOT NULL,
    scope     TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    starts    INTEGER NOT NULL,
    done      INTEGER NOT NULL,
    day       INTEGER NOT NULL,
    members   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, scope, period, starts, done, day)
) STRICT, WITHOUT ROWID;

INSERT INTO done_days (guild_id, scope, period, starts, done, day, members)
SELECT guild_id, scope, period, starts, done, reached_at / 86400, COUNT(*) FROM done_tallies
GROUP BY guild_id, scope, period, starts, done, reached_at / 86400;

-- A member's own rows, for the write path (one read of all their boards) and for removing them
-- when they leave: without it both scanned every tally of the database. It covers the read
-- (SQLite, without statistics, would otherwise prefer the covering ranking index and scan the
-- whole server: 44 ms per /done on the 100 000-member bench).
CREATE INDEX done_tallies_by_member ON done_tallies (guild_id, user_id, done, reached_at);
