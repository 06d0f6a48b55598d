//! Online backups: `VACUUM INTO` writes a consistent copy while the bot keeps running (it reads
//! one snapshot; under WAL, writers are not blocked). The copy is written under a temporary
//! name in the target's folder, checked, and only then given its name: a backup that failed
//! half-way (a full disk) leaves nothing that looks like a backup.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection, Sqlite};
use tracing::log::LevelFilter;

use super::StoreError;
use super::backend::{Backend, Sql};
use super::files::{create_private_file, sibling};
use super::macros::facade;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} already exists: choose a new file name (a backup never overwrites)")]
    Exists(String),
    #[error("cannot write the backup to {path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("cannot write the backup")]
    Write(#[from] StoreError),
    #[error("the backup was written but does not check out: {0}")]
    Check(String),
    #[error(
        "`trilha backup` copies SQLite databases; {0} is PostgreSQL: back it up with pg_dump (README: \"Backups and upgrades\")"
    )]
    Postgres(String),
}

/// Rows per table, as (table, rows).
pub type TableCounts = Vec<(&'static str, i64)>;

/// Rows per table of a database.
async fn counts<DB: Backend>(pool: &sqlx::Pool<DB>) -> Result<TableCounts, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    let mut out = Vec::new();
    for table in super::copy::table_names() {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(pool)
            .await?;
        out.push((table, n));
    }
    Ok(out)
}

facade! {
    /// Rows per table.
    pub async fn table_counts(&self) -> Result<TableCounts, StoreError> {
        Ok(counts(&self.reads).await?)
    }
}

/// The copy being written, removed (with any journal SQLite left beside it) unless it was
/// finished: whatever fails, no partial file is left behind.
struct Partial {
    path: PathBuf,
    finished: bool,
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.finished {
            for file in [
                self.path.clone(),
                sibling(&self.path, "-journal"),
                sibling(&self.path, "-wal"),
                sibling(&self.path, "-shm"),
            ] {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

impl Sql<Sqlite> {
    /// Writes a consistent copy of the database to `target` (a new file, private to the owner),
    /// after checking it: SQLite's integrity check and every table's rows, on the copy.
    pub(super) async fn backup(&self, target: &Path) -> Result<TableCounts, BackupError> {
        if target.exists() {
            return Err(BackupError::Exists(target.display().to_string()));
        }
        let folder = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder).map_err(|cause| BackupError::Io {
            path: folder.display().to_string(),
            cause,
        })?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "backup".into());
        let mut partial = Partial {
            path: folder.join(format!(".{name}.partial-{}", std::process::id())),
            finished: false,
        };
        // VACUUM INTO accepts an existing empty file: created here so the copy is private.
        create_private_file(&partial.path).map_err(|cause| BackupError::Io {
            path: partial.path.display().to_string(),
            cause,
        })?;
        self.copy_into(&partial.path).await?;
        let counted = check(&partial.path).await?;
        // A hard link gives the copy its name only if nothing has it (never overwrites).
        match std::fs::hard_link(&partial.path, target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Exists(target.display().to_string()));
            }
            Err(_) => {
                // File systems without hard links: rename (the check above ran moments ago).
                if target.exists() {
                    return Err(BackupError::Exists(target.display().to_string()));
                }
                std::fs::rename(&partial.path, target).map_err(|cause| BackupError::Io {
                    path: target.display().to_string(),
                    cause,
                })?;
            }
        }
        let _ = std::fs::remove_file(&partial.path);
        partial.finished = true;
        Ok(counted)
    }

    /// `VACUUM INTO` on a connection of its own: copying a large database takes seconds by
    /// design, and sqlx's "slow statement" warning should stay meaningful for the bot's queries.
    async fn copy_into(&self, file: &Path) -> Result<(), StoreError> {
        let options = (*self.reads.connect_options())
            .clone()
            .log_slow_statements(LevelFilter::Off, Duration::ZERO);
        let mut source = SqliteConnection::connect_with(&options).await?;
        let copied = sqlx::query("VACUUM INTO ?")
            .bind(file.display().to_string())
            .execute(&mut source)
            .await;
        let _ = source.close().await;
        copied?;
        Ok(())
    }
}

/// Opens a copy read-only, runs SQLite's integrity check and counts its rows.
async fn check(file: &Path) -> Result<TableCounts, BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .log_slow_statements(LevelFilter::Off, Duration::ZERO);
    let copy = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| BackupError::Check(e.to_string()))?;
    let integrity: Result<String, _> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&copy)
        .await;
    let result = match integrity {
        Ok(ok) if ok == "ok" => counts(&copy)
            .await
            .map_err(|e| BackupError::Check(e.to_string())),
        Ok(problem) => Err(BackupError::Check(format!("integrity check: {problem}"))),
        Err(e) => Err(BackupError::Check(e.to_string())),
    };
    copy.close().await;
    result
}

impl super::Store {
    /// Writes a consistent, checked copy of a SQLite database to `target` (see
    /// `store/backup.rs`). PostgreSQL has its own tools for this (`pg_dump`).
    pub async fn backup(&self, target: &Path) -> Result<TableCounts, BackupError> {
        match &self.engine {
            super::engine::Engine::Sqlite(s) => s.sql.backup(target).await,
            super::engine::Engine::Postgres(p) => Err(BackupError::Postgres(p.shown.clone())),
        }
    }
}
