//! Study prompts, one post per slot. For each claimed server:
//! 1. a schedule that cannot be read is paused (shown by `/prompts status`);
//! 2. a slot an admin asked for (`/prompts now`) is posted;
//! 3. of the scheduled slots missed since the last one, only the latest counts: past the grace
//!    window it is skipped, never posted late, and older ones are never posted at all, so
//!    downtime never causes a burst;
//! 4. each slot is sent exactly once ([`super::once`]): its record fixes the item and the nonce;
//!    a 403 or 404 pauses the server's prompts, a transient failure is retried with backoff
//!    while the slot is inside its grace window;
//! 5. the week's digest rides on the week's first scheduled slot ([`super::digest`]).

use jiff::Timestamp;

use super::context::{Context, Job, TickReport};
use super::digest;
use super::once::{Draft, Once, Recipient, Record, Sent, retry_at};
use crate::ops::metrics::PromptFailure;
use crate::outbox::SendStatus;
use crate::progress::popularity_of;
use crate::prompts::records::{NewPost, Pause, PauseReason, PostEnd, PromptPost, PromptSchedule};
use crate::prompts::rotation;
use crate::prompts::schedule::{Due, Schedule, schedule_of, within_grace};
use crate::store::StoreError;

/// One slot being handled: when, whether an admin asked for it, and the schedule's next slot
/// after it (a scheduled slot moves the schedule there).
#[derive(Clone, Copy, Debug)]
struct Slot {
    at: i64,
    manual: bool,
    next: Option<i64>,
}

pub(super) fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The servers with a due prompt slot.
pub(super) struct PromptSlots;

#[async_trait::async_trait]
impl Job for PromptSlots {
    type Claimed = PromptSchedule;
    const NAME: &'static str = "prompt slot";

