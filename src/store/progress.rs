//! Progress rows, their event log, popularity counts and leaderboard tallies: written together,
//! in one transaction, so they always agree.

use sqlx::{Executor, Transaction};

use super::backend::{Backend, Column, Sql, placeholders};
use super::{StoreError, from_db_id, to_db_id};
use crate::progress::change::{Change, Outcome, Target};
use crate::progress::periods::Period;
use crate::progress::tally::{TallyInput, TallyKey, TallyValue, TallyWrite};
use crate::progress::{Mark, State};

/// Why a state changed, as the event log records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cause {
    Mark,
    Undo,
}

impl Cause {
    fn as_str(self) -> &'static str {
        match self {
            Cause::Mark => "mark",
            Cause::Undo => "undo",
        }
    }
}

fn counter(state: Option<State>) -> (i64, i64) {
    match state {
        Some(State::Learning) => (1, 0),
        Some(State::Done) => (0, 1),
        _ => (0, 0),
    }
}

/// One member's row of one leaderboard ($1 guild, $2 scope, $3 period, $4 starts, $5 user).
macro_rules! tally_row {
    () => {
        "guild_id = $1 AND scope = $2 AND period = $3 AND starts = $4 AND user_id = $5"
    };
}

/// Members rebuilt per batch: bounds memory on large servers.
const REBUILD_BATCH: i64 = 2_000;
/// Rows per multi-row INSERT (7 values each, far below both engines' parameter limits).
const INSERT_BATCH: usize = 500;

