//! `trilha migrate-data`: copies a whole community database from one engine to another (SQLite
//! to PostgreSQL or back), in one consistent snapshot of the source, into an empty, migrated
//! target, in one transaction (a copy that fails leaves the target empty). Every table is then
//! verified: its rows counted and its content checksummed on both sides.

use futures_util::TryStreamExt;
use sqlx::{Pool, Postgres, Row, Sqlite};

use super::backend::{Backend, Column};
use super::errors::StoreError;
use super::schema::schema_check;
use super::{postgres, sqlite};
use crate::config::Database;

/// The type of a column, as copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    OptInt,
    Text,
    OptText,
    Bool,
}

/// Every table of the schema with its columns: what a copy carries.
const TABLES: &[(&str, &[(&str, Kind)])] = {
    use Kind::*;
    &[
        (
            "guilds",
            &[
                ("guild_id", Int),
                ("locale", OptText),
                ("discord_locale", OptText),
                ("timezone", Text),
                ("created_at", Int),
                ("updated_at", Int),
                ("name", OptText),
                ("verified_only", Bool),
                ("announce_rewards", Bool),
                ("icon_hash", OptText),
            ],
        ),
        (
            "progress",
            &[
                ("guild_id", Int),
                ("user_id", Int),
                ("item_id", Text),
                ("state", Text),
                ("since", Int),
            ],
        ),
        (
            "progress_events",
            &[
                ("id", Int),
                ("guild_id", Int),
                ("user_id", Int),
                ("item_id", Text),
                ("from_state", OptText),
                ("to_state", OptText),
                ("cause", Text),
                ("at", Int),
            ],
        ),
        (
            "members",
            &[
                ("guild_id", Int),
                ("user_id", Int),
                ("left_at", OptInt),
                ("checked_at", Int),
                ("display_name", OptText),
                ("avatar_hash", OptText),
            ],
        ),
        (
            "done_tallies",
            &[
                ("guild_id", Int),
                ("scope", Text),
                ("period", Text),
                ("starts", Int),
                ("user_id", Int),
                ("done", Int),
                ("reached_at", Int),
            ],
        ),
        (
            "done_histogram",
            &[
                ("guild_id", Int),
                ("scope", Text),
                ("period", Text),
                ("starts", Int),
                ("done", Int),
                ("members", Int),
            ],
        ),
        (
            "done_days",
            &[
                ("guild_id", Int),
                ("scope", Text),
                ("period", Text),
                ("starts", Int),
                ("done", Int),
                ("day", Int),
                ("members", Int),
            ],
        ),
        (
            "item_counts",
            &[
                ("guild_id", Int),
                ("item_id", Text),
                ("learning", Int),
                ("done", Int),
            ],
        ),
        (
            "prompt_schedules",
            &[
                ("guild_id", Int),
                ("channel_id", Int),
                ("local_time", Text),
                ("days", Int),
                ("timezone", Text),
                ("role_id", OptInt),
                ("section_id", OptText),
                ("thread", Bool),
                ("paused", Bool),
                ("pause_reason", OptText),
                ("pause_detail", OptText),
                ("paused_at", OptInt),
                ("next_due_at", OptInt),
                ("requested_at", OptInt),
                ("claimed_by", OptText),
                ("claimed_until", OptInt),
                ("created_by", Int),
                ("created_at", Int),
                ("updated_at", Int),
                ("digest", Bool),
            ],
        ),
        (
            "prompt_posts",
            &[
                ("guild_id", Int),
                ("slot", Int),
                ("kind", Text),
                ("item_id", Text),
                ("prompt_index", Int),
                ("channel_id", Int),
                ("nonce", Text),
                ("status", Text),
                ("attempts", Int),
                ("message_id", OptInt),
                ("error", OptText),
                ("created_at", Int),
                ("finished_at", OptInt),
            ],
        ),
        (
            "digest_posts",
            &[
                ("guild_id", Int),
                ("week_start", Int),
                ("channel_id", Int),
                ("nonce", Text),
                ("status", Text),
                ("attempts", Int),
                ("message_id", OptInt),
                ("error", OptText),
                ("created_at", Int),
                ("finished_at", OptInt),
            ],
        ),
        (
            "quiz_asks",
            &[
                ("id", Int),
                ("guild_id", Int),
                ("user_id", Int),
                ("item_id", Text),
                ("question", Text),
                ("answer_order", Text),
                ("asked_at", Int),
                ("answered_at", OptInt),
                ("chosen", OptInt),
                ("result", OptText),
                ("answer_seq", OptInt),
            ],
        ),
        (
            "quiz_verified",
            &[
                ("guild_id", Int),
                ("user_id", Int),
                ("item_id", Text),
                ("verified_at", Int),
            ],
        ),
        (
            "streaks",
            &[
                ("guild_id", Int),
                ("user_id", Int),
                ("current", Int),
                ("longest", Int),
                ("freezes", Int),
                ("run", Int),
                ("last_day", Int),
                ("reached_at", Int),
            ],
        ),
        (
            "streak_reminders",
            &[
                ("guild_id", Int),
                ("user_id", Int),
                ("local_time", Text),
                ("locale", Text),
                ("enabled", Bool),
                ("next_due_at", OptInt),
                ("claimed_by", OptText),
                ("claimed_until", OptInt),
                ("dms_closed_at", OptInt),
                ("notice_pending", Bool),
                ("created_at", Int),
                ("updated_at", Int),
            ],
        ),
        (
            "reminder_sends",
            &[
                ("guild_id", Int),
                ("user_id", Int),
                ("day", Int),
                ("nonce", Text),
                ("status", Text),
                ("message_id", OptInt),
                ("created_at", Int),
                ("finished_at", OptInt),
            ],
        ),
        (
            "rewards",
            &[
                ("guild_id", Int),
                ("reward_id", Int),
                ("achievement", Text),
                ("role_id", Int),
                ("keep", Bool),
                ("paused_reason", OptText),
                ("paused_detail", OptText),
                ("paused_at", OptInt),
                ("created_by", Int),
                ("created_at", Int),
            ],
        ),
        (
            "member_rewards",
            &[
                ("guild_id", Int),
                ("user_id", Int),
                ("reward_id", Int),
                ("granted_at", Int),
            ],
        ),
        ("meta", &[("key", Text), ("value", Text)]),
    ]
};

