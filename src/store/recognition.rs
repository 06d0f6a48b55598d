//! Streak reminders and role rewards: what is kept, and the exactly-once bookkeeping of
//! reminders (one per member and day, whatever restarts happen).

use super::macros::facade;
use super::{StoreError, from_db_id, to_db_id};
use crate::i18n::Locale;
use crate::outbox::SendStatus;
use crate::progress::streak::Day;
use crate::recognition::{Achievement, Reminder, Reward, RewardPause};

const REMINDER_COLUMNS: &str =
    "guild_id, user_id, local_time, locale, enabled, next_due_at, dms_closed_at";

type ReminderRow = (i64, i64, String, String, bool, Option<i64>, Option<i64>);

fn reminder_of(row: ReminderRow) -> Reminder {
    let (guild, user, local_time, locale, enabled, next_due_at, dms_closed_at) = row;
    Reminder {
        guild: from_db_id(guild),
        user: from_db_id(user),
        local_time,
        locale: Locale::parse(&locale).unwrap_or(Locale::PtBr),
        enabled,
        next_due_at,
        dms_closed_at,
    }
}

const REWARD_COLUMNS: &str =
    "guild_id, reward_id, achievement, role_id, keep, paused_reason, paused_detail";

type RewardRow = (i64, i64, String, i64, bool, Option<String>, Option<String>);

fn reward_of(row: RewardRow) -> Option<Reward> {
    let (guild, id, achievement, role, keep, reason, detail) = row;
    Some(Reward {
        guild: from_db_id(guild),
        id: from_db_id(id),
        achievement: Achievement::parse(&achievement)?,
        role: from_db_id(role),
        keep,
        paused: reason
            .as_deref()
            .and_then(RewardPause::parse)
            .map(|p| (p, detail.and_then(|d| d.parse().ok()))),
    })
}

/// How a day's reminder stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderSend {
    pub nonce: String,
    pub status: SendStatus,
    pub message_id: Option<u64>,
}

