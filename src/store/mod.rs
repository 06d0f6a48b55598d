//! The database: every SQL statement trilha runs lives in this module.
//!
//! SQLite is opened with WAL (readers never block the writer, nor the writer the readers),
//! `synchronous = NORMAL` (durable across process crashes; a power cut may lose the last
//! transactions but never corrupts), and foreign keys on.
//!
//! Two pools, because Discord gives an interaction 3 seconds: one **writer** connection that
//! every write goes through, and a pool of read-only **reader** connections. A read never
//! queues behind writers (a held write lock cannot starve `/roadmap`), and writers queue on the
//! one writer connection instead of all holding connections while they wait for SQLite's lock.
//! Write transactions start with `BEGIN IMMEDIATE` so they take the write lock up front instead
//! of failing half-way when another process's writer got there first.
//!
//! A writer connection whose transaction ended badly (SQLite rolls a transaction back by itself
//! on a full disk or an I/O error, and sqlx's own `ROLLBACK` then fails) is closed when it is
//! released, never reused: see [`release_clean`].

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection, Database, Sqlite, Transaction, TransactionManager};

mod backup;
mod files;
mod guilds;
mod leaderboard;
mod members;
mod meta;
mod progress;
mod prompts;

pub use backup::{BackupError, TABLES, TableCounts};

/// How long a write waits for SQLite's write lock (held by another process, a backup's
/// checkpoint...). Interactions that wait this long have been deferred by then.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write waits for the writer connection (other writes of this process ahead).
const WRITER_WAIT: Duration = Duration::from_secs(5);
/// Readers rarely wait at all under WAL; this only covers WAL recovery after a crash.
const READER_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// Reads run in parallel under WAL.
const READERS: u32 = 8;
/// How long `/healthz` waits for its write probe.
pub const WRITE_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot create the database folder {path}: {cause}. Check DATABASE_URL and that the user running trilha may write there."
    )]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error(
        "cannot open the database {path}: {cause}. Check DATABASE_URL and that the user running trilha may write there."
    )]
    Open { path: PathBuf, cause: sqlx::Error },
    /// A 0-byte file where the database should be: a failed restore or copy, not a new database.
    #[error(
        "the database file {path} is empty (0 bytes): it is not a trilha database, and starting on it would silently begin a new, empty community. Restore it from a backup (`trilha backup` writes them), or delete the file to start fresh on purpose."
    )]
    EmptyFile { path: PathBuf },
    #[error(
        "there is no database at {path}: set DATABASE_URL to the file the bot uses (a relative path is read from the current folder)"
    )]
    Missing { path: PathBuf },
    /// The database holds migrations this build does not know: it was written by a newer trilha.
    #[error(
        "the database {path} was upgraded by a newer trilha (its schema has migration {version}, this build stops at {known}). Run that newer version, or restore the backup you made before upgrading."
    )]
    NewerSchema {
        path: PathBuf,
        version: i64,
        known: i64,
    },
    /// The database lacks migrations this build knows (only read-only opens refuse it).
    #[error(
        "the database {path} has an older schema (migration {version}; this build knows {known}). Start this trilha once to upgrade it, then try again."
    )]
    OlderSchema {
        path: PathBuf,
        version: i64,
        known: i64,
    },
    #[error("cannot upgrade the database schema")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The write lock or the writer connection stayed taken longer than we wait.
    #[error("the database is busy (the write lock stayed taken): {0}")]
    Busy(sqlx::Error),
    #[error("database error")]
    Query(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_busy(&error) {
            StoreError::Busy(error)
        } else {
            StoreError::Query(error)
        }
    }
}

/// SQLITE_BUSY / SQLITE_LOCKED (and their extended codes), or no writer connection in time.
fn is_busy(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    }
}

impl StoreError {
    /// The write lock was taken for too long: worth telling the member to try again.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy(_))
    }
}

/// Converts a Discord id to the INTEGER column type (bit-for-bit; ids above i64::MAX wrap).
pub fn to_db_id(id: u64) -> i64 {
    id as i64
}

/// The inverse of [`to_db_id`].
pub fn from_db_id(id: i64) -> u64 {
    id as u64
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    /// Read-only connections: every read.
    reads: SqlitePool,
    /// The one writer connection: every write.
    writes: SqlitePool,
    /// The `/healthz` write probe's own connection, with a short busy timeout.
    probe: Arc<tokio::sync::Mutex<Option<SqliteConnection>>>,
    path: PathBuf,
}

fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations")
}

fn base_options(path: &Path) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str("sqlite://")
        .map_err(|cause| StoreError::Open {
            path: path.to_path_buf(),
            cause,
        })?
        .filename(path)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true))
}