impl<DB: Backend> Sql<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
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
    /// A member's marks in a server, ordered by item id: on the pool, or inside a transaction.
    pub(super) async fn marks_in<'e>(
        executor: impl Executor<'e, Database = DB>,
        guild: u64,
        user: u64,
    ) -> Result<Vec<Mark>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT item_id, state, since FROM progress WHERE guild_id = $1 AND user_id = $2 ORDER BY item_id",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_all(executor)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(item_id, state, since)| {
                State::parse(&state).map(|state| Mark {
                    item_id,
                    state,
                    since,
                })
            })
            .collect())
    }

    /// Adds `delta` members with count `done` to a leaderboard's histogram.
    async fn histogram(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        key: &TallyKey,
        done: i64,
        delta: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO done_histogram (guild_id, scope, period, starts, done, members) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (guild_id, scope, period, starts, done) DO UPDATE SET members = done_histogram.members + excluded.members",
        )
        .bind(to_db_id(guild))
        .bind(&key.scope)
        .bind(key.period.as_str())
        .bind(key.starts)
        .bind(done)
        .bind(delta)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Every tally row of one member, as (key, done).
    async fn member_tallies_in(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
    ) -> Result<Vec<(TallyKey, i64)>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT scope, period, starts, done FROM done_tallies WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(scope, period, starts, done)| {
                (
                    TallyKey {
                        scope,
                        period: Period::parse(&period).unwrap_or(Period::All),
                        starts,
                    },
                    done,
                )
            })
            .collect())
    }

    /// Binds [`tally_row!`]'s five values.
    fn bind_tally_row<'q>(
        query: sqlx::query::Query<'q, DB, DB::Arguments<'q>>,
        guild: u64,
        key: &'q TallyKey,
        user: u64,
    ) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>> {
        query
            .bind(to_db_id(guild))
            .bind(&key.scope)
            .bind(key.period.as_str())
            .bind(key.starts)
            .bind(to_db_id(user))
    }

    /// Removes every tally of one member (they left, or are about to be rewritten).
    pub(super) async fn remove_tallies(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
    ) -> Result<(), StoreError> {
        for (key, done) in Self::member_tallies_in(tx, guild, user).await? {
            Self::histogram(tx, guild, &key, done, -1).await?;
        }
        sqlx::query("DELETE FROM done_tallies WHERE guild_id = $1 AND user_id = $2")
            .bind(to_db_id(guild))
            .bind(to_db_id(user))
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Writes tally rows for one member, keeping the histogram exact; with `full`, their old
    /// rows are removed first.
    pub(super) async fn write_tallies(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
        writes: &[TallyWrite],
        full: bool,
    ) -> Result<(), StoreError> {
        if full {
            Self::remove_tallies(tx, guild, user).await?;
        }
        for (key, value) in writes {
            let old: Option<i64> = sqlx::query_scalar(concat!(
                "SELECT done FROM done_tallies WHERE ",
                tally_row!()
            ))
            .bind(to_db_id(guild))
            .bind(&key.scope)
            .bind(key.period.as_str())
            .bind(key.starts)
            .bind(to_db_id(user))
            .fetch_optional(&mut **tx)
            .await?;
            match value {
                Some(v) => {
                    let upsert = sqlx::query(
                        "INSERT INTO done_tallies (guild_id, scope, period, starts, user_id, done, reached_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (guild_id, scope, period, starts, user_id)
                         DO UPDATE SET done = excluded.done, reached_at = excluded.reached_at",
                    );
                    Self::bind_tally_row(upsert, guild, key, user)
                        .bind(v.done)
                        .bind(v.reached_at)
                        .execute(&mut **tx)
                        .await?;
                }
                None => {
                    let delete =
                        sqlx::query(concat!("DELETE FROM done_tallies WHERE ", tally_row!()));
                    Self::bind_tally_row(delete, guild, key, user)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            let new = value.map(|v| v.done);
            if old != new {
                if let Some(old) = old {
                    Self::histogram(tx, guild, key, old, -1).await?;
                }
                if let Some(new) = new {
                    Self::histogram(tx, guild, key, new, 1).await?;
                }
            }
        }
        Ok(())
    }

    /// Marks a member present; returns whether they had left (their tallies must be rebuilt).
    pub(super) async fn present_in(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let left: Option<Option<i64>> =
            sqlx::query_scalar("SELECT left_at FROM members WHERE guild_id = $1 AND user_id = $2")
                .bind(to_db_id(guild))
                .bind(to_db_id(user))
                .fetch_optional(&mut **tx)
                .await?;
        sqlx::query(
            "INSERT INTO members (guild_id, user_id, left_at, checked_at) VALUES ($1, $2, NULL, $3)
             ON CONFLICT (guild_id, user_id) DO UPDATE SET left_at = NULL, checked_at = excluded.checked_at",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(matches!(left, Some(Some(_))))
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn member_marks(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<Mark>, StoreError> {
        Self::marks_in(&self.reads, guild, user).await
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn apply(
        &self,
        change: &Change<'_>,
        tallies: impl FnOnce(TallyInput<'_>) -> Vec<TallyWrite>,
    ) -> Result<Outcome, StoreError> {
        let (guild, user) = (to_db_id(change.guild), to_db_id(change.user));
        let mut tx = self.write_member(guild, user).await?;
        let before = Self::marks_in(&mut *tx, change.guild, change.user).await?;
        let previous = before.iter().find(|m| m.item_id == change.item_id).cloned();
        let unchanged = |nothing_to_undo| Outcome {
            before: before.clone(),
            after: before.clone(),
            previous: previous.clone(),
            current: previous.clone(),
            changed: false,
            nothing_to_undo,
        };
        let (to, cause) = match change.target {
            Target::Set(state) => (state, Cause::Mark),
            Target::Undo => {
                if previous.is_none() {
                    return Ok(unchanged(true));
                }
                let last: Option<(Option<String>, String)> = sqlx::query_as(
                    "SELECT from_state, cause FROM progress_events
                     WHERE guild_id = $1 AND user_id = $2 AND item_id = $3 ORDER BY id DESC LIMIT 1",
                )
                .bind(guild)
                .bind(user)
                .bind(change.item_id)
                .fetch_optional(&mut *tx)
                .await?;
                let to = match last {
                    Some((from, cause)) if cause == Cause::Mark.as_str() => {
                        from.as_deref().and_then(State::parse)
                    }
                    _ => None,
                };
                (to, Cause::Undo)
            }
        };
        if to == previous.as_ref().map(|m| m.state) {
            return Ok(unchanged(false));
        }

        match to {
            Some(state) => {
                sqlx::query(
                    "INSERT INTO progress (guild_id, user_id, item_id, state, since) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (guild_id, user_id, item_id) DO UPDATE SET state = excluded.state, since = excluded.since",
                )
                .bind(guild)
                .bind(user)
                .bind(change.item_id)
                .bind(state.as_str())
                .bind(change.at)
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "DELETE FROM progress WHERE guild_id = $1 AND user_id = $2 AND item_id = $3",
                )
                .bind(guild)
                .bind(user)
                .bind(change.item_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO progress_events (guild_id, user_id, item_id, from_state, to_state, cause, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(guild)
        .bind(user)
        .bind(change.item_id)
        .bind(previous.as_ref().map(|m| m.state.as_str()))
        .bind(to.map(State::as_str))
        .bind(cause.as_str())
        .bind(change.at)
        .execute(&mut *tx)
        .await?;

        let (old_learning, old_done) = counter(previous.as_ref().map(|m| m.state));
        let (new_learning, new_done) = counter(to);
        sqlx::query("INSERT INTO item_counts (guild_id, item_id) VALUES ($1, $2) ON CONFLICT (guild_id, item_id) DO NOTHING")
            .bind(guild)
            .bind(change.item_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE item_counts
             SET learning = CASE WHEN learning + $1 < 0 THEN 0 ELSE learning + $1 END,
                 done = CASE WHEN done + $2 < 0 THEN 0 ELSE done + $2 END
             WHERE guild_id = $3 AND item_id = $4",
        )
        .bind(new_learning - old_learning)
        .bind(new_done - old_done)
        .bind(guild)
        .bind(change.item_id)
        .execute(&mut *tx)
        .await?;

        let rejoined = Self::present_in(&mut tx, change.guild, change.user, change.at).await?;
        let mut after: Vec<Mark> = before
            .iter()
            .filter(|m| m.item_id != change.item_id)
            .cloned()
            .collect();
        let current = to.map(|state| Mark {
            item_id: change.item_id.to_string(),
            state,
            since: change.at,
        });
        if let Some(c) = &current {
            after.push(c.clone());
            after.sort_by(|a, b| a.item_id.cmp(&b.item_id));
        }
        let writes = tallies(TallyInput {
            marks: &after,
            previous: previous.as_ref(),
            full: rejoined,
        });
        Self::write_tallies(&mut tx, change.guild, change.user, &writes, rejoined).await?;
        tx.commit().await?;
        Ok(Outcome {
            before,
            after,
            previous,
            current,
            changed: true,
            nothing_to_undo: false,
        })
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn item_counts(
        &self,
        guild: u64,
    ) -> Result<Vec<(String, u64, u64)>, StoreError> {
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT item_id, learning, done FROM item_counts WHERE guild_id = $1 AND learning + done > 0")
                .bind(to_db_id(guild))
                .fetch_all(&self.reads)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(i, l, d)| (i, l.max(0) as u64, d.max(0) as u64))
            .collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn guilds_with_progress(&self) -> Result<Vec<u64>, StoreError> {
        // From the facts, not from a derived table that may be the thing needing repair.
        let rows: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT guild_id FROM progress")
            .fetch_all(&self.reads)
            .await?;
        Ok(rows.into_iter().map(from_db_id).collect())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn rebuild_guild(
        &self,
        guild: u64,
        compute: impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write_guild(to_db_id(guild)).await?;
        let written = Self::rebuild_guild_in(&mut tx, guild, &compute).await?;
        tx.commit().await?;
        Ok(written)
    }

    pub(super) async fn rebuild_guild_in(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        compute: &impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<usize, StoreError> {
        let g = to_db_id(guild);
        sqlx::query("DELETE FROM done_tallies WHERE guild_id = $1")
            .bind(g)
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM done_histogram WHERE guild_id = $1")
            .bind(g)
            .execute(&mut **tx)
            .await?;
        let mut written = 0;
        let mut after = i64::MIN;
        let mut pending: Vec<(i64, TallyKey, TallyValue)> = Vec::new();
        loop {
            // The next batch of members who have anything done and are still in the server.
            let users: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT p.user_id FROM progress p
             LEFT JOIN members m ON m.guild_id = p.guild_id AND m.user_id = p.user_id
             WHERE p.guild_id = $1 AND p.user_id > $2 AND p.state = 'done' AND m.left_at IS NULL
             ORDER BY p.user_id LIMIT $3",
            )
            .bind(g)
            .bind(after)
            .bind(REBUILD_BATCH)
            .fetch_all(&mut **tx)
            .await?;
            let (Some(&first), Some(&last)) = (users.first(), users.last()) else {
                break;
            };
            let rows: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT user_id, item_id, since FROM progress
             WHERE guild_id = $1 AND user_id BETWEEN $2 AND $3 AND state = 'done' ORDER BY user_id",
            )
            .bind(g)
            .bind(first)
            .bind(last)
            .fetch_all(&mut **tx)
            .await?;
            let mut start = 0;
            while start < rows.len() {
                let user = rows[start].0;
                let end = rows[start..]
                    .iter()
                    .position(|r| r.0 != user)
                    .map_or(rows.len(), |p| start + p);
                if users.binary_search(&user).is_ok() {
                    let marks: Vec<Mark> = rows[start..end]
                        .iter()
                        .map(|(_, item_id, since)| Mark {
                            item_id: item_id.clone(),
                            state: State::Done,
                            since: *since,
                        })
                        .collect();
                    pending.extend(compute(&marks).into_iter().map(|(k, v)| (user, k, v)));
                }
                start = end;
            }
            written += Self::insert_tallies(tx, g, &pending).await?;
            pending.clear();
            after = last;
        }
        sqlx::query(
            "INSERT INTO done_histogram (guild_id, scope, period, starts, done, members)
         SELECT guild_id, scope, period, starts, done, COUNT(*) FROM done_tallies
         WHERE guild_id = $1 GROUP BY guild_id, scope, period, starts, done",
        )
        .bind(g)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM item_counts WHERE guild_id = $1")
            .bind(g)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
        "INSERT INTO item_counts (guild_id, item_id, learning, done)
         SELECT guild_id, item_id, CAST(SUM(CASE WHEN state = 'learning' THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS BIGINT)
         FROM progress WHERE guild_id = $1 GROUP BY guild_id, item_id",
    )
    .bind(g)
    .execute(&mut **tx)
    .await?;
        Ok(written)
    }

    async fn insert_tallies(
        tx: &mut Transaction<'static, DB>,
        guild: i64,
        rows: &[(i64, TallyKey, TallyValue)],
    ) -> Result<usize, StoreError> {
        for chunk in rows.chunks(INSERT_BATCH) {
            let sql = format!(
                "INSERT INTO done_tallies (guild_id, scope, period, starts, user_id, done, reached_at) VALUES {}",
                placeholders(1, chunk.len(), 7)
            );
            let mut insert = sqlx::query(&sql);
            for (user, key, value) in chunk {
                insert = insert
                    .bind(guild)
                    .bind(&key.scope)
                    .bind(key.period.as_str())
                    .bind(key.starts)
                    .bind(*user)
                    .bind(value.done)
                    .bind(value.reached_at);
            }
            insert.execute(&mut **tx).await?;
        }
        Ok(rows.len())
    }
}
