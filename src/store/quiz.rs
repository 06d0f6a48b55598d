//! Quiz asks, answers and verified items; the verified-items leaderboard.

use super::backend::placeholders;
use super::macros::{facade, queries};
use super::{StoreError, from_db_id, to_db_id};
use crate::progress::tally::Ranked;
use crate::quiz::records::{Answer, AnswerOutcome, Ask, ItemHistory};

/// A verified-items board: the server, the first second counted, and the items it counts
/// (`None`: all).
#[derive(Clone, Copy, Debug)]
pub struct VerifiedBoard<'a> {
    pub guild: u64,
    pub since: i64,
    pub items: Option<&'a [String]>,
}

impl VerifiedBoard<'_> {
    /// The board's rows grouped per member, as a subquery over $1 (guild) and $2 (since); item
    /// ids, when filtered, are bound from $3 on.
    fn grouped(&self) -> String {
        let filter = match self.items {
            Some(items) if !items.is_empty() => format!(
                "AND v.item_id IN ({})",
                placeholders(3, items.len(), 1).replace(['(', ')'], "")
            ),
            Some(_) => "AND FALSE".to_string(),
            None => String::new(),
        };
        format!(
            "SELECT v.user_id, COUNT(*) AS n, MAX(v.verified_at) AS reached FROM quiz_verified v
             LEFT JOIN members m ON m.guild_id = v.guild_id AND m.user_id = v.user_id
             WHERE v.guild_id = $1 AND v.verified_at >= $2 AND m.left_at IS NULL {filter}
             GROUP BY v.user_id"
        )
    }

    /// The number of parameters `grouped` uses.
    fn parameters(&self) -> usize {
        2 + self.items.map_or(0, <[String]>::len)
    }
}

