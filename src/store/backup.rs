//! Online backups: `VACUUM INTO` writes a consistent copy while the bot keeps running (it reads
//! one snapshot; under WAL, writers are not blocked).

use std::path::Path;

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection};
use tracing::log::LevelFilter;

use super::{Store, StoreError};

/// The tables a backup is checked by, in the order they are reported.
pub const TABLES: &[&str] = &[
    "guilds",
    "progress",
    "progress_events",
    "members",
    "done_tallies",
    "done_histogram",
    "item_counts",
    "prompt_schedules",
    "prompt_posts",
    "meta",
];

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists: choose a new file name (a backup never overwrites)")]
    Exists(String),
    #[error("cannot write the backup")]
    Write(#[from] StoreError),
    #[error("the backup was written but does not check out: {0}")]
    Check(String),
}

/// Rows per table, as (table, rows).
pub type TableCounts = Vec<(&'static str, i64)>;

async fn counts(pool: &sqlx::SqlitePool) -> Result<TableCounts, sqlx::Error> {
    let mut out = Vec::new();
    for table in TABLES {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(pool)
            .await?;
        out.push((*table, n));
    }
    Ok(out)
}

impl Store {
    /// Rows per table.
    pub async fn table_counts(&self) -> Result<TableCounts, StoreError> {
        Ok(counts(&self.pool).await?)
    }

    /// Writes a consistent copy of the database to `target`, then opens the copy read-only,
    /// runs SQLite's integrity check and counts its rows.
    pub async fn backup(&self, target: &Path) -> Result<TableCounts, BackupError> {
        if target.exists() {
            return Err(BackupError::Exists(target.display().to_string()));
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                cause: source,
            })?;
        }
        // Copying and checking a large database takes seconds by design: on connections of
        // their own, so sqlx's "slow statement" warning stays meaningful for the bot's queries.
        let source_options = (*self.pool.connect_options())
            .clone()
            .log_slow_statements(LevelFilter::Off, Duration::ZERO);
        let mut source = SqliteConnection::connect_with(&source_options)
            .await
            .map_err(StoreError::from)?;
        let copied = sqlx::query("VACUUM INTO ?")
            .bind(target.display().to_string())
            .execute(&mut source)
            .await;
        let _ = source.close().await;
        copied.map_err(StoreError::from)?;
        let options = SqliteConnectOptions::new()
            .filename(target)
            .read_only(true)
            .log_slow_statements(LevelFilter::Off, Duration::ZERO);
        let copy = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| BackupError::Check(e.to_string()))?;
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&copy)
            .await
            .map_err(|e| BackupError::Check(e.to_string()))?;
        if integrity != "ok" {
            return Err(BackupError::Check(format!("integrity check: {integrity}")));
        }
        let counted = counts(&copy)
            .await
            .map_err(|e| BackupError::Check(e.to_string()))?;
        copy.close().await;
        Ok(counted)
    }
}
