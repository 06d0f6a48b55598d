//! Who is (still) in a server. Members who left are not ranked: their tallies are removed, and
//! rebuilt from their progress if they come back. Their progress itself is kept.

use super::backend::placeholders;
use sqlx::Transaction;

use super::macros::{facade, queries};
use super::{StoreError, from_db_id, to_db_id};
use crate::guild::Appearance;
use crate::progress::Mark;
use crate::progress::tally::TallyWrite;

facade! {
    /// Records that a member is in the server (they interacted, or Discord said so), and how
    /// they appear (name and avatar, for pictures that show them to others). When they had
    /// left, `rebuild` recomputes their tallies from their marks.
    pub async fn member_present(
        &self,
        guild: u64,
        user: u64,
        now: i64,
        appearance: &Appearance,
        rebuild: impl FnOnce(&[Mark]) -> Vec<TallyWrite>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write_member(to_db_id(guild), to_db_id(user)).await?;
        let rejoined = Self::present_in(&mut tx, guild, user, now).await?;
        Self::appearance_in(&mut tx, guild, user, appearance).await?;
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

    /// How each of `users` last appeared in the server (absent: never seen).
    pub async fn appearances(
        &self,
        guild: u64,
        users: &[u64],
    ) -> Result<Vec<(u64, Appearance)>, StoreError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT user_id, display_name, avatar_hash FROM members WHERE guild_id = $1 AND user_id IN ({})",
            placeholders(2, users.len(), 1).replace(['(', ')'], "")
        );
        let mut query = sqlx::query_as(&sql).bind(to_db_id(guild));
        for &user in users {
            query = query.bind(to_db_id(user));
        }
        let rows: Vec<(i64, Option<String>, Option<String>)> = query.fetch_all(&self.reads).await?;
        Ok(rows
            .into_iter()
            .map(|(user, name, avatar_hash)| (from_db_id(user), Appearance { name, avatar_hash }))
            .collect())
    }

    /// The servers where a member has progress and has not left, most recently seen first
    /// (at most 100), with the server's name as Discord last told it.
    pub async fn member_servers(
        &self,
        user: u64,
    ) -> Result<Vec<(u64, Option<String>)>, StoreError> {
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT m.guild_id, g.name FROM members m
             LEFT JOIN guilds g ON g.guild_id = m.guild_id
             WHERE m.user_id = $1 AND m.left_at IS NULL
               AND EXISTS (SELECT 1 FROM progress p
                           WHERE p.guild_id = m.guild_id AND p.user_id = m.user_id)
             ORDER BY m.checked_at DESC, m.guild_id
             LIMIT 100",
        )
        .bind(to_db_id(user))
        .fetch_all(&self.reads)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(guild, name)| (from_db_id(guild), name))
            .collect())
    }

    /// Of `users`, those whose presence was never confirmed or not since `checked_before`, or
    /// whose name trilha never saw (a look-up tells both).
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
            "SELECT user_id FROM members
             WHERE guild_id = $1 AND checked_at >= $2 AND display_name IS NOT NULL AND user_id IN ({})",
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

    /// How a member appeared when their presence was last confirmed, if that was at or after
    /// `since` (and they have not left since); `None` otherwise.
    pub async fn member_seen_since(
        &self,
        guild: u64,
        user: u64,
        since: i64,
    ) -> Result<Option<Appearance>, StoreError> {
        /// When they left, when they were last confirmed, their name and avatar.
        type Row = (Option<i64>, i64, Option<String>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT left_at, checked_at, display_name, avatar_hash FROM members
             WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        Ok(match row {
            Some((None, checked, name, avatar_hash)) if checked >= since => {
                Some(Appearance { name, avatar_hash })
            }
            _ => None,
        })
    }

    /// Records that members were confirmed present by a look-up, as the look-up showed them.
    pub async fn members_confirmed(
        &self,
        guild: u64,
        users: &[(u64, Appearance)],
        now: i64,
    ) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        for (user, appearance) in users {
            let user = *user;
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
            Self::appearance_in(&mut tx, guild, user, appearance).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

queries! {
    /// Writes how a member appears, when it changed (their row exists).
    pub(super) async fn appearance_in(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
        appearance: &Appearance,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE members SET display_name = $3, avatar_hash = $4
             WHERE guild_id = $1 AND user_id = $2
               AND (display_name IS DISTINCT FROM $3 OR avatar_hash IS DISTINCT FROM $4)",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(appearance.name.as_deref())
        .bind(appearance.avatar_hash.as_deref())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
