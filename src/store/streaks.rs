//! Study streaks: the per-member summary, its recomputation from the event log, and the streak
//! leaderboard.

use sqlx::Transaction;

use super::macros::{facade, queries};
use super::{StoreError, from_db_id, to_db_id};
use crate::progress::streak::{Day, Streak};
use crate::progress::tally::Ranked;

/// Members written per batch when recomputing a server's streaks.
const BATCH: usize = 500;

/// The streak summary's columns, in [`streak_of`]'s order.
const COLUMNS: &str = "current, longest, freezes, run, last_day, reached_at";

fn streak_of(
    (current, longest, freezes, run, last_day, reached_at): (i64, i64, i64, i64, i64, i64),
) -> Streak {
    let count = |n: i64| n.clamp(0, i64::from(u32::MAX)) as u32;
    Streak {
        current: count(current),
        longest: count(longest),
        freezes: count(freezes),
        run: count(run),
        last_day: Some(last_day as Day),
        reached_at,
    }
}

facade! {
    /// A member's streak summary (as of their last study day).
    pub async fn streak(&self, guild: u64, user: u64) -> Result<Option<Streak>, StoreError> {
        let row: Option<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM streaks WHERE guild_id = $1 AND user_id = $2"
        ))
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.map(streak_of))
    }

    /// When a member studied (marks and quiz answers), for their calendar and for checks.
    pub async fn study_times(&self, guild: u64, user: u64) -> Result<Vec<i64>, StoreError> {
        let times: Vec<i64> = sqlx::query_scalar(
            "SELECT at FROM progress_events WHERE guild_id = $1 AND user_id = $2 AND cause = 'mark'
             UNION ALL
             SELECT answered_at FROM quiz_asks WHERE guild_id = $1 AND user_id = $2 AND answered_at IS NOT NULL",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_all(&self.reads)
        .await?;
        Ok(times)
    }

    /// Recomputes every streak of a server from its event log (`day` gives an instant's day in
    /// the server's time zone), in one transaction.
    pub async fn rebuild_streaks(
        &self,
        guild: u64,
        day: impl Fn(i64) -> Day,
    ) -> Result<usize, StoreError> {
        let g = to_db_id(guild);
        let mut tx = self.write_guild(g).await?;
        let times: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, at FROM progress_events WHERE guild_id = $1 AND cause = 'mark'
             UNION ALL
             SELECT user_id, answered_at FROM quiz_asks WHERE guild_id = $1 AND answered_at IS NOT NULL",
        )
        .bind(g)
        .fetch_all(&mut *tx)
        .await?;
        let mut by_user: std::collections::BTreeMap<i64, Vec<(Day, i64)>> = Default::default();
        for (user, at) in times {
            by_user.entry(user).or_default().push((day(at), at));
        }
        sqlx::query("DELETE FROM streaks WHERE guild_id = $1")
            .bind(g)
            .execute(&mut *tx)
            .await?;
        let rows: Vec<(i64, Streak)> = by_user
            .into_iter()
            .map(|(user, mut days)| {
                days.sort_unstable();
                (user, Streak::from_days(days))
            })
            .collect();
        for chunk in rows.chunks(BATCH) {
            let sql = format!(
                "INSERT INTO streaks (guild_id, user_id, current, longest, freezes, run, last_day, reached_at) VALUES {}",
                DB::values(1, chunk.len(), 8)
            );
            let mut insert = sqlx::query(&sql);
            for (user, s) in chunk {
                insert = insert
                    .bind(g)
                    .bind(*user)
                    .bind(i64::from(s.current))
                    .bind(i64::from(s.longest))
                    .bind(i64::from(s.freezes))
                    .bind(i64::from(s.run))
                    .bind(i64::from(s.last_day.unwrap_or(0)))
                    .bind(s.reached_at);
            }
            insert.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }


    pub async fn streak_page(
        &self,
        guild: u64,
        today: Day,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT s.user_id, s.current, s.reached_at FROM streaks s WHERE {}
             ORDER BY s.current DESC, s.reached_at, s.user_id LIMIT $3 OFFSET $4",
            Self::ALIVE
        ))
        .bind(to_db_id(guild))
        .bind(i64::from(today))
        .bind(limit as i64)
        .bind(offset as i64)
        .fetch_all(&self.reads)
        .await?;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, (user, current, reached_at))| Ranked {
                rank: offset + i as u64 + 1,
                user_id: from_db_id(user),
                done: current,
                reached_at,
            })
            .collect())
    }


    pub async fn streak_len(&self, guild: u64, today: Day) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM streaks s WHERE {}",
            Self::ALIVE
        ))
        .bind(to_db_id(guild))
        .bind(i64::from(today))
        .fetch_one(&self.reads)
        .await?;
        Ok(n.max(0) as u64)
    }


    pub async fn streak_rank(
        &self,
        guild: u64,
        today: Day,
        user: u64,
    ) -> Result<Option<Ranked>, StoreError> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT me.current, me.reached_at,
                (SELECT COUNT(*) FROM streaks s WHERE {} AND (s.current > me.current
                     OR (s.current = me.current AND (s.reached_at < me.reached_at
                     OR (s.reached_at = me.reached_at AND s.user_id < me.user_id)))))
             FROM streaks me WHERE me.guild_id = $1 AND me.user_id = $3
               AND me.current > 0 AND me.last_day + me.freezes + 1 >= $2",
            Self::ALIVE
        ))
        .bind(to_db_id(guild))
        .bind(i64::from(today))
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.map(|(current, reached_at, ahead)| Ranked {
            rank: ahead.max(0) as u64 + 1,
            user_id: user,
            done: current,
            reached_at,
        }))
    }
}

queries! {
    /// Adds a study day to a member's streak, inside the write that made it one.
    pub(super) async fn study_in(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
        day: Day,
        at: i64,
    ) -> Result<Streak, StoreError> {
        let row: Option<(i64, i64, i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM streaks WHERE guild_id = $1 AND user_id = $2"
        ))
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_optional(&mut **tx)
        .await?;
        let mut streak = row.map(streak_of).unwrap_or_default();
        if streak.study(day, at) {
            sqlx::query(
                "INSERT INTO streaks (guild_id, user_id, current, longest, freezes, run, last_day, reached_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (guild_id, user_id) DO UPDATE SET current = excluded.current,
                     longest = excluded.longest, freezes = excluded.freezes, run = excluded.run,
                     last_day = excluded.last_day, reached_at = excluded.reached_at",
            )
            .bind(to_db_id(guild))
            .bind(to_db_id(user))
            .bind(i64::from(streak.current))
            .bind(i64::from(streak.longest))
            .bind(i64::from(streak.freezes))
            .bind(i64::from(streak.run))
            .bind(i64::from(streak.last_day.unwrap_or(day)))
            .bind(streak.reached_at)
            .execute(&mut **tx)
            .await?;
        }
        Ok(streak)
    }

    /// The streak board's filter: a streak is alive on `today` when the days missed since its
    /// last study day (up to yesterday) are no more than the freezes held ($2: today). Members
    /// who left are not ranked.
    const ALIVE: &'static str = "s.guild_id = $1 AND s.current > 0 AND s.last_day + s.freezes + 1 >= $2
         AND NOT EXISTS (SELECT 1 FROM members m WHERE m.guild_id = s.guild_id AND m.user_id = s.user_id AND m.left_at IS NOT NULL)";
}
