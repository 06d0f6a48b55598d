//! Progress rows, their event log, popularity counts and leaderboard tallies: written together,
//! in one transaction, so they always agree.

use sqlx::{Sqlite, Transaction};

use super::{Store, StoreError, from_db_id, to_db_id};
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

/// A member's marks in a server, ordered by item id: on the pool, or inside a transaction.
pub(super) async fn marks_in<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    guild: u64,
    user: u64,
) -> Result<Vec<Mark>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT item_id, state, since FROM progress WHERE guild_id = ? AND user_id = ? ORDER BY item_id",
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
    tx: &mut Transaction<'static, Sqlite>,
    guild: u64,
    key: &TallyKey,
    done: i64,
    delta: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO done_histogram (guild_id, scope, period, starts, done, members) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (guild_id, scope, period, starts, done) DO UPDATE SET members = members + excluded.members",
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
    tx: &mut Transaction<'static, Sqlite>,
    guild: u64,
    user: u64,
) -> Result<Vec<(TallyKey, i64)>, StoreError> {
    let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT scope, period, starts, done FROM done_tallies WHERE guild_id = ? AND user_id = ?",
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

/// Removes every tally of one member (they left, or are about to be rewritten).
pub(super) async fn remove_tallies(
    tx: &mut Transaction<'static, Sqlite>,
    guild: u64,
    user: u64,
) -> Result<(), StoreError> {
    for (key, done) in member_tallies_in(tx, guild, user).await? {
        histogram(tx, guild, &key, done, -1).await?;
    }
    sqlx::query("DELETE FROM done_tallies WHERE guild_id = ? AND user_id = ?")
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Writes tally rows for one member, keeping the histogram exact; with `full`, their old rows
/// are removed first.
pub(super) async fn write_tallies(
    tx: &mut Transaction<'static, Sqlite>,
    guild: u64,
    user: u64,
    writes: &[TallyWrite],
    full: bool,
) -> Result<(), StoreError> {
    if full {
        remove_tallies(tx, guild, user).await?;
    }
    for (key, value) in writes {
        let old: Option<i64> = sqlx::query_scalar(
            "SELECT done FROM done_tallies WHERE guild_id = ? AND scope = ? AND period = ? AND starts = ? AND user_id = ?",
        )
        .bind(to_db_id(guild))
        .bind(&key.scope)
        .bind(key.period.as_str())
        .bind(key.starts)
        .bind(to_db_id(user))
        .fetch_optional(&mut **tx)
        .await?;
        match value {
            Some(v) => {
                sqlx::query(
                    "INSERT INTO done_tallies (guild_id, scope, period, starts, user_id, done, reached_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (guild_id, scope, period, starts, user_id)
                     DO UPDATE SET done = excluded.done, reached_at = excluded.reached_at",
                )
                .bind(to_db_id(guild))
                .bind(&key.scope)
                .bind(key.period.as_str())
                .bind(key.starts)
                .bind(to_db_id(user))
                .bind(v.done)
                .bind(v.reached_at)
                .execute(&mut **tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "DELETE FROM done_tallies
                     WHERE guild_id = ? AND scope = ? AND period = ? AND starts = ? AND user_id = ?",
                )
                .bind(to_db_id(guild))
                .bind(&key.scope)
                .bind(key.period.as_str())
                .bind(key.starts)
                .bind(to_db_id(user))
                .execute(&mut **tx)
                .await?;
            }
        }
        let new = value.map(|v| v.done);
        if old != new {
            if let Some(old) = old {
                histogram(tx, guild, key, old, -1).await?;
            }
            if let Some(new) = new {
                histogram(tx, guild, key, new, 1).await?;
            }
        }
    }
    Ok(())
}

/// Marks a member present; returns whether they had left (their tallies must be rebuilt).
pub(super) async fn present_in(
    tx: &mut Transaction<'static, Sqlite>,
    guild: u64,
    user: u64,
    now: i64,
) -> Result<bool, StoreError> {
    let left: Option<Option<i64>> =
        sqlx::query_scalar("SELECT left_at FROM members WHERE guild_id = ? AND user_id = ?")
            .bind(to_db_id(guild))
            .bind(to_db_id(user))
            .fetch_optional(&mut **tx)
            .await?;
    sqlx::query(
        "INSERT INTO members (guild_id, user_id, left_at, checked_at) VALUES (?, ?, NULL, ?)
         ON CONFLICT (guild_id, user_id) DO UPDATE SET left_at = NULL, checked_at = excluded.checked_at",
    )
    .bind(to_db_id(guild))
    .bind(to_db_id(user))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(matches!(left, Some(Some(_))))
}

fn counter(state: Option<State>) -> (i64, i64) {
    match state {
        Some(State::Learning) => (1, 0),
        Some(State::Done) => (0, 1),
        _ => (0, 0),
    }
}

impl Store {
    /// A member's marks in a server (every row, including items no longer in the roadmap).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn member_marks(&self, guild: u64, user: u64) -> Result<Vec<Mark>, StoreError> {
        marks_in(&self.reads, guild, user).await
    }

    /// Applies a change atomically: the progress row, an event, popularity counts, the member's
    /// presence and their tallies (computed by `tallies` from the rows as they are inside the
    /// transaction). Marking a state the item already has writes nothing and keeps its time.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn apply(
        &self,
        change: &Change<'_>,
        tallies: impl FnOnce(TallyInput<'_>) -> Vec<TallyWrite>,
    ) -> Result<Outcome, StoreError> {
        let (guild, user) = (to_db_id(change.guild), to_db_id(change.user));
        let mut tx = self.write().await?;
        let before = marks_in(&mut *tx, change.guild, change.user).await?;
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
                     WHERE guild_id = ? AND user_id = ? AND item_id = ? ORDER BY id DESC LIMIT 1",
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
                    "INSERT INTO progress (guild_id, user_id, item_id, state, since) VALUES (?, ?, ?, ?, ?)
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
                    "DELETE FROM progress WHERE guild_id = ? AND user_id = ? AND item_id = ?",
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
             VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        sqlx::query("INSERT INTO item_counts (guild_id, item_id) VALUES (?, ?) ON CONFLICT (guild_id, item_id) DO NOTHING")
            .bind(guild)
            .bind(change.item_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE item_counts SET learning = MAX(learning + ?, 0), done = MAX(done + ?, 0)
             WHERE guild_id = ? AND item_id = ?",
        )
        .bind(new_learning - old_learning)
        .bind(new_done - old_done)
        .bind(guild)
        .bind(change.item_id)
        .execute(&mut *tx)
        .await?;

        let rejoined = present_in(&mut tx, change.guild, change.user, change.at).await?;
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
        write_tallies(&mut tx, change.guild, change.user, &writes, rejoined).await?;
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

    /// How many members of a server are learning or have done each item.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn item_counts(&self, guild: u64) -> Result<Vec<(String, u64, u64)>, StoreError> {
        let rows: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT item_id, learning, done FROM item_counts WHERE guild_id = ? AND learning + done > 0")
                .bind(to_db_id(guild))
                .fetch_all(&self.reads)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(i, l, d)| (i, l.max(0) as u64, d.max(0) as u64))
            .collect())
    }

    /// Servers that have any progress.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn guilds_with_progress(&self) -> Result<Vec<u64>, StoreError> {
        // From the facts, not from a derived table that may be the thing needing repair.
        let rows: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT guild_id FROM progress")
            .fetch_all(&self.reads)
            .await?;
        Ok(rows.into_iter().map(from_db_id).collect())
    }

    /// Rewrites every tally and popularity count of a server from `progress` (after a roadmap
    /// or time-zone change). `compute` turns one member's marks into their tallies.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn rebuild_guild(
        &self,
        guild: u64,
        compute: impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.write().await?;
        let written = rebuild_guild_in(&mut tx, guild, &compute).await?;
        tx.commit().await?;
        Ok(written)
    }
}

