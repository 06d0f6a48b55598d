//! The weekly digest: with the first scheduled slot handled in a week, the week before's heat map
//! and movers, once. The week's record is the idempotency key: a digest already sent (or given
//! up) is not posted again, and a retry reuses its nonce, which Discord deduplicates. A transient
//! failure is retried with the week's next slot, three times at most.

use super::context::Context;
use super::once::{Draft, Once, Recipient, Record, Sent};
use crate::outbox::SendStatus;
use crate::progress::community::Community;
use crate::progress::periods::{Period, local_range, starts};
use crate::prompts::records::{DigestPost, PromptSchedule};
use crate::prompts::schedule::Schedule;
use crate::store::StoreError;

/// Attempts before a week's digest is given up.
const ATTEMPTS: u32 = 3;

/// Posts the digest of the week before `now`'s, unless it went out already: 1 when it was sent
/// now.
pub(super) async fn post(
    ctx: &Context,
    row: &PromptSchedule,
    schedule: &Schedule,
    now: i64,
) -> Result<usize, StoreError> {
    let this_week = starts(Period::Week, now, &schedule.tz);
    let mut digest = WeekDigest {
        ctx,
        row,
        schedule,
        this_week,
        week: starts(Period::Week, this_week - 1, &schedule.tz),
        post: None,
    };
    let week = digest.week;
    Ok(match ctx.sender.send_once(&mut digest, now).await? {
        Sent::Delivered { message_id } => {
            tracing::info!(
                guild_id = row.guild,
                week,
                message_id,
                "weekly digest posted"
            );
            1
        }
        Sent::Refused { status, detail, .. } => {
            tracing::warn!(guild_id = row.guild, channel_id = row.channel, error = %format!("{status}: {detail}"), "weekly digest refused by Discord");
            0
        }
        Sent::GaveUp(reason) => {
            tracing::warn!(guild_id = row.guild, week, %reason, "weekly digest given up");
            0
        }
        Sent::Transient(error) => {
            tracing::warn!(guild_id = row.guild, week, %error, "weekly digest failed; retried with the next slot of the week");
            0
        }
        Sent::DmClosed => {
            tracing::warn!(
                guild_id = row.guild,
                week,
                "weekly digest refused as a direct message; retried with the next slot of the week"
            );
            0
        }
        Sent::Nothing | Sent::Already { .. } => 0,
    })
}

/// One week's digest, sent once.
struct WeekDigest<'a> {
    ctx: &'a Context,
    row: &'a PromptSchedule,
    schedule: &'a Schedule,
    this_week: i64,
    /// The week it reports on (the one before this one).
    week: i64,
    post: Option<DigestPost>,
}

#[async_trait::async_trait]
impl Once for WeekDigest<'_> {
    async fn begin(&mut self, now: i64) -> Result<Option<Record>, StoreError> {
        let (guild, week) = (self.row.guild, self.week);
        let nonce = crate::outbox::digest_nonce(guild, week);
        let post = self
            .ctx
            .app
            .store
            .begin_digest(guild, week, self.row.channel, &nonce, now)
            .await?;
        let record = Record {
            nonce: post.nonce.clone(),
            status: post.status,
            attempts: post.attempts,
            message_id: post.message_id,
        };
        self.post = Some(post);
        Ok(Some(record))
    }

    /// The heat map and the movers of the week, in the server's language; the heat map waits
    /// a few seconds at most, and not past a stop.
    async fn draft(&mut self) -> Result<Draft, StoreError> {
        if self.post.as_ref().is_some_and(|p| p.attempts > ATTEMPTS) {
            return Ok(Draft::GiveUp(format!("gave up after {ATTEMPTS} attempts")));
        }
        let app = &self.ctx.app;
        let settings = app.store.guild_settings(self.row.guild).await?;
        let locale = settings.public_locale(None);
        let counts = app
            .store
            .community(self.row.guild, self.week, self.this_week)
            .await?;
        let community = Community::of(&app.roadmap, &counts);
        let dates = local_range(Period::Week, self.week, &self.schedule.tz);
        let mut message = crate::render::prompts::digest(&app.roadmap, &community, dates, locale);
        let picture = crate::picture::attach::heat_map(app, &community, &settings, locale, true);
        if let Some(picture) = self.ctx.unless_stopped(picture).await.flatten() {
            message = message.with_picture(picture);
        }
        Ok(Draft::Send {
            to: Recipient::Channel(self.row.channel),
            message,
        })
    }

    async fn record(&mut self, sent: &Sent, now: i64) -> Result<(), StoreError> {
        let (status, message_id, error) = match sent {
            Sent::Delivered { message_id } => (SendStatus::Sent, Some(*message_id), None),
            Sent::Refused { status, detail, .. } => (
                SendStatus::Failed,
                None,
                Some(format!("{status}: {detail}")),
            ),
            Sent::GaveUp(reason) => (SendStatus::Failed, None, Some(reason.clone())),
            // Retried with the week's next slot; already finished; nothing to do.
            Sent::Transient(_) | Sent::DmClosed | Sent::Already { .. } | Sent::Nothing => {
                return Ok(());
            }
        };
        self.ctx
            .app
            .store
            .end_digest(
                self.row.guild,
                self.week,
                status,
                message_id,
                error.as_deref(),
                now,
            )
            .await
    }
}
