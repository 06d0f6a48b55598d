//! Streak reminders: a DM at the member's chosen time on days they have not studied yet, while
//! their streak is worth keeping. Claimed like prompt slots; each member's day has one record,
//! so a reminder is sent at most once per member and day, whatever crashes or retries.

use super::context::{Context, Job, TickReport};
use super::once::{Draft, Once, Recipient, Record, Sent};
use super::prompts::ts;
use crate::guild::GuildSettings;
use crate::outbox::SendStatus;
use crate::progress::streak::{Day, day_of};
use crate::prompts::schedule::{Days, Due, Schedule, parse_time, within_grace};
use crate::recognition::{REMINDER_GRACE, Reminder, needs_reminder};
use crate::store::StoreError;

/// The members with a due streak reminder.
pub(super) struct Reminders;

#[async_trait::async_trait]
impl Job for Reminders {
    type Claimed = Reminder;
    const NAME: &'static str = "streak reminder";

    async fn claim(&self, ctx: &Context, now: i64) -> Result<Vec<Reminder>, StoreError> {
        ctx.app
            .store
            .claim_due_reminders(
                &ctx.instance,
                now,
                now + ctx.settings.claim_ttl,
                ctx.settings.batch,
            )
            .await
    }

    async fn handle(
        &self,
        ctx: &Context,
        reminder: &Reminder,
        now: i64,
    ) -> Result<TickReport, StoreError> {
        handle(ctx, reminder, now).await
    }

    fn guild(reminder: &Reminder) -> u64 {
        reminder.guild
    }
}

/// One claimed reminder: sent when the member's streak is worth keeping and not kept today,
/// then moved to its next time.
async fn handle(ctx: &Context, reminder: &Reminder, now: i64) -> Result<TickReport, StoreError> {
    let store = &ctx.app.store;
    let settings = store.guild_settings(reminder.guild).await?;
    let tz = settings.timezone();
    let next = parse_time(&reminder.local_time)
        .map(|time| Schedule {
            time,
            days: Days::EVERY_DAY,
            tz: tz.clone(),
        })
        .and_then(|schedule| schedule.next_after(ts(now)))
        .map(|t| t.as_second());
    let due = reminder.next_due_at.unwrap_or(now);
    let today = day_of(now, &tz);
    let streak = store
        .streak(reminder.guild, reminder.user)
        .await?
        .unwrap_or_default();
    // Late past its grace (downtime), or on another day than it was due: not sent.
    let in_time = within_grace(due, now, REMINDER_GRACE) == Due::Post && day_of(due, &tz) == today;
    let mut report = TickReport::default();
    if in_time && needs_reminder(&streak, today) {
        let mut dm = DayReminder {
            ctx,
            reminder,
            settings: &settings,
            today,
            current: streak.as_of(today).current,
        };
        let (guild_id, user_id) = (reminder.guild, reminder.user);
        match ctx.sender.send_once(&mut dm, now).await? {
            Sent::Delivered { .. } => {
                tracing::info!(guild_id, user_id, "streak reminder sent");
                report.reminders += 1;
            }
            Sent::DmClosed => {
                tracing::info!(
                    guild_id,
                    user_id,
                    "the member does not accept DMs; their streak reminder is off and they will be told"
                );
                return Ok(report);
            }
            Sent::Transient(error) => {
                // Left due and claimed: taken up again when the claim lapses, judged against the
                // time it was due (the grace, the same day); the nonce dedupes a send that did
                // reach Discord.
                tracing::warn!(guild_id, user_id, %error, "streak reminder not sent; retried when its claim lapses");
                return Ok(report);
            }
            Sent::Refused { detail, .. } => {
                tracing::warn!(guild_id, user_id, %detail, "streak reminder refused");
            }
            Sent::Nothing | Sent::Already { .. } | Sent::GaveUp(_) => {}
        }
    }
    store
        .reschedule_reminder(reminder.guild, reminder.user, next, now, &ctx.instance)
        .await?;
    Ok(report)
}

/// A member's reminder of one day, sent once.
struct DayReminder<'a> {
    ctx: &'a Context,
    reminder: &'a Reminder,
    settings: &'a GuildSettings,
    today: Day,
    /// The streak at stake.
    current: u32,
}

#[async_trait::async_trait]
impl Once for DayReminder<'_> {
    async fn begin(&mut self, now: i64) -> Result<Option<Record>, StoreError> {
        let (guild, user) = (self.reminder.guild, self.reminder.user);
        let nonce = crate::outbox::reminder_nonce(guild, user, self.today);
        let send = self
            .ctx
            .app
            .store
            .begin_reminder_send(guild, user, self.today, &nonce, now)
            .await?;
        Ok(Some(Record {
            nonce: send.nonce,
            status: send.status,
            attempts: 0,
            message_id: send.message_id,
        }))
    }

    async fn draft(&mut self) -> Result<Draft, StoreError> {
        let message = crate::render::streak::reminder_dm(
            self.current,
            self.settings.name.as_deref(),
            &self.settings.timezone,
            self.reminder.locale,
        );
        Ok(Draft::Send {
            to: Recipient::Member(self.reminder.user),
            message,
        })
    }

    async fn record(&mut self, sent: &Sent, now: i64) -> Result<(), StoreError> {
        let store = &self.ctx.app.store;
        let (guild, user, day) = (self.reminder.guild, self.reminder.user, self.today);
        let (status, message_id) = match sent {
            Sent::Delivered { message_id } => (SendStatus::Sent, Some(*message_id)),
            Sent::DmClosed => {
                store.reminder_dms_closed(guild, user, now).await?;
                (SendStatus::Failed, None)
            }
            Sent::Refused { .. } | Sent::GaveUp(_) => (SendStatus::Failed, None),
            Sent::Transient(_) | Sent::Already { .. } | Sent::Nothing => return Ok(()),
        };
        store
            .end_reminder_send(guild, user, day, status, message_id, now)
            .await
    }
}