/// Rows per multi-row INSERT: 1 000 rows of at most 19 columns stays under both engines'
/// parameter limits (SQLite 32 766, PostgreSQL 65 535).
const BATCH: usize = 1_000;

/// One value of a row.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

/// An order-independent checksum of a table's content: the wrapping sum of every row's FNV-1a
/// hash over a typed encoding of its values (so `1` and `"1"`, or NULL and `""`, differ).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum(u64);

impl Checksum {
    fn add(&mut self, row: &[Cell]) {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for cell in row {
            match cell {
                Cell::Int(None) | Cell::Text(None) => eat(b"n"),
                Cell::Int(Some(v)) => {
                    eat(b"i");
                    eat(&v.to_le_bytes());
                }
                Cell::Text(Some(t)) => {
                    eat(b"t");
                    eat(&(t.len() as u64).to_le_bytes());
                    eat(t.as_bytes());
                }
                Cell::Bool(b) => eat(if *b { b"b1" } else { b"b0" }),
            }
        }
        self.0 = self.0.wrapping_add(hash);
    }
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What a copy of one table did, verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableCopy {
    pub table: &'static str,
    pub rows: u64,
    pub checksum: Checksum,
}

/// How a long copy is going.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub table: &'static str,
    pub copied: u64,
    pub total: u64,
    /// All tables: rows copied so far and rows in all.
    pub copied_all: u64,
    pub total_all: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("the source and the target are the same database ({0})")]
    SameDatabase(String),
    #[error(
        "the target {target} is not empty ({table} has {rows} rows): migrate-data copies into an empty, migrated database only. Create a new database (or delete the file) and run it again."
    )]
    NotEmpty {
        target: String,
        table: &'static str,
        rows: i64,
    },
    #[error(
        "verification failed for {table}: the source has {source_rows} rows (checksum {source_sum}), the target {target_rows} (checksum {target_sum}). The target holds an incomplete copy: do not switch to it."
    )]
    Mismatch {
        table: &'static str,
        source_rows: u64,
        source_sum: Checksum,
        target_rows: u64,
        target_sum: Checksum,
    },
    #[error("copying {table}: {cause}")]
    Copy {
        table: &'static str,
        cause: sqlx::Error,
    },
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Store(e.into())
    }
}

/// A pool on a database for copying: a SQLite source is opened read-only, a target (or a
/// PostgreSQL source) migrated; either way its schema must be the one this build knows.
enum Side {
    Sqlite(Pool<Sqlite>),
    Postgres(Pool<Postgres>),
}

async fn open(database: &Database, source: bool) -> Result<Side, StoreError> {
    Ok(match database {
        Database::Sqlite(path) if source => {
            let store = sqlite::SqliteStore::open_read_only(path).await?;
            Side::Sqlite(store.sql.reads)
        }
        Database::Sqlite(path) => Side::Sqlite(sqlite::SqliteStore::open(path).await?.sql.writes),
        Database::Postgres(url) => {
            let pool = postgres::pool(url, 2).await?;
            if source {
                schema_check(&postgres::migrator(), &pool, &url.to_string()).await?;
            } else {
                super::schema::migrate(&postgres::migrator(), &pool, &url.to_string()).await?;
            }
            Side::Postgres(pool)
        }
    })
}

