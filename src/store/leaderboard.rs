//! Leaderboard reads: pages and ranks, straight from the ranking index.

use super::macros::facade;
use super::{StoreError, from_db_id, to_db_id};
use crate::progress::tally::{Ranked, TallyKey};

facade! {
    /// `limit` members from position `offset` (0-based): most done first, then who got there
    /// first, then by id so the order is total.
    pub async fn leaderboard(
        &self,
        guild: u64,
        key: &TallyKey,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT user_id, done, reached_at FROM done_tallies
             WHERE guild_id = $1 AND scope = $2 AND period = $3 AND starts = $4
             ORDER BY done DESC, reached_at, user_id
             LIMIT $5 OFFSET $6",
        )
        .bind(to_db_id(guild))
        .bind(&key.scope)
        .bind(key.period.as_str())
        .bind(key.starts)
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(&self.reads)
        .await?;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, (user, done, reached_at))| Ranked {
                rank: offset + i as u64 + 1,
                user_id: from_db_id(user),
                done,
                reached_at,
            })
            .collect())
    }

    /// How many members are ranked.
    pub async fn leaderboard_len(
        &self,
        guild: u64,
        key: &TallyKey,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(members), 0) AS BIGINT) FROM done_histogram WHERE guild_id = $1 AND scope = $2 AND period = $3 AND starts = $4",
        )
        .bind(to_db_id(guild))
        .bind(&key.scope)
        .bind(key.period.as_str())
        .bind(key.starts)
        .fetch_one(&self.reads)
        .await?;
        Ok(n.max(0) as u64)
    }

    /// A member's own position, or `None` when they have nothing in this leaderboard.
    pub async fn leaderboard_rank(
        &self,
        guild: u64,
        key: &TallyKey,
        user: u64,
    ) -> Result<Option<Ranked>, StoreError> {
        let own: Option<(i64, i64)> = sqlx::query_as(
            "SELECT done, reached_at FROM done_tallies
             WHERE guild_id = $1 AND scope = $2 AND period = $3 AND starts = $4 AND user_id = $5",
        )
        .bind(to_db_id(guild))
        .bind(&key.scope)
        .bind(key.period.as_str())
        .bind(key.starts)
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        let Some((done, reached_at)) = own else {
            return Ok(None);
        };
        // Members ahead: more done (a sum over the histogram's few rows); as many done, reached
        // on an earlier day (a sum over one row per day); or reached earlier that same day, or
        // at the same second with a smaller id (a scan of one day's ties only).
        let day = super::progress::day(reached_at);
        let ahead: i64 = sqlx::query_scalar(
            "SELECT
               (SELECT CAST(COALESCE(SUM(members), 0) AS BIGINT) FROM done_histogram
                 WHERE guild_id = $1 AND scope = $2 AND period = $3 AND starts = $4 AND done > $5)
             + (SELECT CAST(COALESCE(SUM(members), 0) AS BIGINT) FROM done_days
                 WHERE guild_id = $1 AND scope = $2 AND period = $3 AND starts = $4 AND done = $5
                   AND day < $8)
             + (SELECT COUNT(*) FROM done_tallies
                 WHERE guild_id = $1 AND scope = $2 AND period = $3 AND starts = $4 AND done = $5
                   AND reached_at >= $9 AND (reached_at, user_id) < ($6, $7))",
        )
        .bind(to_db_id(guild))
        .bind(&key.scope)
        .bind(key.period.as_str())
        .bind(key.starts)
        .bind(done)
        .bind(reached_at)
        .bind(to_db_id(user))
        .bind(day)
        .bind(day * 86_400)
        .fetch_one(&self.reads)
        .await?;
        Ok(Some(Ranked {
            rank: ahead as u64 + 1,
            user_id: user,
            done,
            reached_at,
        }))
    }

    /// Drops week and month tallies of periods that started before `before` (with their
    /// histogram rows, in the same transaction so the two always agree).
    pub async fn prune_tallies(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM done_tallies WHERE period != 'all' AND starts < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?;
        for table in ["done_histogram", "done_days"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE period != 'all' AND starts < $1"
            ))
            .bind(before)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(DB::rows_affected(&done))
    }
}
