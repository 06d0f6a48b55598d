//! Small facts about the database itself.

use super::StoreError;
use super::backend::{Backend, Column, Sql};

impl<DB: Backend> Sql<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    bool: Column<DB>,
    // sqlx encodes `Option` per engine, not generically.
    Option<i64>: for<'q> sqlx::Encode<'q, DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    for<'a> Option<&'a str>: sqlx::Encode<'a, DB>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.reads)
            .await?)
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        Self::set_meta_in(&self.writes, key, value).await
    }

    /// Sets a fact, on the pool or on a connection of its own.
    pub(super) async fn set_meta_in<'e>(
        executor: impl sqlx::Executor<'e, Database = DB>,
        key: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(executor)
        .await?;
        Ok(())
    }
}
