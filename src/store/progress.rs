//! Progress rows, their event log, popularity counts and leaderboard tallies: written together,
//! in one transaction, so they always agree.

use std::collections::BTreeMap;

use sqlx::{Executor, Transaction};

use super::macros::{facade, queries};
use super::{StoreError, from_db_id, to_db_id};
use crate::progress::change::{Change, Outcome, Target};
use crate::progress::periods::Period;
use crate::progress::tally::{TallyInput, TallyKey, TallyValue, TallyWrite};
use crate::progress::{Mark, MemberView, State};

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

/// The day a tally was reached, as `done_days` buckets it (the SQL that rebuilds it divides the
/// same way: times are after 1970, so this is the UTC day).
pub(super) fn day(reached_at: i64) -> i64 {
    reached_at / 86_400
}

/// Marks from `member_view`'s list: `item state since` entries, comma-separated (ids are slugs
/// and states words, so neither separator occurs in them).
fn marks_of_list(list: &str) -> Vec<Mark> {
    list.split(',')
        .filter_map(|entry| {
            let mut parts = entry.split(' ');
            let (item_id, state, since) = (parts.next()?, parts.next()?, parts.next()?);
            Some(Mark {
                item_id: item_id.to_string(),
                state: State::parse(state)?,
                since: since.parse().ok()?,
            })
        })
        .collect()
}

/// How a member's tallies move: each key's value before and after (`None`: no row).
type TallyMoves<'a> = BTreeMap<&'a TallyKey, (Option<TallyValue>, Option<TallyValue>)>;

/// The tallies that change: the computed writes over the current rows (and, on a full
/// rewrite, every current row that no write keeps), without those that end where they were.
fn tally_moves<'a>(
    current: &'a BTreeMap<TallyKey, TallyValue>,
    writes: &'a [TallyWrite],
    full: bool,
) -> TallyMoves<'a> {
    let mut moves = TallyMoves::new();
    if full {
        for (key, value) in current {
            moves.insert(key, (Some(*value), None));
        }
    }
    for (key, value) in writes {
        moves.insert(key, (current.get(key).copied(), *value));
    }
    moves.retain(|_, (from, to)| from != to);
    moves
}

/// A member's marks after a change of one item (`current`: its new mark, if any), by item id.
fn marks_after(before: &[Mark], item_id: &str, current: Option<&Mark>) -> Vec<Mark> {
    let mut after: Vec<Mark> = before
        .iter()
        .filter(|m| m.item_id != item_id)
        .cloned()
        .collect();
    if let Some(c) = current {
        after.push(c.clone());
        after.sort_by(|a, b| a.item_id.cmp(&b.item_id));
    }
    after
}

/// Members rebuilt per batch: bounds memory on large servers.
const REBUILD_BATCH: i64 = 2_000;
/// Rows per multi-row INSERT (7 values each, far below both engines' parameter limits).
const INSERT_BATCH: usize = 500;

