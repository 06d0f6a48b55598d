//! The one handle the rest of the bot uses: [`Store`], over the engine `DATABASE_URL` chose.
//! Its queries are added by the table files (see `macros.rs`); what is here is opening,
//! closing and what only one engine does its own way.

use std::path::Path;
use std::time::Duration;

use sqlx::{Postgres, Sqlite};

use super::backend::Backend;
use super::errors::StoreError;
use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use crate::config::{Database, PostgresUrl};

/// How long `/healthz` waits for its write probe.
pub const WRITE_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(super) engine: Engine,
}

#[derive(Clone, Debug)]
pub(super) enum Engine {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Runs `$body` with `$sql` bound to the engine's generic queries.
macro_rules! on_engine {
    ($store:expr, $sql:ident => $body:expr) => {
        match &$store.engine {
            $crate::store::engine::Engine::Sqlite(engine) => {
                let $sql = &engine.sql;
                $body
            }
            $crate::store::engine::Engine::Postgres(engine) => {
                let $sql = &engine.sql;
                $body
            }
        }
    };
}

pub(super) use on_engine;

impl Store {
    /// Opens the database `DATABASE_URL` names and brings its schema up to date.
    pub async fn connect(database: &Database) -> Result<Store, StoreError> {
        match database {
            Database::Sqlite(path) => Store::open(path).await,
            Database::Postgres(url) => Store::open_postgres(url).await,
        }
    }

    /// Opens (creating if needed) a SQLite file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            engine: Engine::Sqlite(SqliteStore::open(path).await?),
        })
    }

    /// Connects to PostgreSQL and brings the schema up to date.
    pub async fn open_postgres(url: &PostgresUrl) -> Result<Store, StoreError> {
        Ok(Store {
            engine: Engine::Postgres(PostgresStore::connect(url).await?),
        })
    }

    /// Opens an existing SQLite database for reading only, without touching its schema
    /// (backups): it must exist, hold data and have exactly the schema this build knows.
    pub async fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            engine: Engine::Sqlite(SqliteStore::open_read_only(path).await?),
        })
    }

    /// The engine's name, for messages.
    pub fn engine(&self) -> &'static str {
        match &self.engine {
            Engine::Sqlite(_) => Sqlite::NAME,
            Engine::Postgres(_) => Postgres::NAME,
        }
    }

    /// Where the database is (a path, or `postgres://user@host:port/database`).
    pub fn target(&self) -> String {
        match &self.engine {
            Engine::Sqlite(s) => s.path.display().to_string(),
            Engine::Postgres(p) => p.shown.clone(),
        }
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        match &self.engine {
            Engine::Sqlite(s) => s.close().await,
            Engine::Postgres(p) => p.close().await,
        }
    }

    /// Runs `work` holding the database-wide lock `key`, so that of several processes sharing a
    /// PostgreSQL database only one at a time does it (the start-up upkeep: the others wait,
    /// then find it done). A PostgreSQL advisory lock held on a connection of its own, closed
    /// afterwards: if the process dies or `work` is dropped, the server releases the lock. On
    /// SQLite (one process) `work` just runs.
    pub async fn exclusively<T>(
        &self,
        key: i64,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, StoreError> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(work.await),
            Engine::Postgres(p) => p.exclusively(key, work).await,
        }
    }

    /// `SELECT 1` on a reader, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_engine!(self, sql => {
            sqlx::query("SELECT 1").execute(&sql.reads).await?;
            Ok(())
        })
    }

    /// Whether the database can take a write right now: a real one-row write, bounded to
    /// [`WRITE_PROBE_TIMEOUT`]. A full disk, a read-only file system or server, or a lock held
    /// for long all fail it.
    pub async fn write_probe(&self, now: i64) -> Result<(), StoreError> {
        match &self.engine {
            Engine::Sqlite(s) => s.write_probe(now, WRITE_PROBE_TIMEOUT).await,
            Engine::Postgres(p) => p.write_probe(now, WRITE_PROBE_TIMEOUT).await,
        }
    }
}
