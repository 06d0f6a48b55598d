//! Small facts about the database itself.

use super::{Store, StoreError};

impl Store {
    /// A fact about the database, if it was ever set.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.reads)
            .await?)
    }

    /// Sets a fact (such as the fingerprint of the roadmap the tallies were built for).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        set_meta_in(&self.writes, key, value).await
    }
}

/// Sets a fact, on the pool or on a connection of its own.
pub(super) async fn set_meta_in<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    key: &str,
    value: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(executor)
    .await?;
    Ok(())
}