/// Copies everything from `from` into `to` (empty), then verifies every table. `progress` is
/// told how the copy goes, every batch.
pub async fn copy(
    from: &Database,
    to: &Database,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<TableCopy>, CopyError> {
    if from == to {
        return Err(CopyError::SameDatabase(to.to_string()));
    }
    let source = open(from, true).await?;
    let target = open(to, false).await?;
    let target_name = to.to_string();
    match (&source, &target) {
        (Side::Sqlite(s), Side::Sqlite(t)) => between(s, t, &target_name, progress).await,
        (Side::Sqlite(s), Side::Postgres(t)) => between(s, t, &target_name, progress).await,
        (Side::Postgres(s), Side::Sqlite(t)) => between(s, t, &target_name, progress).await,
        (Side::Postgres(s), Side::Postgres(t)) => between(s, t, &target_name, progress).await,
    }
}

async fn between<S: Backend, T: Backend>(
    source: &Pool<S>,
    target: &Pool<T>,
    target_name: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<TableCopy>, CopyError>
where
    for<'c> &'c mut S::Connection: sqlx::Executor<'c, Database = S>,
    for<'q> S::Arguments<'q>: sqlx::IntoArguments<'q, S>,
    usize: sqlx::ColumnIndex<S::Row> + sqlx::ColumnIndex<T::Row>,
    i64: Column<S> + Column<T>,
    String: Column<S> + Column<T>,
    bool: Column<S> + Column<T>,
    for<'c> &'c mut T::Connection: sqlx::Executor<'c, Database = T>,
    for<'q> T::Arguments<'q>: sqlx::IntoArguments<'q, T>,
    Option<i64>: for<'q> sqlx::Encode<'q, T>,
    Option<String>: for<'q> sqlx::Encode<'q, T>,
{
    for (table, _) in TABLES {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(target)
            .await?;
        if rows > 0 {
            return Err(CopyError::NotEmpty {
                target: target_name.to_string(),
                table,
                rows,
            });
        }
    }
    // One snapshot of the source for every table, one transaction on the target.
    let mut reading = source.begin_with(S::BEGIN_SNAPSHOT).await?;
    let mut totals = Vec::new();
    for (table, _) in TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *reading)
            .await?;
        totals.push(n.max(0) as u64);
    }
    let mut writing = target.begin().await?;
    let mut count = Progress {
        total_all: totals.iter().sum(),
        ..Progress::default()
    };
    let mut copies = Vec::new();
    for ((table, columns), total) in TABLES.iter().zip(totals) {
        count.table = table;
        count.copied = 0;
        count.total = total;
        let select = format!("SELECT {} FROM {table}", column_list(columns));
        let stream = sqlx::query(&select).fetch(&mut *reading);
        let checksum =
            copy_rows::<S, T>(stream, &mut writing, columns, &mut count, progress).await?;
        copies.push(TableCopy {
            table,
            rows: count.copied,
            checksum,
        });
    }
    for statement in T::AFTER_COPY {
        sqlx::query(statement).execute(&mut *writing).await?;
    }
    writing.commit().await?;
    reading.rollback().await?;
    for copy in &copies {
        verify::<T>(target, copy).await?;
    }
    Ok(copies)
}

