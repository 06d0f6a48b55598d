//! SQLite, the embedded default: one file, nothing to run.
//!
//! Opened with WAL (readers never block the writer, nor the writer the readers),
//! `synchronous = NORMAL` (durable across process crashes; a power cut may lose the last
//! transactions but never corrupts), and foreign keys on.
//!
//! Two pools, because Discord gives an interaction 3 seconds: one **writer** connection that
//! every write goes through, and a pool of read-only **reader** connections. A read never queues
//! behind writers (a held write lock cannot starve `/roadmap`), and writers queue on the one
//! writer connection instead of all holding connections while they wait for SQLite's lock.
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
use sqlx::{ConnectOptions, Connection, Database, Sqlite, TransactionManager};

use super::backend::Sql;
use super::errors::StoreError;
use super::files;
use super::schema::{migrate, schema_check};

/// How long a write waits for SQLite's write lock (held by another process, a backup's
/// checkpoint...). Interactions that wait this long have been deferred by then.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a write waits for the writer connection (other writes of this process ahead).
const WRITER_WAIT: Duration = Duration::from_secs(5);
/// Readers rarely wait at all under WAL; this only covers WAL recovery after a crash.
const READER_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// Reads run in parallel under WAL.
const READERS: u32 = 8;

/// The SQLite side of a store: the pools, and what only SQLite has.
#[derive(Clone, Debug)]
pub(super) struct SqliteStore {
    pub(super) sql: Sql<Sqlite>,
    /// The `/healthz` write probe's own connection, with a short busy timeout.
    probe: Arc<tokio::sync::Mutex<Option<SqliteConnection>>>,
    pub(super) path: PathBuf,
}

pub(super) fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations/sqlite")
}

fn base_options(path: &Path) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str("sqlite://")
        .map_err(|cause| StoreError::Open {
            target: path.display().to_string(),
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
) -> std::pin::Pin<Box<dyn Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
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

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub(super) async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        files::prepare(path)?;
        // WAL is a property of the file: the writer sets it once, readers find it.
        let options = base_options(path)?
            .journal_mode(SqliteJournalMode::Wal)
            .create_if_missing(true)
            .busy_timeout(BUSY_TIMEOUT);
        // No ping before each use: a file's connection does not go stale, and the ping is a
        // round trip to the connection's thread before every query.
        let writes = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(WRITER_WAIT)
            .after_release(release_clean)
            .connect_with(options)
            .await
            .map_err(|cause| StoreError::Open {
                target: path.display().to_string(),
                cause,
            })?;
        migrate(&migrator(), &writes, &path.display().to_string()).await?;
        let reads = readers(path, READERS).await?;
        Ok(SqliteStore {
            sql: Sql { reads, writes },
            probe: Arc::default(),
            path: path.to_path_buf(),
        })
    }

    /// Opens an existing database for reading only, without touching its schema (backups): it
    /// must exist, hold data and have exactly the schema this build knows.
    pub(super) async fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
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
        schema_check(&migrator(), &reads, &path.display().to_string()).await?;
        Ok(SqliteStore {
            sql: Sql {
                writes: reads.clone(),
                reads,
            },
            probe: Arc::default(),
            path: path.to_path_buf(),
        })
    }

    /// Waits for in-flight queries and closes every connection (checkpointing the WAL).
    pub(super) async fn close(&self) {
        self.sql.reads.close().await;
        if let Some(probe) = self.probe.lock().await.take() {
            let _ = probe.close().await;
        }
        self.sql.writes.close().await;
    }

    /// Writes a row on a connection of its own that waits at most `timeout` for the lock.
    pub(super) async fn write_probe(&self, now: i64, timeout: Duration) -> Result<(), StoreError> {
        let mut slot = self.probe.lock().await;
        if slot.is_none() {
            let options = base_options(&self.path)?
                .busy_timeout(timeout)
                .log_statements(tracing::log::LevelFilter::Off);
            *slot = Some(SqliteConnection::connect_with(&options).await?);
        }
        let conn = slot.as_mut().expect("just connected");
        let result = Sql::<Sqlite>::set_meta_in(&mut *conn, "health_probe", &now.to_string()).await;
        if result.is_err() {
            // Start the next probe on a fresh connection: this one may be in any state.
            if let Some(conn) = slot.take() {
                let _ = conn.close().await;
            }
        }
        result
    }
}

/// The read-only pool.
async fn readers(path: &Path, max: u32) -> Result<SqlitePool, StoreError> {
    let options = base_options(path)?
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(READER_BUSY_TIMEOUT);
    SqlitePoolOptions::new()
        .max_connections(max)
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|cause| StoreError::Open {
            target: path.display().to_string(),
            cause,
        })
}
