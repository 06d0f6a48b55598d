//! The two database engines behind one set of queries.
//!
//! Every query is written once, in SQL both engines accept (`$1` parameters, `CASE` rather than
//! `MAX(a, b)`/`GREATEST`, `IS DISTINCT FROM`, `CAST(SUM(...) AS BIGINT)`, booleans as `TRUE`,
//! `FALSE` and `NOT paused`), in methods generic over the engine ([`Sql`]). What differs is
//! stated here, once, as the [`Backend`] of each engine: how a write transaction starts, how
//! concurrent writers of one member or one server are kept apart, how claimers skip each other's
//! rows, and which errors mean "the lock stayed taken". SQLite serializes every write with its one
//! write lock; PostgreSQL runs writes concurrently and uses transaction-scoped advisory locks
//! where two writes must not interleave.

use sqlx::{Pool, Postgres, Sqlite};

/// A Rust type both engines store and read back (trilha's are `i64`, `String` and `bool`, and
/// their `Option`s). A bound `i64: Column<DB>` brings Encode, Decode and Type with it.
pub trait Column<DB: sqlx::Database>:
    for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB> + Send
{
}

impl<DB: sqlx::Database, T> Column<DB> for T where
    T: for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB> + Send
{
}

/// What differs between the engines.
pub trait Backend: sqlx::Database {
    /// For messages and metrics.
    const NAME: &'static str;
    /// Starts a write transaction.
    const BEGIN_WRITE: &'static str;
    /// Starts a read-only transaction that sees one snapshot throughout (a consistent copy).
    const BEGIN_SNAPSHOT: &'static str;
    /// Run after rows were copied in with their ids (identity sequences move past them) and the
    /// planner's statistics refreshed (a bulk load leaves none until autovacuum gets to it, and
    /// without them PostgreSQL may answer a primary-key lookup from the ranking index: 16 ms
    /// instead of 0.1 ms per tally on the 100 000-member bench).
    const AFTER_COPY: &'static [&'static str];
    /// Appended to the subquery that picks due schedules: concurrent claimers skip each other's
    /// rows instead of waiting for them.
    const SKIP_LOCKED: &'static str;
    /// Serializes the writes of one member ($2) while letting other members of the same server
    /// ($1) write, but not while the server is being rebuilt. `None` when the engine's own write
    /// lock already serializes everything.
    const LOCK_MEMBER: Option<&'static str>;
    /// Serializes a server-wide rebuild ($1) against every other write to that server.
    const LOCK_GUILD: Option<&'static str>;
    /// Whether a database error code means a lock was not obtained in time.
    fn is_busy(code: &str) -> bool;
    /// How many rows a statement changed.
    fn rows_affected(result: &Self::QueryResult) -> u64;
    /// The parameters of a multi-row `VALUES` list: `rows` tuples of `columns` values each,
    /// numbered from `first` (the list's parameters come before any other of the statement).
    fn values(first: usize, rows: usize, columns: usize) -> String {
        placeholders(first, rows, columns)
    }
}

impl Backend for Sqlite {
    const NAME: &'static str = "SQLite";
    // Takes the write lock up front: a deferred BEGIN would fail half-way with SQLITE_BUSY when
    // another writer got there first; this waits for it (busy timeout) instead.
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    // Under WAL a read transaction sees the snapshot of its first read until it ends.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN";
    // `INTEGER PRIMARY KEY` continues after the highest id by itself.
    const AFTER_COPY: &'static [&'static str] = &[];
    const SKIP_LOCKED: &'static str = "";
    const LOCK_MEMBER: Option<&'static str> = None;
    const LOCK_GUILD: Option<&'static str> = None;

    fn is_busy(code: &str) -> bool {
        // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
        code.parse::<i32>()
            .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }

    /// Anonymous `?`s when the list starts the statement's parameters (sqlx binds those in
    /// order). SQLite finds each numbered name with a linear scan
    /// (`sqlite3_bind_parameter_name`), which made a 5 000-parameter insert quadratic: 92% of a
    /// PostgreSQL-to-SQLite copy's time, 7 minutes instead of one for the bench database.
    fn values(first: usize, rows: usize, columns: usize) -> String {
        if first != 1 {
            return placeholders(first, rows, columns);
        }
        let tuple = format!("({})", vec!["?"; columns].join(", "));
        vec![tuple; rows].join(", ")
    }
}

impl Backend for Postgres {
    const NAME: &'static str = "PostgreSQL";
    const BEGIN_WRITE: &'static str = "BEGIN";
    const BEGIN_SNAPSHOT: &'static str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    const AFTER_COPY: &'static [&'static str] = &[
        "SELECT setval(pg_get_serial_sequence('progress_events', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM progress_events",
        "ANALYZE",
    ];
    const SKIP_LOCKED: &'static str = "FOR UPDATE SKIP LOCKED";
    const LOCK_MEMBER: Option<&'static str> =
        Some("SELECT pg_advisory_xact_lock_shared($1), pg_advisory_xact_lock($2)");
    const LOCK_GUILD: Option<&'static str> = Some("SELECT pg_advisory_xact_lock($1)");

    fn is_busy(code: &str) -> bool {
        // lock_not_available (lock_timeout), query_canceled (statement_timeout),
        // serialization_failure, deadlock_detected.
        matches!(code, "55P03" | "57014" | "40001" | "40P01")
    }

    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

/// `$first, ..., $n` placeholders for `rows` tuples of `columns` values each, numbered from
/// `first`: `($1, $2), ($3, $4)`. Multi-row inserts use [`Backend::values`]. (sqlx's `QueryBuilder` cannot be used by code generic over
/// the engine: its arguments' lifetime cannot be stated there.)
pub fn placeholders(first: usize, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let values: Vec<String> = (0..columns)
                .map(|c| format!("${}", first + r * columns + c))
                .collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One engine's connections: every read goes to `reads`, every write to `writes`. For SQLite
/// these are a read-only pool and the one writer connection; for PostgreSQL the same pool.
#[derive(Debug)]
pub struct Sql<DB: Backend> {
    pub(super) reads: Pool<DB>,
    pub(super) writes: Pool<DB>,
}

impl<DB: Backend> Clone for Sql<DB> {
    fn clone(&self) -> Self {
        Sql {
            reads: self.reads.clone(),
            writes: self.writes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lists_number_their_parameters_where_the_engine_needs_it() {
        assert_eq!(Postgres::values(1, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(Sqlite::values(1, 2, 2), "(?, ?), (?, ?)");
        // After numbered parameters, anonymous ones would be bound from the first argument.
        assert_eq!(Sqlite::values(3, 1, 2), "($3, $4)");
    }
}