/// `after_release` of the writer pool: a connection goes back only when no transaction is left
/// open on it. When SQLite rolled a transaction back by itself (SQLITE_FULL, SQLITE_IOERR),
/// sqlx's `ROLLBACK` fails and its transaction depth stays at 1: every later `BEGIN IMMEDIATE`
/// on that connection would fail ("non-zero transaction depth") until it was recycled.
fn release_clean(
    conn: &mut SqliteConnection,
    _meta: sqlx::pool::PoolConnectionMetadata,
) -> futures_core_box::BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        // The ping goes through the connection's worker after the queued rollback, so the
        // depth read below is the one the rollback left.
        conn.ping().await?;
        let depth = <Sqlite as Database>::TransactionManager::get_transaction_depth(conn);
        if depth != 0 {
            tracing::warn!(
                depth,
                "a database connection was left inside a failed transaction; it is closed and replaced"
            );
        }
        Ok(depth == 0)
    })
}

/// The boxed future type sqlx's pool callbacks return.
mod futures_core_box {
    pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        files::prepare(path)?;
        // WAL is a property of the file: the writer sets it once, readers find it.
        let options = base_options(path)?
            .journal_mode(SqliteJournalMode::Wal)
            .create_if_missing(true)
            .busy_timeout(BUSY_TIMEOUT);
        let writes = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(WRITER_WAIT)
            .after_release(release_clean)
            .connect_with(options)
            .await
            .map_err(|cause| StoreError::Open {
                path: path.to_path_buf(),
                cause,
            })?;
        let migrator = migrator();
        match migrator.run(&writes).await {
            Ok(()) => {}
            Err(sqlx::migrate::MigrateError::VersionMissing(version)) => {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    version,
                    known: known_version(&migrator),
                });
            }
            Err(other) => return Err(other.into()),
        }
        let reads = readers(path, READERS).await?;
        Ok(Store {
            reads,
            writes,
            probe: Arc::default(),
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database for reading only, without touching its schema (backups): it
    /// must exist, hold data and have exactly the schema this build knows.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        match std::fs::metadata(path) {
            Ok(m) if m.len() == 0 => {
                return Err(StoreError::EmptyFile {
                    path: path.to_path_buf(),
                });
            }
            Ok(_) => {}
            Err(_) => {
                return Err(StoreError::Missing {
                    path: path.to_path_buf(),
                });
            }
        }
        let reads = readers(path, 2).await?;
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&reads)
        .await
        .map_err(|cause| StoreError::Open {
            path: path.to_path_buf(),
            cause,
        })?;
        let migrator = migrator();
        let known = known_version(&migrator);
        let version = applied.last().copied().unwrap_or(0);
        if let Some(&unknown) = applied
            .iter()
            .find(|v| !migrator.iter().any(|m| m.version == **v))
        {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                version: unknown,
                known,
            });
        }
        if migrator.iter().any(|m| !applied.contains(&m.version)) {
            return Err(StoreError::OlderSchema {
                path: path.to_path_buf(),
                version,
                known,
            });
        }
        Ok(Store {
            writes: reads.clone(),
            reads,
            probe: Arc::default(),
            path: path.to_path_buf(),
        })
    }

    /// Waits for in-flight queries and closes every connection (checkpointing the WAL).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn close(&self) {
        self.reads.close().await;
        if let Some(probe) = self.probe.lock().await.take() {
            let _ = probe.close().await;
        }
        self.writes.close().await;
    }

    /// A write transaction holding the write lock from its first statement. SQLite's default
    /// `BEGIN` (deferred) would take it at the first write and fail with SQLITE_BUSY when another
    /// writer got there first; `BEGIN IMMEDIATE` waits for it (busy timeout) instead.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.writes.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// `SELECT 1` on a reader, for health checks.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reads).await?;
        Ok(())
    }

    /// Whether the database can take a write right now: writes a row on a connection of its
    /// own that waits at most [`WRITE_PROBE_TIMEOUT`] for the lock. A full disk, a read-only
    /// file system or a lock held for long all fail it.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn write_probe(&self, now: i64) -> Result<(), StoreError> {
        let mut slot = self.probe.lock().await;
        if slot.is_none() {
            let options = base_options(&self.path)?
                .busy_timeout(WRITE_PROBE_TIMEOUT)
                .log_statements(tracing::log::LevelFilter::Off);
            *slot = Some(SqliteConnection::connect_with(&options).await?);
        }
        let conn = slot.as_mut().expect("just connected");
        let result = meta::set_meta_in(&mut *conn, "health_probe", &now.to_string()).await;
        if result.is_err() {
            // Start the next probe on a fresh connection: this one may be in any state.
            if let Some(conn) = slot.take() {
                let _ = conn.close().await;
            }
        }
        result
    }
}

fn known_version(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The read-only pool.
async fn readers(path: &Path, max: u32) -> Result<SqlitePool, StoreError> {
    let options = base_options(path)?
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(READER_BUSY_TIMEOUT);
    SqlitePoolOptions::new()
        .max_connections(max)
        .connect_with(options)
        .await
        .map_err(|cause| StoreError::Open {
            path: path.to_path_buf(),
            cause,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_round_trip_through_integer() {
        for id in [1u64, 123456789012345678, u64::MAX, i64::MAX as u64 + 1] {
            assert_eq!(from_db_id(to_db_id(id)), id);
        }
    }
}
