//! PostgreSQL, for communities that outgrow one process: several bot processes share one
//! database over the network.
//!
//! One pool serves reads and writes (MVCC: readers never wait for writers). Every connection
//! waits at most [`LOCK_TIMEOUT`] for a lock, so a write that cannot get one fails as "busy"
//! (the member is told to try again) instead of holding an interaction forever.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Postgres;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::StoreError;
use super::backend::Sql;
use crate::config::PostgresUrl;

/// How long a statement waits for a lock (another process's write to the same member, a
/// rebuild of the server) before failing as busy.
const LOCK_TIMEOUT: &str = "5s";
/// How long a query waits for a free connection, and start-up for the first one.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per process.
const CONNECTIONS: u32 = 16;

pub(super) fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("./migrations/postgres")
}

/// The PostgreSQL side of a store.
#[derive(Clone, Debug)]
pub(super) struct PostgresStore {
    pub(super) sql: Sql<Postgres>,
    /// `user@host:port/database`, for messages (never the password).
    pub(super) shown: String,
}

/// Connection options from a URL, with trilha's session settings.
fn options(url: &PostgresUrl) -> Result<PgConnectOptions, StoreError> {
    let options = PgConnectOptions::from_str(url.expose()).map_err(|cause| StoreError::Open {
        target: url.to_string(),
        cause,
    })?;
    Ok(options
        .application_name("trilha")
        .options([("lock_timeout", LOCK_TIMEOUT)])
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1)))
}

/// A pool on `url`. One connection is made first, directly: the pool would retry until its
/// timeout and report only that, where the operator needs the driver's reason ("connection
/// refused", "password authentication failed").
pub(super) async fn pool(url: &PostgresUrl, connections: u32) -> Result<PgPool, StoreError> {
    let options = options(url)?;
    let open_error = |cause| StoreError::Open {
        target: url.to_string(),
        cause,
    };
    let first = tokio::time::timeout(ACQUIRE_TIMEOUT, options.connect())
        .await
        .map_err(|_| open_error(sqlx::Error::PoolTimedOut))?
        .map_err(open_error)?;
    let _ = sqlx::Connection::close(first).await;
    PgPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(open_error)
}

use sqlx::ConnectOptions as _;

impl PostgresStore {
    /// Connects and brings the schema up to date.
    pub(super) async fn connect(url: &PostgresUrl) -> Result<PostgresStore, StoreError> {
        let pool = pool(url, CONNECTIONS).await?;
        super::schema::migrate(&migrator(), &pool, &url.to_string()).await?;
        Ok(PostgresStore {
            sql: Sql {
                reads: pool.clone(),
                writes: pool,
            },
            shown: url.to_string(),
        })
    }

    pub(super) async fn close(&self) {
        self.sql.writes.close().await;
    }

    /// `work` under the advisory lock `key`, held on a connection of its own and closed
    /// afterwards: if the process dies or `work` is dropped, the server releases the lock.
    pub(super) async fn exclusively<T>(
        &self,
        key: i64,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, StoreError> {
        use sqlx::Connection as _;
        let mut conn = self.sql.writes.acquire().await?.detach();
        // The pool's connections give up on a lock after LOCK_TIMEOUT (members are told the
        // database is busy); this one waits as long as the holder works. It is closed
        // afterwards, so the setting dies with it.
        sqlx::query("SET lock_timeout = 0")
            .execute(&mut conn)
            .await?;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut conn)
            .await?;
        let out = work.await;
        // Closing the session releases the lock, even if the unlock were lost.
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        Ok(out)
    }

    /// Writes a row in a transaction that gives up after `timeout` (a lock held for long, a
    /// full disk or a read-only server all fail it).
    pub(super) async fn write_probe(&self, now: i64, timeout: Duration) -> Result<(), StoreError> {
        let mut tx = self.sql.writes.begin().await?;
        sqlx::query(&format!(
            "SET LOCAL statement_timeout = {}",
            timeout.as_millis()
        ))
        .execute(&mut *tx)
        .await?;
        Sql::<Postgres>::set_meta_in(&mut *tx, "health_probe", &now.to_string()).await?;
        tx.commit().await?;
        Ok(())
    }
}
