//! The schema: brought up to date at start-up by the embedded migrations, and checked without
//! changes where a database must be used as it is (a backup's source).

use sqlx::Pool;

use super::backend::Backend;
use super::errors::StoreError;

pub(super) fn known_version(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings a schema up to date; a database migrated by a newer trilha is refused.
pub(super) async fn migrate<DB: sqlx::Database>(
    migrator: &sqlx::migrate::Migrator,
    pool: &Pool<DB>,
    target: &str,
) -> Result<(), StoreError>
where
    DB::Connection: sqlx::migrate::Migrate,
{
    match migrator.run(pool).await {
        Ok(()) => Ok(()),
        Err(sqlx::migrate::MigrateError::VersionMissing(version)) => Err(StoreError::NewerSchema {
            target: target.to_string(),
            version,
            known: known_version(migrator),
        }),
        Err(other) => Err(other.into()),
    }
}

/// Checks, without changing anything, that a database has exactly the schema this build knows.
pub(super) async fn schema_check<DB: Backend>(
    migrator: &sqlx::migrate::Migrator,
    pool: &Pool<DB>,
    target: &str,
) -> Result<(), StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await
            .map_err(|cause| StoreError::Open {
                target: target.to_string(),
                cause,
            })?;
    let known = known_version(migrator);
    let version = applied.last().copied().unwrap_or(0);
    if let Some(&unknown) = applied
        .iter()
        .find(|v| !migrator.iter().any(|m| m.version == **v))
    {
        return Err(StoreError::NewerSchema {
            target: target.to_string(),
            version: unknown,
            known,
        });
    }
    if migrator.iter().any(|m| !applied.contains(&m.version)) {
        return Err(StoreError::OlderSchema {
            target: target.to_string(),
            version,
            known,
        });
    }
    Ok(())
}