facade! {
    /// Turns a member's reminder on (at a local time, next due at `next_due_at`) or off.
    pub async fn save_reminder(
        &self,
        reminder: &Reminder,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO streak_reminders (guild_id, user_id, local_time, locale, enabled, next_due_at,
                 claimed_by, claimed_until, dms_closed_at, notice_pending, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, FALSE, $7, $8)
             ON CONFLICT (guild_id, user_id) DO UPDATE SET local_time = excluded.local_time,
                 locale = excluded.locale, enabled = excluded.enabled, next_due_at = excluded.next_due_at,
                 claimed_by = NULL, claimed_until = NULL, dms_closed_at = NULL, notice_pending = FALSE,
                 updated_at = excluded.updated_at",
        )
        .bind(to_db_id(reminder.guild))
        .bind(to_db_id(reminder.user))
        .bind(&reminder.local_time)
        .bind(reminder.locale.discord_tag())
        .bind(reminder.enabled)
        .bind(reminder.next_due_at)
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }


    pub async fn reminder(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Option<Reminder>, StoreError> {
        let row: Option<ReminderRow> = sqlx::query_as(&format!(
            "SELECT {REMINDER_COLUMNS} FROM streak_reminders WHERE guild_id = $1 AND user_id = $2"
        ))
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        Ok(row.map(reminder_of))
    }

    /// Claims due reminders for `instance` until `until` (other instances skip them).
    pub async fn claim_due_reminders(
        &self,
        instance: &str,
        now: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<Reminder>, StoreError> {
        let mut tx = self.write().await?;
        let rows: Vec<ReminderRow> = sqlx::query_as(&format!(
            "UPDATE streak_reminders SET claimed_by = $1, claimed_until = $3
             WHERE (guild_id, user_id) IN (
                 SELECT guild_id, user_id FROM streak_reminders
                 WHERE enabled AND next_due_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)
                 ORDER BY next_due_at, guild_id, user_id
                 LIMIT $4 {skip_locked})
             RETURNING {REMINDER_COLUMNS}",
            skip_locked = DB::SKIP_LOCKED,
        ))
        .bind(instance)
        .bind(now)
        .bind(until)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows.into_iter().map(reminder_of).collect())
    }

    /// Moves a reminder to its next time and releases the claim, if `instance` still holds it:
    /// a member who changed their reminder meanwhile (which drops the claim) keeps their change.
    pub async fn reschedule_reminder(
        &self,
        guild: u64,
        user: u64,
        next_due_at: Option<i64>,
        now: i64,
        instance: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE streak_reminders SET next_due_at = $1, claimed_by = NULL, claimed_until = NULL, updated_at = $2
             WHERE guild_id = $3 AND user_id = $4 AND claimed_by = $5",
        )
        .bind(next_due_at)
        .bind(now)
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(instance)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Discord refused a reminder DM: reminders off, the member told at their next command.
    pub async fn reminder_dms_closed(
        &self,
        guild: u64,
        user: u64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE streak_reminders SET enabled = FALSE, dms_closed_at = $1, notice_pending = TRUE,
                 next_due_at = NULL, claimed_by = NULL, claimed_until = NULL, updated_at = $1
             WHERE guild_id = $2 AND user_id = $3",
        )
        .bind(now)
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Whether the member has a notice waiting (their reminders were turned off); taking it
    /// clears it, so it is shown once.
    pub async fn take_reminder_notice(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<bool, StoreError> {
        // A read first: nearly always false, and a read does not queue behind the writer.
        let pending: Option<bool> = sqlx::query_scalar(
            "SELECT notice_pending FROM streak_reminders WHERE guild_id = $1 AND user_id = $2",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_optional(&self.reads)
        .await?;
        if pending != Some(true) {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE streak_reminders SET notice_pending = FALSE WHERE guild_id = $1 AND user_id = $2 AND notice_pending",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .execute(&self.writes)
        .await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    /// The day's reminder row: created with `nonce` if there is none.
    pub async fn begin_reminder_send(
        &self,
        guild: u64,
        user: u64,
        day: Day,
        nonce: &str,
        now: i64,
    ) -> Result<ReminderSend, StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO reminder_sends (guild_id, user_id, day, nonce, status, created_at)
             VALUES ($1, $2, $3, $4, 'sending', $5) ON CONFLICT (guild_id, user_id, day) DO NOTHING",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(i64::from(day))
        .bind(nonce)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let (nonce, status, message_id): (String, String, Option<i64>) = sqlx::query_as(
            "SELECT nonce, status, message_id FROM reminder_sends WHERE guild_id = $1 AND user_id = $2 AND day = $3",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(i64::from(day))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(ReminderSend {
            nonce,
            status: SendStatus::parse(&status),
            message_id: message_id.map(from_db_id),
        })
    }


    pub async fn end_reminder_send(
        &self,
        guild: u64,
        user: u64,
        day: Day,
        status: SendStatus,
        message_id: Option<u64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE reminder_sends SET status = $1, message_id = $2, finished_at = $3
             WHERE guild_id = $4 AND user_id = $5 AND day = $6",
        )
        .bind(status.as_str())
        .bind(message_id.map(to_db_id))
        .bind(now)
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .bind(i64::from(day))
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Adds a reward; returns its id (the next free one in the server).
    pub async fn add_reward(
        &self,
        guild: u64,
        achievement: &Achievement,
        role: u64,
        keep: bool,
        by: u64,
        now: i64,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write_guild(to_db_id(guild)).await?;
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(reward_id), 0) + 1 FROM rewards WHERE guild_id = $1",
        )
        .bind(to_db_id(guild))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO rewards (guild_id, reward_id, achievement, role_id, keep, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(to_db_id(guild))
        .bind(next)
        .bind(achievement.encode())
        .bind(to_db_id(role))
        .bind(keep)
        .bind(to_db_id(by))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(next as u64)
    }


    pub async fn rewards(&self, guild: u64) -> Result<Vec<Reward>, StoreError> {
        let rows: Vec<RewardRow> = sqlx::query_as(&format!(
            "SELECT {REWARD_COLUMNS} FROM rewards WHERE guild_id = $1 ORDER BY reward_id"
        ))
        .bind(to_db_id(guild))
        .fetch_all(&self.reads)
        .await?;
        Ok(rows.into_iter().filter_map(reward_of).collect())
    }

    /// Removes a reward (and the record of who got its role); `false` when there was none.
    pub async fn remove_reward(&self, guild: u64, id: u64) -> Result<bool, StoreError> {
        let mut tx = self.write_guild(to_db_id(guild)).await?;
        let done = sqlx::query("DELETE FROM rewards WHERE guild_id = $1 AND reward_id = $2")
            .bind(to_db_id(guild))
            .bind(to_db_id(id))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM member_rewards WHERE guild_id = $1 AND reward_id = $2")
            .bind(to_db_id(guild))
            .bind(to_db_id(id))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(DB::rows_affected(&done) > 0)
    }

    /// Pauses a reward Discord refused, with the reason and Discord's error code.
    pub async fn pause_reward(
        &self,
        guild: u64,
        id: u64,
        reason: RewardPause,
        code: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE rewards SET paused_reason = $1, paused_detail = $2, paused_at = $3
             WHERE guild_id = $4 AND reward_id = $5",
        )
        .bind(reason.as_str())
        .bind(code.map(|c| c.to_string()))
        .bind(now)
        .bind(to_db_id(guild))
        .bind(to_db_id(id))
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Lifts every pause of a server's rewards (the admin fixed the permission and syncs).
    pub async fn resume_rewards(&self, guild: u64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE rewards SET paused_reason = NULL, paused_detail = NULL, paused_at = NULL
             WHERE guild_id = $1 AND paused_reason IS NOT NULL",
        )
        .bind(to_db_id(guild))
        .execute(&self.writes)
        .await?;
        Ok(DB::rows_affected(&done))
    }

    /// Servers with at least one reward: whom the start-up check goes through.
    pub async fn guilds_with_rewards(&self) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT guild_id FROM rewards")
            .fetch_all(&self.reads)
            .await?;
        Ok(ids.into_iter().map(from_db_id).collect())
    }

    /// Members holding a streak reward they can lose (not kept, not paused): a streak breaks
    /// with time alone, when no change of theirs would check it.
    pub async fn streak_reward_holders(&self) -> Result<Vec<(u64, u64)>, StoreError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT DISTINCT mr.guild_id, mr.user_id FROM member_rewards mr
             JOIN rewards r ON r.guild_id = mr.guild_id AND r.reward_id = mr.reward_id
             WHERE r.achievement LIKE 'streak:%' AND NOT r.keep AND r.paused_reason IS NULL
             ORDER BY mr.guild_id, mr.user_id",
        )
        .fetch_all(&self.reads)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(g, u)| (from_db_id(g), from_db_id(u)))
            .collect())
    }

    /// The rewards whose role a member was given.
    pub async fn member_rewards(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT reward_id FROM member_rewards WHERE guild_id = $1 AND user_id = $2 ORDER BY reward_id",
        )
        .bind(to_db_id(guild))
        .bind(to_db_id(user))
        .fetch_all(&self.reads)
        .await?;
        Ok(ids.into_iter().map(from_db_id).collect())
    }

    /// Records that a member was given (`given`) or lost a reward's role.
    pub async fn record_reward(
        &self,
        guild: u64,
        user: u64,
        id: u64,
        given: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let query = if given {
            // Only while the reward exists: one removed during the Discord call leaves no row
            // that a later reward with the same id would mistake for given.
            "INSERT INTO member_rewards (guild_id, user_id, reward_id, granted_at)
             SELECT $1, $2, $3, $4 WHERE EXISTS
                 (SELECT 1 FROM rewards WHERE guild_id = $1 AND reward_id = $3)
             ON CONFLICT (guild_id, user_id, reward_id) DO NOTHING"
        } else {
            "DELETE FROM member_rewards WHERE guild_id = $1 AND user_id = $2 AND reward_id = $3 AND $4 = $4"
        };
        sqlx::query(query)
            .bind(to_db_id(guild))
            .bind(to_db_id(user))
            .bind(to_db_id(id))
            .bind(now)
            .execute(&self.writes)
            .await?;
        Ok(())
    }

    /// Members of a server with any progress or any reward: whom `/rewards sync` goes through.
    pub async fn members_with_progress(&self, guild: u64) -> Result<Vec<u64>, StoreError> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT user_id FROM progress WHERE guild_id = $1
             UNION SELECT user_id FROM member_rewards WHERE guild_id = $1
             UNION SELECT user_id FROM streaks WHERE guild_id = $1",
        )
        .bind(to_db_id(guild))
        .fetch_all(&self.reads)
        .await?;
        Ok(ids.into_iter().map(from_db_id).collect())
    }


    pub async fn set_announce_rewards(
        &self,
        guild: u64,
        on: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO guilds (guild_id, announce_rewards, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id) DO UPDATE SET announce_rewards = excluded.announce_rewards, updated_at = excluded.updated_at",
        )
        .bind(to_db_id(guild))
        .bind(on)
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }
}
