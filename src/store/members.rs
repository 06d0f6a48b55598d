//! Who is (still) in a server. Members who left are not ranked: their tallies are removed, and
//! rebuilt from their progress if they come back. Their progress itself is kept.

use super::backend::placeholders;
use super::macros::facade;
use super::{StoreError, to_db_id};
use crate::progress::Mark;
use crate::progress::tally::TallyWrite;

facade! {
    /// Records that a member is in the server (they interacted, or Discord said so). When they
    /// had left, `rebuild` recomputes their tallies from their marks.
    pub async fn member_present(
        &self,
        guild: u64,
        user: u64,
        now: i64,
        rebuild: impl FnOnce(&[Mark]) -> Vec<TallyWrite>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_member(to_db_id(guild), to_db_id(user)).await?;
        let rejoined = Self::present_in(&mut tx, guild, user, now).await?;
        if rejoined {
            let marks = Self::marks_in(&mut *tx, guild, user).await?;
            Self::adjust_item_counts(&mut tx, guild, &marks, 1).await?;
            Self::write_tallies(&mut tx, guild, user, &rebuild(&marks), true).await?;
        }
        tx.commit().await?;
        Ok(rejoined)
    }

    /// Records that a member left: they stop being ranked.
    pub async fn member_left(
        &self,
        guild: u64,
        user: u64,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_member(to_db_id(guild), to_db_id(user)).await?;
        let left: Option<Option<i64>> =
            sqlx::query_scalar("SELECT left_at FROM members WHERE guild_id = $1 AND user_id = $2")
                .bind(to_db_id(guild))
                .bind(to_db_id(user))
                .fetch_optional(&mut *tx)
                .await?;
        if !matches!(left, Some(Some(_))) {
            // Leaving now: the member's marks stop counting.
            let marks = Self::marks_in(&mut *tx, guild, user).await?;
            Self::adjust_item_counts(&mut tx, guild, &marks, -1).await?;
        }
        sqlx::query(
            "INSERT INTO members (guild_id, user_id, left_at, checked_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id, user_id) DO UPDATE SET left_at = excluded.left_at, checked_at = excluded.checked_at",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Self::remove_tallies(&mut tx, guild, user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Of `users`, those whose presence was never confirmed or not since `checked_before`.
    pub async fn members_to_check(
        &self,
        guild: u64,
        users: &[u64],
        checked_before: i64,
    ) -> Result<Vec<u64>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        // `(user_id) IN (($3), ($4), ...)`: one placeholder per member of the page.
        let sql = format!(
            "SELECT user_id FROM members WHERE guild_id = $1 AND checked_at >= $2 AND user_id IN ({})",
            placeholders(3, users.len(), 1).replace(['(', ')'], "")
        );
        let mut query = sqlx::query_scalar(&sql)
            .bind(to_db_id(guild))
            .bind(checked_before);
        for &user in users {
            query = query.bind(to_db_id(user));
        }
        let fresh: Vec<i64> = query.fetch_all(&self.reads).await?;
        Ok(users
            .iter()
            .copied()
            .filter(|u| !fresh.contains(&to_db_id(*u)))
            .collect())
    }

    /// Whether a member's presence was confirmed at or after `since` (and they have not left).
    pub async fn member_seen_since(
        &self,
        guild: u64,
        user: u64,
        since: i64,
    ) -> Result<bool, StoreError> {
        let row: Option<(Option<i64>, i64)> = sqlx::query_as(
            "SELECT left_at, checked_at FROM members WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        Ok(matches!(row, Some((None, checked)) if checked >= since))
    }

    /// Records that members were confirmed present by a look-up.
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
                "INSERT INTO members (guild_id, user_id, left_at, checked_at) VALUES ($1, $2, NULL, $3)
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