facade! {
    /// A member's quiz history on one item.
    pub async fn quiz_history(
        &self,
        guild: u64,
        user: u64,
        item_id: &str,
    ) -> Result<ItemHistory, StoreError> {
        let rows: Vec<(String, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT question, answered_at, result FROM quiz_asks
             WHERE guild_id = $1 AND user_id = $2 AND item_id = $3
             ORDER BY answer_seq IS NULL, answer_seq, asked_at",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(item_id)
        .fetch_all(&self.reads)
        .await?;
        // Answered ones come first, in the order they were answered.
        let mut history = ItemHistory::default();
        for (question, answered_at, result) in rows {
            *history.asked.entry(question.clone()).or_insert(0) += 1;
            if let (Some(at), Some(result)) = (answered_at, result) {
                let right = result == "right";
                history.last_answer = Some((question, right));
                if !right {
                    history.last_wrong_at = history.last_wrong_at.max(Some(at));
                }
            }
        }
        Ok(history)
    }

    /// Records a question asked.
    pub async fn create_ask(&self, ask: &Ask) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO quiz_asks (id, guild_id, user_id, item_id, question, answer_order, asked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(to_db_id(ask.id))
        .bind(to_db_id(ask.guild))
        .bind(to_db_id(ask.user))
        .bind(&ask.item_id)
        .bind(&ask.question)
        .bind(ask.order_text())
        .bind(ask.asked_at)
        .execute(&self.writes)
        .await?;
        Ok(())
    }


    pub async fn quiz_ask(&self, id: u64) -> Result<Option<Ask>, StoreError> {
        type Row = (
            i64,
            i64,
            i64,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, guild_id, user_id, item_id, question, answer_order, asked_at, answered_at, chosen, result
             FROM quiz_asks WHERE id = $1",
        )
        .bind(to_db_id(id))
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.and_then(
            |(id, guild, user, item_id, question, order, asked_at, answered_at, chosen, result)| {
                Some(Ask {
                    id: from_db_id(id),
                    guild: from_db_id(guild),
                    user: from_db_id(user),
                    item_id,
                    question,
                    order: Ask::parse_order(&order)?,
                    asked_at,
                    answer: match (answered_at, chosen, result) {
                        (Some(at), Some(slot), Some(result)) => Some(Answer {
                            at,
                            slot: slot.clamp(0, 3) as u8,
                            correct: result == "right",
                        }),
                        _ => None,
                    },
                })
            },
        ))
    }

    /// Records an answer to an ask not answered yet, and in the same transaction the item's
    /// verification when this answer and the previous one on the item are right and on two
    /// different questions.
    pub async fn answer_ask(
        &self,
        ask: &Ask,
        slot: u8,
        now: i64,
        day: crate::progress::streak::Day,
    ) -> Result<AnswerOutcome, StoreError> {
        let (guild, user) = (to_db_id(ask.guild), to_db_id(ask.user));
        let mut tx = self.write_member(guild, user).await?;
        let previous: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT question, result, answer_seq FROM quiz_asks
             WHERE guild_id = $1 AND user_id = $2 AND item_id = $3 AND answer_seq IS NOT NULL
             ORDER BY answer_seq DESC LIMIT 1",
        )
        .bind(guild)
        .bind(user)
        .bind(&ask.item_id)
        .fetch_optional(&mut *tx)
        .await?;
        let correct = ask.order.get(usize::from(slot)) == Some(&0);
        // The member's writes are serialized (the transaction's lock), so the next number is
        // theirs alone.
        let seq = previous.as_ref().map_or(1, |(_, _, seq)| seq + 1);
        let updated = sqlx::query(
            "UPDATE quiz_asks SET answered_at = $1, chosen = $2, result = $3, answer_seq = $4
             WHERE id = $5 AND answered_at IS NULL",
        )
        .bind(now)
        .bind(i64::from(slot))
        .bind(if correct { "right" } else { "wrong" })
        .bind(seq)
        .bind(to_db_id(ask.id))
        .execute(&mut *tx)
        .await?;
        if DB::rows_affected(&updated) == 0 {
            return Ok(AnswerOutcome::AlreadyAnswered);
        }
        let previous = previous
            .as_ref()
            .map(|(question, result, _)| (question.as_str(), result == "right"));
        let mut verified = false;
        if crate::quiz::verifies(correct, &ask.question, previous) {
            let inserted = sqlx::query(
                "INSERT INTO quiz_verified (guild_id, user_id, item_id, verified_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (guild_id, user_id, item_id) DO NOTHING",
            )
            .bind(guild)
            .bind(user)
            .bind(&ask.item_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            verified = DB::rows_affected(&inserted) > 0;
        }
        // Answering is studying: today counts for the streak.
        Self::study_in(&mut tx, ask.guild, ask.user, day, now).await?;
        tx.commit().await?;
        Ok(AnswerOutcome::Recorded { correct, verified })
    }

    /// The items a member verified, as (item id, when).
    pub async fn verified_items(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT item_id, verified_at FROM quiz_verified WHERE guild_id = $1 AND user_id = $2 ORDER BY item_id",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_all(&self.reads)
        .await?)
    }

    /// Whether the server's leaderboards count verified items only.
    pub async fn set_verified_only(
        &self,
        guild: u64,
        on: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO guilds (guild_id, verified_only, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id) DO UPDATE SET verified_only = excluded.verified_only, updated_at = excluded.updated_at",
        )
        .bind(to_db_id(guild))
        .bind(on)
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// A page of the verified-items board: most verified first, ties to who got there first.
    pub async fn verified_page(
        &self,
        board: &VerifiedBoard<'_>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, StoreError> {
        let n = board.parameters();
        let sql = format!(
            "SELECT user_id, n, reached FROM ({}) b ORDER BY n DESC, reached, user_id LIMIT ${} OFFSET ${}",
            board.grouped(),
            n + 1,
            n + 2
        );
        let rows: Vec<(i64, i64, i64)> = Self::bind_board(sqlx::query_as(&sql), board)
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


    pub async fn verified_len(&self, board: &VerifiedBoard<'_>) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM ({}) b", board.grouped());
        let (n,): (i64,) = Self::bind_board(sqlx::query_as(&sql), board)
            .fetch_one(&self.reads)
            .await?;
        Ok(n.max(0) as u64)
    }


    pub async fn verified_rank(
        &self,
        board: &VerifiedBoard<'_>,
        user: u64,
    ) -> Result<Option<Ranked>, StoreError> {
        let n = board.parameters();
        let sql = format!(
            "WITH b AS ({}) SELECT me.n, me.reached,
                (SELECT COUNT(*) FROM b o WHERE o.n > me.n OR (o.n = me.n AND (o.reached < me.reached
                     OR (o.reached = me.reached AND o.user_id < me.user_id))))
             FROM b me WHERE me.user_id = ${}",
            board.grouped(),
            n + 1
        );
        let row: Option<(i64, i64, i64)> = Self::bind_board(sqlx::query_as(&sql), board)
            .bind(to_db_id(user))
            .fetch_optional(&self.reads)
            .await?;
        Ok(row.map(|(done, reached_at, ahead)| Ranked {
            rank: ahead.max(0) as u64 + 1,
            user_id: user,
            done,
            reached_at,
        }))
    }
}

queries! {
    /// Binds a board's parameters in `grouped`'s order.
    fn bind_board<'q, O>(
        query: sqlx::query::QueryAs<'q, DB, O, DB::Arguments<'q>>,
        board: &VerifiedBoard<'q>,
    ) -> sqlx::query::QueryAs<'q, DB, O, DB::Arguments<'q>> {
        let mut query = query.bind(to_db_id(board.guild)).bind(board.since);
        for item in board.items.into_iter().flatten() {
            query = query.bind(item.as_str());
        }
        query
    }
}
