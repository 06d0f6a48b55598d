//! Small facts about the database itself.

use super::{Store, StoreError};

impl Store {
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.reads)
            .await?)
    }
}
