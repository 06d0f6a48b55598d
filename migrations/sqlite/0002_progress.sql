-- Member progress, its history, and the leaderboard tallies derived from them.
-- Times are UTC epoch seconds; Discord ids are INTEGER (see store::to_db_id).

-- A member's current state per roadmap item. No row means pending. Rows whose item left the
-- roadmap stay here, counted nowhere, and count again if the id comes back.
CREATE TABLE progress (
    guild_id  INTEGER NOT NULL,
    user_id   INTEGER NOT NULL,
    item_id   TEXT    NOT NULL,
    state     TEXT    NOT NULL CHECK (state IN ('learning', 'done', 'skipped')),
    -- When the current state was set; marking the same state again keeps it.
    since     INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id, item_id)
) STRICT, WITHOUT ROWID;

-- Every change, in order: history and periods are computed from these facts.
CREATE TABLE progress_events (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    item_id     TEXT    NOT NULL,
    -- NULL means pending.
    from_state  TEXT CHECK (from_state IN ('learning', 'done', 'skipped')),
    to_state    TEXT CHECK (to_state IN ('learning', 'done', 'skipped')),
    -- 'mark' (a command or button) or 'undo'.
    cause       TEXT    NOT NULL CHECK (cause IN ('mark', 'undo')),
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX progress_events_by_item ON progress_events (guild_id, user_id, item_id, id);

-- Leaderboard counts, derived from `progress` (done rows of items in the current roadmap, of
-- members still in the server) and kept exact by every write. `scope` is '' for the whole
-- roadmap or a section id; `period` is 'all', 'week' or 'month' with `starts` the period's
-- first second in the server's time zone (0 for 'all').
CREATE TABLE done_tallies (
    guild_id    INTEGER NOT NULL,
    scope       TEXT    NOT NULL,
    period      TEXT    NOT NULL CHECK (period IN ('all', 'week', 'month')),
    starts      INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    done        INTEGER NOT NULL CHECK (done > 0),
    -- When the member reached this count: the latest counted completion. Ties rank by it.
    reached_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, scope, period, starts, user_id)
) STRICT, WITHOUT ROWID;
-- The ranking order, so a page and a rank are index range reads.
CREATE INDEX done_tallies_rank ON done_tallies (guild_id, scope, period, starts, done DESC, reached_at, user_id);

-- What trilha knows about members' presence in a server.
CREATE TABLE members (
    guild_id    INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    -- NULL while the member is in the server.
    left_at     INTEGER,
    -- The last time presence was confirmed (an interaction, an event, or a look-up).
    checked_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

-- Small facts about the database itself, such as the roadmap the tallies were built for.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;

-- How many members of a server are learning or have done each item ("popular here").
-- Derived from `progress` and kept exact by every write, like the tallies.
CREATE TABLE item_counts (
    guild_id  INTEGER NOT NULL,
    item_id   TEXT    NOT NULL,
    learning  INTEGER NOT NULL DEFAULT 0 CHECK (learning >= 0),
    done      INTEGER NOT NULL DEFAULT 0 CHECK (done >= 0),
    PRIMARY KEY (guild_id, item_id)
) STRICT, WITHOUT ROWID;

-- How many members of a leaderboard have each count, kept exact with `done_tallies`: a board's
-- size and the number of members ahead of someone become sums over a few rows instead of
-- counts over the whole board.
CREATE TABLE done_histogram (
    guild_id  INTEGER NOT NULL,
    scope     TEXT    NOT NULL,
    period    TEXT    NOT NULL,
    starts    INTEGER NOT NULL,
    done      INTEGER NOT NULL,
    members   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, scope, period, starts, done)
) STRICT, WITHOUT ROWID;