    async fn claim(&self, ctx: &Context, now: i64) -> Result<Vec<PromptSchedule>, StoreError> {
        ctx.app
            .store
            .claim_due(
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
        row: &PromptSchedule,
        now: i64,
    ) -> Result<TickReport, StoreError> {
        handle(ctx, row, now).await
    }

    fn guild(row: &PromptSchedule) -> u64 {
        row.guild
    }
}

/// Every slot of one claimed server due at `now`, then the claim is released.
async fn handle(ctx: &Context, row: &PromptSchedule, now: i64) -> Result<TickReport, StoreError> {
    let mut report = TickReport {
        claimed: 1,
        ..TickReport::default()
    };
    let store = &ctx.app.store;
    let Some(schedule) = schedule_of(row) else {
        store
            .pause_schedule(row.guild, &Pause::new(PauseReason::Invalid), now)
            .await?;
        tracing::warn!(guild_id = row.guild, time = %row.local_time, timezone = %row.timezone, "stored prompt schedule cannot be read; paused");
        ctx.app.metrics.prompt_failed(PromptFailure::Invalid);
        report.paused += 1;
        return Ok(report);
    };
    if let Some(requested) = row.requested_at.filter(|r| *r <= now) {
        let slot = Slot {
            at: requested,
            manual: true,
            next: None,
        };
        post_slot(ctx, row, slot, now, &mut report).await?;
    }
    if let Some(due) = row.next_due_at.filter(|d| *d <= now) {
        scheduled(ctx, row, &schedule, due, now, &mut report).await?;
    }
    store.release_claim(row.guild, &ctx.instance).await?;
    Ok(report)
}

/// The latest scheduled slot missed since `due`: posted, or skipped past its grace.
async fn scheduled(
    ctx: &Context,
    row: &PromptSchedule,
    schedule: &Schedule,
    due: i64,
    now: i64,
    report: &mut TickReport,
) -> Result<(), StoreError> {
    // Only the latest missed slot matters; earlier ones are never posted late.
    let at = schedule
        .latest_between(ts(due), ts(now))
        .map_or(due, |s| s.as_second());
    let slot = Slot {
        at,
        manual: false,
        next: schedule.next_after(ts(at.max(now))).map(|t| t.as_second()),
    };
    match within_grace(at, now, ctx.settings.grace) {
        Due::TooLate => {
            end(ctx, row, slot, &PostEnd::Skipped, now).await?;
            tracing::info!(
                guild_id = row.guild,
                slot = slot.at,
                "prompt slot missed during downtime and past the grace window; skipped"
            );
            report.skipped += 1;
            ctx.app.metrics.prompt_failed(PromptFailure::Skipped);
        }
        Due::Post => post_slot(ctx, row, slot, now, report).await?,
    }
    if row.digest {
        report.digests += digest::post(ctx, row, schedule, now).await?;
    }
    Ok(())
}

/// Records how a slot ended and moves the schedule on.
async fn end(
    ctx: &Context,
    row: &PromptSchedule,
    slot: Slot,
    end: &PostEnd,
    now: i64,
) -> Result<(), StoreError> {
    ctx.app
        .store
        .end_slot(row.guild, slot.at, slot.manual, end, slot.next, now)
        .await
}

/// Sends one slot's post exactly once, then counts and logs how it went.
async fn post_slot(
    ctx: &Context,
    row: &PromptSchedule,
    slot: Slot,
    now: i64,
    report: &mut TickReport,
) -> Result<(), StoreError> {
    let mut post = SlotPost {
        ctx,
        row,
        slot,
        post: None,
        thread_name: None,
        retry: None,
    };
    let sent = ctx.sender.send_once(&mut post, now).await?;
    let attempts = post.post.as_ref().map_or(0, |p| p.attempts);
    match sent {
        Sent::Delivered { message_id } => {
            // Counted before it is logged: whoever reads the log line finds the count.
            ctx.app.metrics.prompt_posted();
            report.posted += 1;
            let item = post.post.as_ref().map_or("", |p| p.item_id.as_str());
            tracing::info!(
                guild_id = row.guild,
                slot = slot.at,
                item,
                message_id,
                attempts,
                manual = slot.manual,
                "study prompt posted"
            );
        }
        Sent::Refused { status, detail, .. } => {
            tracing::warn!(guild_id = row.guild, channel_id = row.channel, error = %format!("{status}: {detail}"), "prompt channel unusable; prompts paused for this server");
            report.paused += 1;
            ctx.app.metrics.prompt_failed(if status == 404 {
                PromptFailure::Missing
            } else {
                PromptFailure::Forbidden
            });
        }
        Sent::Transient(error) => match post.retry {
            Some(retry_at) => {
                tracing::warn!(guild_id = row.guild, slot = slot.at, attempts, retry_at, %error, "prompt post failed; will retry");
                report.retrying += 1;
            }
            None => {
                tracing::warn!(guild_id = row.guild, slot = slot.at, %error, "prompt post failed until the end of its grace window; slot given up");
                ctx.app.metrics.prompt_failed(PromptFailure::GivenUp);
            }
        },
        Sent::Nothing | Sent::Already { .. } | Sent::DmClosed | Sent::GaveUp(_) => {}
    }
    Ok(())
}

/// One slot's post, sent once.
struct SlotPost<'a> {
    ctx: &'a Context,
    row: &'a PromptSchedule,
    slot: Slot,
    /// The post's record, once found or created.
    post: Option<PromptPost>,
    /// The answers thread's name, when one is opened.
    thread_name: Option<String>,
    /// When a transient failure is retried (`None`: given up).
    retry: Option<i64>,
}

