//! Who is (still) in a server. Members who left are not ranked: their tallies are removed, and
//! rebuilt from their progress if they come back. Their progress itself is kept.

use super::progress::{present_in, remove_tallies, write_tallies};
use super::{Store, StoreError, to_db_id};
use crate::progress::Mark;
use crate::progress::tally::TallyWrite;

impl Store {
    /// Records that a member is in the server (they interacted, or Discord said so). When they
    /// had left, `rebuild` recomputes their tallies from their marks.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn member_present(
        &self,
        guild: u64,
        user: u64,
        now: i64,
        rebuild: impl FnOnce(&[Mark]) -> Vec<TallyWrite>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let rejoined = present_in(&mut tx, guild, user, now).await?;
        if rejoined {
            let marks = super::progress::marks_in(&mut *tx, guild, user).await?;
            write_tallies(&mut tx, guild, user, &rebuild(&marks), true).await?;
        }
        tx.commit().await?;
        Ok(rejoined)
    }

    /// Records that a member left: they stop being ranked.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn member_left(&self, guild: u64, user: u64, now: i64) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO members (guild_id, user_id, left_at, checked_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (guild_id, user_id) DO UPDATE SET left_at = excluded.left_at, checked_at = excluded.checked_at",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        remove_tallies(&mut tx, guild, user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Of `users`, those whose presence was never confirmed or not since `checked_before`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn members_to_check(
        &self,
        guild: u64,
        users: &[u64],
        checked_before: i64,
    ) -> Result<Vec<u64>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT user_id FROM members WHERE guild_id = ",
        );
        query
            .push_bind(to_db_id(guild))
            .push(" AND checked_at >= ")
            .push_bind(checked_before)
            .push(" AND user_id IN (");
        let mut ids = query.separated(", ");
        for &user in users {
            ids.push_bind(to_db_id(user));
        }
        ids.push_unseparated(")");
        let fresh: Vec<i64> = query.build_query_scalar().fetch_all(&self.reads).await?;
        Ok(users
            .iter()
            .copied()
            .filter(|u| !fresh.contains(&to_db_id(*u)))
            .collect())
    }

    /// Whether a member's presence was confirmed at or after `since` (and they have not left).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn member_seen_since(
        &self,
        guild: u64,
        user: u64,
        since: i64,
    ) -> Result<bool, StoreError> {
        let row: Option<(Option<i64>, i64)> = sqlx::query_as(
            "SELECT left_at, checked_at FROM members WHERE guild_id = ? AND user_id = ?",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        Ok(matches!(row, Some((None, checked)) if checked >= since))
    }

    /// Records that members were confirmed present by a look-up.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn members_confirmed(
        &self,
        guild: u64,
        users: &[u64],
        now: i64,
    ) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        for &user in users {
            sqlx::query(
                "INSERT INTO members (guild_id, user_id, left_at, checked_at) VALUES (?, ?, NULL, ?)
                 ON CONFLICT (guild_id, user_id) DO UPDATE SET checked_at = excluded.checked_at
                 WHERE members.left_at IS NULL",
            )
            .bind(to_db_id(guild))
            .bind(to_db_id(user))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
