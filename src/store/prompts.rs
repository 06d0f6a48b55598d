//! Study-prompt schedules and posts.

use sqlx::FromRow;

use super::macros::{facade, queries};
use super::{StoreError, from_db_id, to_db_id};
use crate::outbox::SendStatus;
use crate::prompts::records::{
    DigestPost, NewPost, Pause, PauseReason, PostEnd, PromptPost, PromptSchedule,
};

#[derive(FromRow)]
struct ScheduleRow {
    guild_id: i64,
    channel_id: i64,
    local_time: String,
    days: i64,
    timezone: String,
    role_id: Option<i64>,
    section_id: Option<String>,
    thread: bool,
    paused: bool,
    pause_reason: Option<String>,
    pause_detail: Option<String>,
    next_due_at: Option<i64>,
    requested_at: Option<i64>,
    created_by: i64,
    digest: bool,
}

impl From<ScheduleRow> for PromptSchedule {
    fn from(r: ScheduleRow) -> Self {
        PromptSchedule {
            guild: from_db_id(r.guild_id),
            channel: from_db_id(r.channel_id),
            local_time: r.local_time,
            days: r.days as u8,
            timezone: r.timezone,
            role: r.role_id.map(from_db_id),
            section: r.section_id,
            thread: r.thread,
            pause: r.paused.then(|| Pause {
                reason: PauseReason::parse(r.pause_reason.as_deref().unwrap_or_default()),
                discord_code: r.pause_detail.as_deref().and_then(Pause::code_of),
            }),
            next_due_at: r.next_due_at,
            requested_at: r.requested_at,
            created_by: from_db_id(r.created_by),
            digest: r.digest,
        }
    }
}

const SCHEDULE_COLUMNS: &str = "guild_id, channel_id, local_time, days, timezone, role_id, section_id, thread, paused, \
     pause_reason, pause_detail, next_due_at, requested_at, created_by, digest";

#[derive(FromRow)]
struct PostRow {
    guild_id: i64,
    slot: i64,
    kind: String,
    item_id: String,
    prompt_index: i64,
    channel_id: i64,
    nonce: String,
    status: String,
    attempts: i64,
    message_id: Option<i64>,
    error: Option<String>,
    finished_at: Option<i64>,
}

impl From<PostRow> for PromptPost {
    fn from(r: PostRow) -> Self {
        PromptPost {
            guild: from_db_id(r.guild_id),
            slot: r.slot,
            manual: r.kind == "manual",
            item_id: r.item_id,
            prompt_index: r.prompt_index.max(0) as usize,
            channel: from_db_id(r.channel_id),
            nonce: r.nonce,
            status: SendStatus::parse(&r.status),
            attempts: r.attempts.max(0) as u32,
            message_id: r.message_id.map(from_db_id),
            error: r.error,
            finished_at: r.finished_at,
        }
    }
}

const POST_COLUMNS: &str = "guild_id, slot, kind, item_id, prompt_index, channel_id, nonce, status, attempts, message_id, error, finished_at";

