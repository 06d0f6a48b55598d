//! The database: every SQL statement trilha runs lives in this module.
//!
//! SQLite is opened with WAL (readers never block the writer), `synchronous = NORMAL` (durable
//! across process crashes; a power cut may lose the last transactions but never corrupts),
//! foreign keys on, and a busy timeout so concurrent writers wait instead of failing. Write
//! transactions start with `BEGIN IMMEDIATE` so they take the write lock up front instead of
//! failing half-way when two of them race.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

mod backup;
mod guilds;
mod leaderboard;
mod members;
mod meta;
mod progress;
mod prompts;

pub use backup::{BackupError, TABLES, TableCounts};
pub use guilds::{DEFAULT_TIMEZONE, GuildSettings};
pub use leaderboard::Ranked;
pub use progress::{Cause, Change, Outcome, Target};
pub use prompts::{NewPost, PostEnd, PostStatus, PromptPost, PromptSchedule};

/// How long a writer waits for the lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Readers run in parallel under WAL; writers queue on the busy timeout.
const MAX_CONNECTIONS: u32 = 8;

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
    /// The database holds migrations this build does not know: it was written by a newer trilha.
    #[error(
        "the database {path} was upgraded by a newer trilha (its schema has migration {version}, this build stops at {known}). Run that newer version, or restore the backup you made before upgrading."
    )]
    NewerSchema {
        path: PathBuf,
        version: i64,
        known: i64,
    },
    #[error("cannot upgrade the database schema")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error")]
    Query(#[from] sqlx::Error),
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
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                cause: source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                cause: source,
            })?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                cause: source,
            })?;
        let migrator = sqlx::migrate!("./migrations");
        match migrator.run(&pool).await {
            Ok(()) => {}
            Err(sqlx::migrate::MigrateError::VersionMissing(version)) => {
                return Err(StoreError::NewerSchema {
                    path: path.to_path_buf(),
                    version,
                    known: migrator.iter().map(|m| m.version).max().unwrap_or(0),
                });
            }
            Err(other) => return Err(other.into()),
        }
        Ok(Store { pool })
    }

    /// Waits for in-flight queries and closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction holding the write lock from its first statement. SQLite's default
    /// `BEGIN` (deferred) would take it at the first write and fail with SQLITE_BUSY when another
    /// writer got there first; `BEGIN IMMEDIATE` waits for it (busy timeout) instead.
    async fn write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// `SELECT 1`, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
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