#[async_trait::async_trait]
impl Once for SlotPost<'_> {
    /// The slot's post: the one an earlier attempt created (a retry keeps its item and nonce),
    /// or a new one with the rotation's next item.
    async fn begin(&mut self, now: i64) -> Result<Option<Record>, StoreError> {
        let (store, roadmap) = (&self.ctx.app.store, &self.ctx.app.roadmap);
        let row = self.row;
        let counts = popularity_of(roadmap, store.item_counts(row.guild).await?);
        let pool = rotation::pool(roadmap, row.section.as_deref());
        let nonce = crate::outbox::nonce(row.guild, self.slot.at);
        let new = NewPost {
            guild: row.guild,
            slot: self.slot.at,
            manual: self.slot.manual,
            channel: row.channel,
            nonce: &nonce,
        };
        self.post = store
            .begin_post(&new, now, |posted| {
                let item = rotation::choose(roadmap, &pool, posted, &counts)?;
                Some((
                    roadmap.item(item).id.clone(),
                    rotation::prompt_index(roadmap, item, posted),
                ))
            })
            .await?;
        Ok(self.post.as_ref().map(|post| Record {
            nonce: post.nonce.clone(),
            status: post.status,
            attempts: post.attempts,
            message_id: post.message_id,
        }))
    }

    /// The post for the item, in the server's language.
    async fn draft(&mut self) -> Result<Draft, StoreError> {
        let (app, row) = (&self.ctx.app, self.row);
        let Some(post) = &self.post else {
            return Ok(Draft::GiveUp("no post".into()));
        };
        let Some(item) = app.roadmap.item_by_id(&post.item_id) else {
            return Ok(Draft::GiveUp(format!(
                "item {} left the roadmap",
                post.item_id
            )));
        };
        let locale = app
            .store
            .guild_settings(row.guild)
            .await?
            .public_locale(None);
        let render = crate::render::prompts::post;
        let message = render(
            &app.roadmap,
            item,
            post.prompt_index,
            row.role,
            row.thread,
            locale,
        );
        self.thread_name = row
            .thread
            .then(|| crate::render::prompts::thread_name(&app.roadmap, item, locale));
        Ok(Draft::Send {
            to: Recipient::Channel(row.channel),
            message,
        })
    }

    async fn record(&mut self, sent: &Sent, now: i64) -> Result<(), StoreError> {
        let (ctx, row, slot) = (self.ctx, self.row, self.slot);
        let ended = match sent {
            // Nothing left to post from (an empty section).
            Sent::Nothing => PostEnd::Skipped,
            // Finished by an earlier attempt: make sure the schedule moved on.
            Sent::Already {
                status: SendStatus::Sent,
                message_id: Some(message_id),
            } => PostEnd::Sent {
                message_id: *message_id,
            },
            Sent::Already { .. } => PostEnd::Skipped,
            Sent::Delivered { message_id } => {
                if let Some(name) = &self.thread_name {
                    open_thread(ctx, row, *message_id, name).await;
                }
                PostEnd::Sent {
                    message_id: *message_id,
                }
            }
            Sent::Refused {
                status,
                code,
                detail,
            } => PostEnd::Failed {
                error: format!("{status}: {detail}"),
                pause: Pause {
                    reason: if *status == 404 {
                        PauseReason::Missing
                    } else {
                        PauseReason::Forbidden
                    },
                    discord_code: Some(*code),
                },
            },
            Sent::GaveUp(error) => PostEnd::GaveUp {
                error: error.clone(),
            },
            // Only direct messages are refused this way; a channel post never is.
            Sent::DmClosed | Sent::Transient(_) => {
                let error = match sent {
                    Sent::Transient(error) => error.clone(),
                    _ => "Discord refused it as a direct message".to_string(),
                };
                let attempts = self.post.as_ref().map_or(1, |p| p.attempts);
                self.retry = retry_at(slot.at, attempts, now, ctx.settings.grace);
                match self.retry {
                    Some(at) => {
                        return ctx
                            .app
                            .store
                            .retry_later(row.guild, slot.at, &error, at)
                            .await;
                    }
                    None => PostEnd::GaveUp { error },
                }
            }
        };
        end(ctx, row, slot, &ended, now).await
    }
}

async fn open_thread(ctx: &Context, row: &PromptSchedule, message_id: u64, name: &str) {
    if let Err(error) = ctx
        .sender
        .poster
        .open_thread(row.channel, message_id, name)
        .await
    {
        tracing::warn!(
            guild_id = row.guild,
            ?error,
            "could not open the answers thread"
        );
    }
}
