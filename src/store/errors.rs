//! What can go wrong with the database, told so that an operator knows what to do (never with a
//! password), and which failures mean only "busy, try again".

use std::path::PathBuf;

use sqlx::{Postgres, Sqlite};

use super::backend::Backend;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot create the database folder {path}: {cause}. Check DATABASE_URL and that the user running trilha may write there."
    )]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The database cannot be opened or reached (`target` never shows a password).
    #[error(
        "DATABASE_URL: cannot open the database {target}: {cause}. Check DATABASE_URL, that the database is reachable, and that the user running trilha may write there."
    )]
    Open { target: String, cause: sqlx::Error },
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
        "the database {target} was upgraded by a newer trilha (its schema has migration {version}, this build stops at {known}). Run that newer version, or restore the backup you made before upgrading."
    )]
    NewerSchema {
        target: String,
        version: i64,
        known: i64,
    },
    /// The database lacks migrations this build knows (only read-only opens refuse it).
    #[error(
        "the database {target} has an older schema (migration {version}; this build knows {known}). Start this trilha once to upgrade it, then try again."
    )]
    OlderSchema {
        target: String,
        version: i64,
        known: i64,
    },
    #[error("cannot upgrade the database schema")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A lock or a connection stayed taken longer than we wait.
    #[error("the database is busy (a lock stayed taken): {0}")]
    Busy(sqlx::Error),
    #[error("database error")]
    Query(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let busy = match &error {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    Sqlite::is_busy(&code)
                } else {
                    Postgres::is_busy(&code)
                }
            }),
            _ => false,
        };
        if busy {
            StoreError::Busy(error)
        } else {
            StoreError::Query(error)
        }
    }
}

impl StoreError {
    /// The lock was taken for too long: worth telling the member to try again.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy(_))
    }
}