facade! {
    /// What a member's reply needs of them, in one read: their marks in the server (every row)
    /// and whether a notice waits for them. One row whatever the number of marks, so it costs
    /// one trip to the database (a read on SQLite's worker thread, a round trip to PostgreSQL),
    /// not one per statement or per row.
    pub async fn member_view(&self, guild: u64, user: u64) -> Result<MemberView, StoreError> {
        let (marks, notice): (Option<String>, Option<bool>) = sqlx::query_as(
            "SELECT (SELECT string_agg(item_id || ' ' || state || ' ' || CAST(since AS TEXT), ',' ORDER BY item_id)
                     FROM progress WHERE guild_id = $1 AND user_id = $2),
                    (SELECT notice_pending FROM streak_reminders WHERE guild_id = $1 AND user_id = $2)",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_one(&self.reads)
        .await?;
        Ok(MemberView {
            marks: marks.as_deref().map(marks_of_list).unwrap_or_default(),
            notice_pending: notice == Some(true),
        })
    }

    /// A member's marks in a server (every row, including items no longer in the roadmap).
    pub async fn member_marks(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<Mark>, StoreError> {
        Self::marks_in(&self.reads, guild, user).await
    }

    /// Applies a change atomically: the progress row, an event, popularity counts, the member's
    /// presence and their tallies (computed by `tallies` from the rows as they are inside the
    /// transaction). Marking a state the item already has writes nothing and keeps its time.
    pub async fn apply(
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
            streak: None,
        };
        let (to, cause) = match change.target {
            Target::Set(state) => (state, Cause::Mark),
            Target::Undo if previous.is_none() => return Ok(unchanged(true)),
            Target::Undo => (Self::undone_state_in(&mut tx, change).await?, Cause::Undo),
        };
        if to == previous.as_ref().map(|m| m.state) {
            return Ok(unchanged(false));
        }
        // A member who had left counts again: their marks go back into the item counts before
        // this change moves one of them.
        let rejoined = Self::present_in(&mut tx, change.guild, change.user, change.at).await?;
        if let Some(appearance) = change.appearance {
            Self::appearance_in(&mut tx, change.guild, change.user, appearance).await?;
        }
        if rejoined {
            Self::adjust_item_counts(&mut tx, change.guild, &before, 1).await?;
        }
        let from = previous.as_ref().map(|m| m.state);
        Self::set_state_in(&mut tx, change, to).await?;
        Self::log_event_in(&mut tx, change, from, to, cause).await?;
        Self::move_item_count_in(&mut tx, change, from, to).await?;
        let current = to.map(|state| Mark {
            item_id: change.item_id.to_string(),
            state,
            since: change.at,
        });
        let after = marks_after(&before, change.item_id, current.as_ref());
        let writes = tallies(TallyInput {
            marks: &after,
            previous: previous.as_ref(),
            full: rejoined,
        });
        Self::write_tallies(&mut tx, change.guild, change.user, &writes, rejoined).await?;
        let streak = match cause {
            Cause::Mark => Some(
                Self::study_in(&mut tx, change.guild, change.user, change.day, change.at).await?,
            ),
            Cause::Undo => None,
        };
        tx.commit().await?;
        Ok(Outcome {
            before,
            after,
            previous,
            current,
            changed: true,
            nothing_to_undo: false,
            streak,
        })
    }

    /// How many members of a server are learning or have done each item.
    pub async fn item_counts(
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

    /// Servers that have any progress.
    pub async fn guilds_with_progress(&self) -> Result<Vec<u64>, StoreError> {
        // From the facts, not from a derived table that may be the thing needing repair.
        let rows: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT guild_id FROM progress")
            .fetch_all(&self.reads)
            .await?;
        Ok(rows.into_iter().map(from_db_id).collect())
    }

    /// Rewrites every tally and popularity count of a server from `progress` (after a roadmap
    /// or time-zone change). `compute` turns one member's marks into their tallies.
    pub async fn rebuild_guild(
        &self,
        guild: u64,
        compute: impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write_guild(to_db_id(guild)).await?;
        let written = Self::rebuild_guild_in(&mut tx, guild, &compute).await?;
        tx.commit().await?;
        Ok(written)
    }
}

queries! {
    /// What an undo goes back to: the state before the item's last mark (nothing, when its last
    /// event was itself an undo: undoing again clears the item).
    async fn undone_state_in(
        tx: &mut Transaction<'static, DB>,
        change: &Change<'_>,
    ) -> Result<Option<State>, StoreError> {
        let last: Option<(Option<String>, String)> = sqlx::query_as(
            "SELECT from_state, cause FROM progress_events
             WHERE guild_id = $1 AND user_id = $2 AND item_id = $3 ORDER BY id DESC LIMIT 1",
        )
        .bind(to_db_id(change.guild))
        .bind(to_db_id(change.user))
        .bind(change.item_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(match last {
            Some((from, cause)) if cause == Cause::Mark.as_str() => {
                from.as_deref().and_then(State::parse)
            }
            _ => None,
        })
    }

    /// The item's progress row: written with the new state, or removed.
    async fn set_state_in(
        tx: &mut Transaction<'static, DB>,
        change: &Change<'_>,
        to: Option<State>,
    ) -> Result<(), StoreError> {
        let (guild, user) = (to_db_id(change.guild), to_db_id(change.user));
        match to {
            Some(state) => sqlx::query(
                "INSERT INTO progress (guild_id, user_id, item_id, state, since) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (guild_id, user_id, item_id) DO UPDATE SET state = excluded.state, since = excluded.since",
            )
            .bind(guild)
            .bind(user)
            .bind(change.item_id)
            .bind(state.as_str())
            .bind(change.at),
            None => sqlx::query(
                "DELETE FROM progress WHERE guild_id = $1 AND user_id = $2 AND item_id = $3",
            )
            .bind(guild)
            .bind(user)
            .bind(change.item_id),
        }
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The change in the event log, with why it happened.
    async fn log_event_in(
        tx: &mut Transaction<'static, DB>,
        change: &Change<'_>,
        from: Option<State>,
        to: Option<State>,
        cause: Cause,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO progress_events (guild_id, user_id, item_id, from_state, to_state, cause, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(to_db_id(change.guild))
        .bind(to_db_id(change.user))
        .bind(change.item_id)
        .bind(from.map(State::as_str))
        .bind(to.map(State::as_str))
        .bind(cause.as_str())
        .bind(change.at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The item's popularity counts, moved from the old state to the new one.
    async fn move_item_count_in(
        tx: &mut Transaction<'static, DB>,
        change: &Change<'_>,
        from: Option<State>,
        to: Option<State>,
    ) -> Result<(), StoreError> {
        let (old_learning, old_done) = counter(from);
        let (new_learning, new_done) = counter(to);
        // The new row starts at the changes clamped to zero (a CHECK holds on it even when the
        // row exists); an existing one moves by them, never below zero.
        sqlx::query(
            "INSERT INTO item_counts (guild_id, item_id, learning, done)
             VALUES ($1, $2, CASE WHEN $3 < 0 THEN 0 ELSE $3 END, CASE WHEN $4 < 0 THEN 0 ELSE $4 END)
             ON CONFLICT (guild_id, item_id) DO UPDATE SET
                 learning = CASE WHEN item_counts.learning + $3 < 0 THEN 0 ELSE item_counts.learning + $3 END,
                 done = CASE WHEN item_counts.done + $4 < 0 THEN 0 ELSE item_counts.done + $4 END",
        )
        .bind(to_db_id(change.guild))
        .bind(change.item_id)
        .bind(new_learning - old_learning)
        .bind(new_done - old_done)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

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

    /// Every tally row of one member.
    async fn member_tallies_in(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
    ) -> Result<BTreeMap<TallyKey, TallyValue>, StoreError> {
        let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT scope, period, starts, done, reached_at FROM done_tallies WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_all(&mut **tx)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(scope, period, starts, done, reached_at)| {
                let key = TallyKey {
                    scope,
                    period: Period::parse(&period)?,
                    starts,
                };
                Some((key, TallyValue { done, reached_at }))
            })
            .collect())
    }

    /// Removes every tally of one member (they left).
    pub(super) async fn remove_tallies(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
    ) -> Result<(), StoreError> {
        Self::write_tallies(tx, guild, user, &[], true).await
    }

    /// Writes tally rows for one member, keeping both histograms exact; with `full`, `writes` is
    /// the member's whole set and every other row of theirs goes.
    ///
    /// A `/done` touches six boards (three periods, the roadmap and the item's section), so this
    /// works set-wise: one read of the member's rows, then at most one statement per table.
    /// Each statement is a round trip (to SQLite's worker thread, or to PostgreSQL): per-row
    /// statements made a `/done` 36 round trips.
    pub(super) async fn write_tallies(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        user: u64,
        writes: &[TallyWrite],
        full: bool,
    ) -> Result<(), StoreError> {
        let current = Self::member_tallies_in(tx, guild, user).await?;
        let moves = tally_moves(&current, writes, full);
        if moves.is_empty() {
            return Ok(());
        }
        let (g, u) = (to_db_id(guild), to_db_id(user));
        let upserts: Vec<(&TallyKey, TallyValue)> = moves
            .iter()
            .filter_map(|(key, (_, to))| to.map(|to| (*key, to)))
            .collect();
        Self::upsert_tallies_in(tx, g, u, &upserts).await?;
        let removed: Vec<&TallyKey> = moves
            .iter()
            .filter(|(_, (_, to))| to.is_none())
            .map(|(key, _)| *key)
            .collect();
        Self::delete_tallies_in(tx, g, u, &removed).await?;
        Self::move_histograms_in(tx, g, &moves).await
    }

    async fn upsert_tallies_in(
        tx: &mut Transaction<'static, DB>,
        guild: i64,
        user: i64,
        upserts: &[(&TallyKey, TallyValue)],
    ) -> Result<(), StoreError> {
        if upserts.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO done_tallies (guild_id, scope, period, starts, user_id, done, reached_at) VALUES {}
             ON CONFLICT (guild_id, scope, period, starts, user_id)
             DO UPDATE SET done = excluded.done, reached_at = excluded.reached_at",
            DB::values(1, upserts.len(), 7)
        );
        let mut upsert = sqlx::query(&sql);
        for (key, value) in upserts {
            upsert = upsert
                .bind(guild)
                .bind(&key.scope)
                .bind(key.period.as_str())
                .bind(key.starts)
                .bind(user)
                .bind(value.done)
                .bind(value.reached_at);
        }
        upsert.execute(&mut **tx).await?;
        Ok(())
    }

    async fn delete_tallies_in(
        tx: &mut Transaction<'static, DB>,
        guild: i64,
        user: i64,
        removed: &[&TallyKey],
    ) -> Result<(), StoreError> {
        if removed.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "DELETE FROM done_tallies WHERE guild_id = $1 AND user_id = $2 AND (scope, period, starts) IN (VALUES {})",
            DB::values(3, removed.len(), 3)
        );
        let mut delete = sqlx::query(&sql).bind(guild).bind(user);
        for key in removed {
            delete = delete
                .bind(&key.scope)
                .bind(key.period.as_str())
                .bind(key.starts);
        }
        delete.execute(&mut **tx).await?;
        Ok(())
    }

    /// Both histograms, as net changes per row (a member moving from 20 to 21 done is -1 on 20
    /// and +1 on 21; rows whose changes cancel out are not written).
    async fn move_histograms_in(
        tx: &mut Transaction<'static, DB>,
        guild: i64,
        moves: &TallyMoves<'_>,
    ) -> Result<(), StoreError> {
        let mut counts: BTreeMap<(&TallyKey, i64), i64> = BTreeMap::new();
        let mut days: BTreeMap<(&TallyKey, i64, i64), i64> = BTreeMap::new();
        for (key, (from, to)) in moves {
            for (value, delta) in [(from, -1), (to, 1)] {
                if let Some(v) = value {
                    *counts.entry((*key, v.done)).or_default() += delta;
                    *days.entry((*key, v.done, day(v.reached_at))).or_default() += delta;
                }
            }
        }
        counts.retain(|_, delta| *delta != 0);
        days.retain(|_, delta| *delta != 0);
        if !counts.is_empty() {
            let sql = format!(
                "INSERT INTO done_histogram (guild_id, scope, period, starts, done, members) VALUES {}
                 ON CONFLICT (guild_id, scope, period, starts, done) DO UPDATE SET members = done_histogram.members + excluded.members",
                DB::values(1, counts.len(), 6)
            );
            let mut upsert = sqlx::query(&sql);
            for ((key, done), delta) in &counts {
                upsert = upsert
                    .bind(guild)
                    .bind(&key.scope)
                    .bind(key.period.as_str())
                    .bind(key.starts)
                    .bind(*done)
                    .bind(*delta);
            }
            upsert.execute(&mut **tx).await?;
        }
        if !days.is_empty() {
            let sql = format!(
                "INSERT INTO done_days (guild_id, scope, period, starts, done, day, members) VALUES {}
                 ON CONFLICT (guild_id, scope, period, starts, done, day) DO UPDATE SET members = done_days.members + excluded.members",
                DB::values(1, days.len(), 7)
            );
            let mut upsert = sqlx::query(&sql);
            for ((key, done, day), delta) in &days {
                upsert = upsert
                    .bind(guild)
                    .bind(&key.scope)
                    .bind(key.period.as_str())
                    .bind(key.starts)
                    .bind(*done)
                    .bind(*day)
                    .bind(*delta);
            }
            upsert.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Adds (`sign` 1) or removes (`sign` -1) a member's marks from the item counts: counts are
    /// of members still in the server.
    pub(super) async fn adjust_item_counts(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        marks: &[Mark],
        sign: i64,
    ) -> Result<(), StoreError> {
        for mark in marks {
            let (learning, done) = counter(Some(mark.state));
            if learning == 0 && done == 0 {
                continue;
            }
            let (learning, done) = (learning * sign, done * sign);
            sqlx::query(
                "INSERT INTO item_counts (guild_id, item_id, learning, done)
                 VALUES ($1, $2, CASE WHEN $3 < 0 THEN 0 ELSE $3 END, CASE WHEN $4 < 0 THEN 0 ELSE $4 END)
                 ON CONFLICT (guild_id, item_id) DO UPDATE SET
                     learning = CASE WHEN item_counts.learning + $3 < 0 THEN 0 ELSE item_counts.learning + $3 END,
                     done = CASE WHEN item_counts.done + $4 < 0 THEN 0 ELSE item_counts.done + $4 END",
            )
            .bind(to_db_id(guild))
            .bind(&mark.item_id)
            .bind(learning)
            .bind(done)
            .execute(&mut **tx)
            .await?;
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

    pub(super) async fn rebuild_guild_in(
        tx: &mut Transaction<'static, DB>,
        guild: u64,
        compute: &impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<usize, StoreError> {
        let g = to_db_id(guild);
        for table in ["done_tallies", "done_histogram", "done_days"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE guild_id = $1"))
                .bind(g)
                .execute(&mut **tx)
                .await?;
        }
        let mut written = 0;
        let mut after = i64::MIN;
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
            let Some(&last) = users.last() else {
                break;
            };
            let tallies = Self::batch_tallies_in(tx, g, &users, compute).await?;
            written += Self::insert_tallies(tx, g, &tallies).await?;
            after = last;
        }
        Self::rebuild_counts_in(tx, g).await?;
        Ok(written)
    }

    /// The tallies of a batch of members (sorted ids), from their done items.
    async fn batch_tallies_in(
        tx: &mut Transaction<'static, DB>,
        guild: i64,
        users: &[i64],
        compute: &impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<Vec<(i64, TallyKey, TallyValue)>, StoreError> {
        let (Some(&first), Some(&last)) = (users.first(), users.last()) else {
            return Ok(Vec::new());
        };
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT user_id, item_id, since FROM progress
             WHERE guild_id = $1 AND user_id BETWEEN $2 AND $3 AND state = 'done' ORDER BY user_id",
        )
        .bind(guild)
        .bind(first)
        .bind(last)
        .fetch_all(&mut **tx)
        .await?;
        let mut tallies = Vec::new();
        for member in rows.chunk_by(|a, b| a.0 == b.0) {
            let user = member[0].0;
            // Between the batch's first and last ids, only its members (others have left).
            if users.binary_search(&user).is_err() {
                continue;
            }
            let marks: Vec<Mark> = member
                .iter()
                .map(|(_, item_id, since)| Mark {
                    item_id: item_id.clone(),
                    state: State::Done,
                    since: *since,
                })
                .collect();
            tallies.extend(compute(&marks).into_iter().map(|(k, v)| (user, k, v)));
        }
        Ok(tallies)
    }

    /// Both histograms from the rebuilt tallies, and the item counts from `progress` (of members
    /// still in the server, like the tallies).
    async fn rebuild_counts_in(
        tx: &mut Transaction<'static, DB>,
        guild: i64,
    ) -> Result<(), StoreError> {
        for sql in [
            "INSERT INTO done_histogram (guild_id, scope, period, starts, done, members)
             SELECT guild_id, scope, period, starts, done, COUNT(*) FROM done_tallies
             WHERE guild_id = $1 GROUP BY guild_id, scope, period, starts, done",
            "INSERT INTO done_days (guild_id, scope, period, starts, done, day, members)
             SELECT guild_id, scope, period, starts, done, reached_at / 86400, COUNT(*) FROM done_tallies
             WHERE guild_id = $1 GROUP BY guild_id, scope, period, starts, done, reached_at / 86400",
            "DELETE FROM item_counts WHERE guild_id = $1",
            "INSERT INTO item_counts (guild_id, item_id, learning, done)
             SELECT p.guild_id, p.item_id, CAST(SUM(CASE WHEN p.state = 'learning' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN p.state = 'done' THEN 1 ELSE 0 END) AS BIGINT)
             FROM progress p LEFT JOIN members m ON m.guild_id = p.guild_id AND m.user_id = p.user_id
             WHERE p.guild_id = $1 AND m.left_at IS NULL GROUP BY p.guild_id, p.item_id",
        ] {
            sqlx::query(sql).bind(guild).execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn insert_tallies(
        tx: &mut Transaction<'static, DB>,
        guild: i64,
        rows: &[(i64, TallyKey, TallyValue)],
    ) -> Result<usize, StoreError> {
        for chunk in rows.chunks(INSERT_BATCH) {
            let sql = format!(
                "INSERT INTO done_tallies (guild_id, scope, period, starts, user_id, done, reached_at) VALUES {}",
                DB::values(1, chunk.len(), 7)
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