facade! {
    /// Creates or replaces a server's schedule, active, with its first slot.
    pub async fn save_schedule(
        &self,
        s: &PromptSchedule,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO prompt_schedules (guild_id, channel_id, local_time, days, timezone, role_id, section_id, thread,
                 paused, pause_reason, pause_detail, paused_at, next_due_at, claimed_by, claimed_until, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, NULL, NULL, NULL, $9, NULL, NULL, $10, $11, $12)
             ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, local_time = excluded.local_time,
                 days = excluded.days, timezone = excluded.timezone, role_id = excluded.role_id,
                 section_id = excluded.section_id, thread = excluded.thread, paused = FALSE, pause_reason = NULL,
                 pause_detail = NULL, paused_at = NULL, next_due_at = excluded.next_due_at,
                 updated_at = excluded.updated_at",
        )
        .bind(to_db_id(s.guild))
        .bind(to_db_id(s.channel))
        .bind(&s.local_time)
        .bind(i64::from(s.days))
        .bind(&s.timezone)
        .bind(s.role.map(to_db_id))
        .bind(&s.section)
        .bind(s.thread)
        .bind(s.next_due_at)
        .bind(to_db_id(s.created_by))
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Turns a server's weekly digest on or off; `false` when it has no prompt schedule.
    pub async fn set_digest(
        &self,
        guild: u64,
        on: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE prompt_schedules SET digest = $1, updated_at = $2 WHERE guild_id = $3",
        )
        .bind(on)
        .bind(now)
        .bind(to_db_id(guild))
        .execute(&self.writes)
        .await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    /// The digest row of a week: created with `nonce` if there is none, else the one an earlier
    /// attempt left (its nonce is kept, its attempts counted when it is still sending).
    pub async fn begin_digest(
        &self,
        guild: u64,
        week_start: i64,
        channel: u64,
        nonce: &str,
        now: i64,
    ) -> Result<DigestPost, StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO digest_posts (guild_id, week_start, channel_id, nonce, status, attempts, created_at)
             VALUES ($1, $2, $3, $4, 'sending', 0, $5) ON CONFLICT (guild_id, week_start) DO NOTHING",
        )
        .bind(to_db_id(guild))
        .bind(week_start)
        .bind(to_db_id(channel))
        .bind(nonce)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE digest_posts SET attempts = attempts + 1 WHERE guild_id = $1 AND week_start = $2 AND status = 'sending'",
        )
        .bind(to_db_id(guild))
        .bind(week_start)
        .execute(&mut *tx)
        .await?;
        let row: (String, String, i64, Option<i64>) = sqlx::query_as(
            "SELECT nonce, status, attempts, message_id FROM digest_posts WHERE guild_id = $1 AND week_start = $2",
        )
        .bind(to_db_id(guild))
        .bind(week_start)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(DigestPost {
            guild,
            week_start,
            nonce: row.0,
            status: SendStatus::parse(&row.1),
            attempts: row.2.max(0) as u32,
            message_id: row.3.map(from_db_id),
        })
    }

    /// Records how a week's digest ended.
    pub async fn end_digest(
        &self,
        guild: u64,
        week_start: i64,
        status: SendStatus,
        message_id: Option<u64>,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE digest_posts SET status = $1, message_id = $2, error = $3, finished_at = $4
             WHERE guild_id = $5 AND week_start = $6",
        )
        .bind(status.as_str())
        .bind(message_id.map(to_db_id))
        .bind(error)
        .bind(now)
        .bind(to_db_id(guild))
        .bind(week_start)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// A server's most recent digest.
    pub async fn last_digest(&self, guild: u64) -> Result<Option<DigestPost>, StoreError> {
        let row: Option<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT week_start, nonce, status, attempts, message_id FROM digest_posts
             WHERE guild_id = $1 ORDER BY week_start DESC LIMIT 1",
        )
        .bind(to_db_id(guild))
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.map(
            |(week_start, nonce, status, attempts, message_id)| DigestPost {
                guild,
                week_start,
                nonce,
                status: SendStatus::parse(&status),
                attempts: attempts.max(0) as u32,
                message_id: message_id.map(from_db_id),
            },
        ))
    }


    pub async fn schedule(&self, guild: u64) -> Result<Option<PromptSchedule>, StoreError> {
        let row: Option<ScheduleRow> = sqlx::query_as(&format!(
            "SELECT {SCHEDULE_COLUMNS} FROM prompt_schedules WHERE guild_id = $1"
        ))
        .bind(to_db_id(guild))
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.map(PromptSchedule::from))
    }

    /// Active schedules (not paused), up to `limit`.
    pub async fn active_schedules(
        &self,
        limit: u32,
    ) -> Result<Vec<PromptSchedule>, StoreError> {
        let rows: Vec<ScheduleRow> = sqlx::query_as(&format!("SELECT {SCHEDULE_COLUMNS} FROM prompt_schedules WHERE NOT paused ORDER BY guild_id LIMIT $1"))
            .bind(i64::from(limit))
            .fetch_all(&self.reads)
            .await?;
        Ok(rows.into_iter().map(PromptSchedule::from).collect())
    }

    /// Pauses a schedule.
    pub async fn pause_schedule(
        &self,
        guild: u64,
        pause: &Pause,
        now: i64,
    ) -> Result<bool, StoreError> {
        Self::pause_in(&self.writes, guild, pause, now).await
    }

    /// Resumes a schedule from its next slot.
    pub async fn resume_schedule(
        &self,
        guild: u64,
        next_due_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE prompt_schedules SET paused = FALSE, pause_reason = NULL, pause_detail = NULL, paused_at = NULL,
                 next_due_at = $1, claimed_by = NULL, claimed_until = NULL, updated_at = $2 WHERE guild_id = $3",
        )
        .bind(next_due_at)
        .bind(now)
        .bind(to_db_id(guild))
        .execute(&self.writes)
        .await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    /// Asks for a post right away; `false` when the server has no active schedule.
    pub async fn request_post(&self, guild: u64, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE prompt_schedules SET requested_at = $1, updated_at = $2 WHERE guild_id = $3 AND NOT paused")
            .bind(now)
            .bind(now)
            .bind(to_db_id(guild))
            .execute(&self.writes)
            .await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    /// Claims up to `limit` due schedules for `instance` until `until`, atomically: two
    /// schedulers can never claim the same server at the same time.
    pub async fn claim_due(
        &self,
        instance: &str,
        now: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<PromptSchedule>, StoreError> {
        let mut tx = self.write().await?;
        // Earliest first: whichever of the scheduled slot and an admin's request comes first.
        let rows: Vec<ScheduleRow> = sqlx::query_as(&format!(
            "UPDATE prompt_schedules SET claimed_by = $1, claimed_until = $3
             WHERE guild_id IN (
                 SELECT guild_id FROM prompt_schedules
                 WHERE NOT paused AND (next_due_at <= $2 OR requested_at <= $2)
                   AND (claimed_until IS NULL OR claimed_until <= $2)
                 ORDER BY CASE
                     WHEN next_due_at IS NULL THEN requested_at
                     WHEN requested_at IS NULL OR next_due_at <= requested_at THEN next_due_at
                     ELSE requested_at END, guild_id
                 LIMIT $4 {skip_locked})
             RETURNING {SCHEDULE_COLUMNS}",
            skip_locked = DB::SKIP_LOCKED,
        ))
        .bind(instance)
        .bind(now)
        .bind(until)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(PromptSchedule::from).collect())
    }

    /// Releases one server's claim, if `instance` still holds it.
    pub async fn release_claim(&self, guild: u64, instance: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE prompt_schedules SET claimed_by = NULL, claimed_until = NULL WHERE guild_id = $1 AND claimed_by = $2")
            .bind(to_db_id(guild))
            .bind(instance)
            .execute(&self.writes)
            .await?;
        Ok(())
    }

    /// Releases every claim of an instance (at shutdown), so another can take over at once.
    pub async fn release_claims(&self, instance: &str) -> Result<u64, StoreError> {
        let done = sqlx::query("UPDATE prompt_schedules SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1")
            .bind(instance)
            .execute(&self.writes)
            .await?;
        Ok(DB::rows_affected(&done))
    }

    /// The post of a slot: the existing one (a retry), or a new one in 'sending' state with
    /// the item chosen by `choose` (called only when there is none yet).
    pub async fn begin_post(
        &self,
        new: &NewPost<'_>,
        now: i64,
        choose: impl FnOnce(&[String]) -> Option<(String, usize)>,
    ) -> Result<Option<PromptPost>, StoreError> {
        let NewPost {
            guild,
            slot,
            manual,
            channel,
            nonce,
        } = *new;
        let mut tx = self.write().await?;
        let existing: Option<PostRow> = sqlx::query_as(&format!(
            "SELECT {POST_COLUMNS} FROM prompt_posts WHERE guild_id = $1 AND slot = $2"
        ))
        .bind(to_db_id(guild))
        .bind(slot)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let mut post = PromptPost::from(row);
            if post.status == SendStatus::Sending {
                sqlx::query("UPDATE prompt_posts SET attempts = attempts + 1 WHERE guild_id = $1 AND slot = $2")
                    .bind(to_db_id(guild))
                    .bind(slot)
                    .execute(&mut *tx)
                    .await?;
                post.attempts += 1;
            }
            tx.commit().await?;
            return Ok(Some(post));
        }
        let posted: Vec<String> = sqlx::query_scalar(
            "SELECT item_id FROM prompt_posts WHERE guild_id = $1 AND status = 'sent' ORDER BY slot",
        )
        .bind(to_db_id(guild))
        .fetch_all(&mut *tx)
        .await?;
        let Some((item_id, prompt_index)) = choose(&posted) else {
            return Ok(None);
        };
        sqlx::query(
            "INSERT INTO prompt_posts (guild_id, slot, kind, item_id, prompt_index, channel_id, nonce, status, attempts, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', 1, $8)",
        )
        .bind(to_db_id(guild))
        .bind(slot)
        .bind(if manual { "manual" } else { "scheduled" })
        .bind(&item_id)
        .bind(prompt_index as i64)
        .bind(to_db_id(channel))
        .bind(nonce)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(PromptPost {
            guild,
            slot,
            manual,
            item_id,
            prompt_index,
            channel,
            nonce: nonce.to_string(),
            status: SendStatus::Sending,
            attempts: 1,
            message_id: None,
            error: None,
            finished_at: None,
        }))
    }

    /// Records how a slot ended and moves the schedule on (a scheduled slot to `next_due_at`, a
    /// manual one clears the request, a failure pauses it), in one transaction. The claim stays
    /// until [`Store::release_claim`].
    pub async fn end_slot(
        &self,
        guild: u64,
        slot: i64,
        manual: bool,
        end: &PostEnd,
        next_due_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let (status, message_id, error) = match end {
            PostEnd::Sent { message_id } => (SendStatus::Sent, Some(to_db_id(*message_id)), None),
            PostEnd::Skipped => (
                SendStatus::Skipped,
                None,
                Some("missed during downtime, past the grace window"),
            ),
            PostEnd::Failed { error, .. } | PostEnd::GaveUp { error } => {
                (SendStatus::Failed, None, Some(error.as_str()))
            }
        };
        // A skipped slot has no post row yet; the others do.
        sqlx::query(
            "INSERT INTO prompt_posts (guild_id, slot, kind, item_id, prompt_index, channel_id, nonce, status, created_at, finished_at, error, message_id)
             SELECT $1, $2, 'scheduled', '', 0, channel_id, '', $3, $4, $4, $5, $6 FROM prompt_schedules WHERE guild_id = $1
             ON CONFLICT (guild_id, slot) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
                 error = excluded.error, message_id = COALESCE(excluded.message_id, prompt_posts.message_id)",
        )
        .bind(to_db_id(guild))
        .bind(slot)
        .bind(status.as_str())
        .bind(now)
        .bind(error)
        .bind(message_id)
        .execute(&mut *tx)
        .await?;
        if let PostEnd::Failed { pause, .. } = end {
            Self::pause_in(&mut *tx, guild, pause, now).await?;
        } else if manual {
            sqlx::query("UPDATE prompt_schedules SET requested_at = NULL, updated_at = $1 WHERE guild_id = $2")
                .bind(now)
                .bind(to_db_id(guild))
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "UPDATE prompt_schedules SET next_due_at = $1, updated_at = $2 WHERE guild_id = $3",
            )
            .bind(next_due_at)
            .bind(now)
            .bind(to_db_id(guild))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// After a transient failure: leaves the slot due, and lets no scheduler retry before `retry_at`.
    pub async fn retry_later(
        &self,
        guild: u64,
        slot: i64,
        error: &str,
        retry_at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE prompt_posts SET error = $1 WHERE guild_id = $2 AND slot = $3")
            .bind(error)
            .bind(to_db_id(guild))
            .bind(slot)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE prompt_schedules SET claimed_by = NULL, claimed_until = $1 WHERE guild_id = $2",
        )
        .bind(retry_at)
        .bind(to_db_id(guild))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The latest posts of a server, newest first.
    pub async fn recent_posts(
        &self,
        guild: u64,
        limit: u32,
    ) -> Result<Vec<PromptPost>, StoreError> {
        let rows: Vec<PostRow> = sqlx::query_as(&format!(
            "SELECT {POST_COLUMNS} FROM prompt_posts WHERE guild_id = $1 ORDER BY slot DESC LIMIT $2"
        ))
        .bind(to_db_id(guild))
        .bind(i64::from(limit))
        .fetch_all(&self.reads)
        .await?;
        Ok(rows.into_iter().map(PromptPost::from).collect())
    }

    /// Items of the server's sent posts, oldest first: the rotation's history.
    pub async fn posted_items(&self, guild: u64) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT item_id FROM prompt_posts WHERE guild_id = $1 AND status = 'sent' ORDER BY slot",
        )
        .bind(to_db_id(guild))
        .fetch_all(&self.reads)
        .await?)
    }
}

queries! {
    /// Pauses a server's schedule (and drops any claim on it), on the pool or in a transaction.
    async fn pause_in<'e>(
        executor: impl sqlx::Executor<'e, Database = DB>,
        guild: u64,
        pause: &Pause,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE prompt_schedules SET paused = TRUE, pause_reason = $1, pause_detail = $2, paused_at = $3, claimed_by = NULL,
                 claimed_until = NULL, updated_at = $4 WHERE guild_id = $5",
        )
        .bind(pause.reason.as_str())
        .bind(pause.detail())
        .bind(now)
        .bind(now)
        .bind(to_db_id(guild))
        .execute(executor)
        .await?;
        Ok(DB::rows_affected(&done) > 0)
    }
}