/// Members rebuilt per batch: bounds memory on large servers.
const REBUILD_BATCH: i64 = 2_000;

pub(super) async fn rebuild_guild_in(
    tx: &mut Transaction<'static, Sqlite>,
    guild: u64,
    compute: &impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
) -> Result<usize, StoreError> {
    let g = to_db_id(guild);
    sqlx::query("DELETE FROM done_tallies WHERE guild_id = ?")
        .bind(g)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM done_histogram WHERE guild_id = ?")
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
             WHERE p.guild_id = ? AND p.user_id > ? AND p.state = 'done' AND m.left_at IS NULL
             ORDER BY p.user_id LIMIT ?",
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
             WHERE guild_id = ? AND user_id BETWEEN ? AND ? AND state = 'done' ORDER BY user_id",
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
        written += insert_tallies(tx, g, &pending).await?;
        pending.clear();
        after = last;
    }
    sqlx::query(
        "INSERT INTO done_histogram (guild_id, scope, period, starts, done, members)
         SELECT guild_id, scope, period, starts, done, COUNT(*) FROM done_tallies
         WHERE guild_id = ? GROUP BY guild_id, scope, period, starts, done",
    )
    .bind(g)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM item_counts WHERE guild_id = ?")
        .bind(g)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO item_counts (guild_id, item_id, learning, done)
         SELECT guild_id, item_id, SUM(CASE WHEN state = 'learning' THEN 1 ELSE 0 END),
                SUM(CASE WHEN state = 'done' THEN 1 ELSE 0 END)
         FROM progress WHERE guild_id = ? GROUP BY guild_id, item_id",
    )
    .bind(g)
    .execute(&mut **tx)
    .await?;
    Ok(written)
}

/// Rows per multi-row INSERT (7 values each, far below SQLite's variable limit).
const INSERT_BATCH: usize = 500;

async fn insert_tallies(
    tx: &mut Transaction<'static, Sqlite>,
    guild: i64,
    rows: &[(i64, TallyKey, TallyValue)],
) -> Result<usize, StoreError> {
    for chunk in rows.chunks(INSERT_BATCH) {
        let mut insert = sqlx::QueryBuilder::<Sqlite>::new(
            "INSERT INTO done_tallies (guild_id, scope, period, starts, user_id, done, reached_at) ",
        );
        insert.push_values(chunk, |mut row, (user, key, value)| {
            row.push_bind(guild)
                .push_bind(&key.scope)
                .push_bind(key.period.as_str())
                .push_bind(key.starts)
                .push_bind(*user)
                .push_bind(value.done)
                .push_bind(value.reached_at);
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(rows.len())
}