fn column_list(columns: &[(&str, Kind)]) -> String {
    columns
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Copies one table's rows from `stream` into `writing` in batches, counting them in `count`
/// (reported after each batch); returns the checksum of what was read.
async fn copy_rows<S: Backend, T: Backend>(
    mut stream: futures_util::stream::BoxStream<'_, Result<S::Row, sqlx::Error>>,
    writing: &mut sqlx::Transaction<'static, T>,
    columns: &[(&'static str, Kind)],
    count: &mut Progress,
    progress: &mut dyn FnMut(Progress),
) -> Result<Checksum, CopyError>
where
    usize: sqlx::ColumnIndex<S::Row>,
    i64: Column<S> + Column<T>,
    String: Column<S> + Column<T>,
    bool: Column<S> + Column<T>,
    for<'c> &'c mut T::Connection: sqlx::Executor<'c, Database = T>,
    for<'q> T::Arguments<'q>: sqlx::IntoArguments<'q, T>,
    Option<i64>: for<'q> sqlx::Encode<'q, T>,
    Option<String>: for<'q> sqlx::Encode<'q, T>,
{
    let (table, list) = (count.table, column_list(columns));
    let mut checksum = Checksum::default();
    let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(BATCH);
    loop {
        let row = stream
            .try_next()
            .await
            .map_err(|cause| CopyError::Copy { table, cause })?;
        if let Some(row) = &row {
            let cells =
                read_row::<S>(row, columns).map_err(|cause| CopyError::Copy { table, cause })?;
            checksum.add(&cells);
            batch.push(cells);
        }
        let done = row.is_none();
        if batch.len() == BATCH || (done && !batch.is_empty()) {
            insert::<T>(writing, table, &list, &batch).await?;
            count.copied += batch.len() as u64;
            count.copied_all += batch.len() as u64;
            batch.clear();
            if !done {
                progress(*count);
            }
        }
        if done {
            progress(*count);
            return Ok(checksum);
        }
    }
}

fn read_row<DB: Backend>(row: &DB::Row, columns: &[(&str, Kind)]) -> Result<Vec<Cell>, sqlx::Error>
where
    usize: sqlx::ColumnIndex<DB::Row>,
    i64: Column<DB>,
    String: Column<DB>,
    bool: Column<DB>,
{
    columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            Ok(match kind {
                Kind::Int => Cell::Int(Some(row.try_get::<i64, _>(i)?)),
                Kind::OptInt => Cell::Int(row.try_get::<Option<i64>, _>(i)?),
                Kind::Text => Cell::Text(Some(row.try_get::<String, _>(i)?)),
                Kind::OptText => Cell::Text(row.try_get::<Option<String>, _>(i)?),
                Kind::Bool => Cell::Bool(row.try_get::<bool, _>(i)?),
            })
        })
        .collect()
}

async fn insert<T: Backend>(
    tx: &mut sqlx::Transaction<'static, T>,
    table: &'static str,
    list: &str,
    rows: &[Vec<Cell>],
) -> Result<(), CopyError>
where
    for<'c> &'c mut T::Connection: sqlx::Executor<'c, Database = T>,
    for<'q> T::Arguments<'q>: sqlx::IntoArguments<'q, T>,
    i64: Column<T>,
    String: Column<T>,
    bool: Column<T>,
    Option<i64>: for<'q> sqlx::Encode<'q, T>,
    Option<String>: for<'q> sqlx::Encode<'q, T>,
{
    let columns = rows.first().map_or(0, Vec::len);
    let sql = format!(
        "INSERT INTO {table} ({list}) VALUES {}",
        T::values(1, rows.len(), columns)
    );
    let mut insert = sqlx::query(&sql);
    for cell in rows.iter().flatten() {
        insert = match cell {
            Cell::Int(v) => insert.bind(*v),
            Cell::Text(v) => insert.bind(v.clone()),
            Cell::Bool(v) => insert.bind(*v),
        };
    }
    insert
        .execute(&mut **tx)
        .await
        .map_err(|cause| CopyError::Copy { table, cause })?;
    Ok(())
}

/// Reads a copied table back from the target and compares its rows and checksum.
async fn verify<T: Backend>(target: &Pool<T>, copy: &TableCopy) -> Result<(), CopyError>
where
    for<'c> &'c mut T::Connection: sqlx::Executor<'c, Database = T>,
    for<'q> T::Arguments<'q>: sqlx::IntoArguments<'q, T>,
    usize: sqlx::ColumnIndex<T::Row>,
    i64: Column<T>,
    String: Column<T>,
    bool: Column<T>,
{
    let (table, columns) = TABLES
        .iter()
        .find(|(t, _)| *t == copy.table)
        .expect("copied tables come from TABLES");
    let list = columns
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!("SELECT {list} FROM {table}");
    let mut stream = sqlx::query(&select).fetch(target);
    let mut checksum = Checksum::default();
    let mut rows = 0u64;
    while let Some(row) = stream.try_next().await? {
        checksum.add(&read_row::<T>(&row, columns)?);
        rows += 1;
    }
    if rows != copy.rows || checksum != copy.checksum {
        return Err(CopyError::Mismatch {
            table,
            source_rows: copy.rows,
            source_sum: copy.checksum,
            target_rows: rows,
            target_sum: checksum,
        });
    }
    Ok(())
}

/// Every table of the schema, in the order copies and backups report them.
pub fn table_names() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|(table, _)| *table)
}

/// A column: its name, type (`integer`, `text` or `boolean`) and whether it may be NULL.
pub type ColumnSpec = (&'static str, &'static str, bool);

/// The schema a copy carries, table by table: each column's name, type (`integer`, `text` or
/// `boolean`) and whether it may be NULL. Both engines' migrations must produce exactly this
/// (a test compares them).
pub fn schema() -> Vec<(&'static str, Vec<ColumnSpec>)> {
    TABLES
        .iter()
        .map(|(table, columns)| {
            let columns = columns
                .iter()
                .map(|(name, kind)| {
                    let (kind, nullable) = match kind {
                        Kind::Int => ("integer", false),
                        Kind::OptInt => ("integer", true),
                        Kind::Text => ("text", false),
                        Kind::OptText => ("text", true),
                        Kind::Bool => ("boolean", false),
                    };
                    (*name, kind, nullable)
                })
                .collect();
            (*table, columns)
        })
        .collect()
}
