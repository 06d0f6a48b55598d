//! Small facts about the database itself.

use super::StoreError;
use super::macros::{facade, queries};

facade! {
    /// A fact about the database, if it was ever set.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.reads)
            .await?)
    }

    /// Sets a fact (such as the fingerprint of the roadmap the tallies were built for).
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        Self::set_meta_in(&self.writes, key, value).await
    }
}

queries! {
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
