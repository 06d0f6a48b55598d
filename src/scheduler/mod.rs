//! The prompt scheduler: driven by the database, spawned once at start-up, exactly once per
//! slot.
//!
//! Each [`Scheduler::tick`] takes the clock as an argument (tests pass any time they like):
//! 1. claim due servers atomically (`claimed_until` keeps other instances off them);
//! 2. for each, pick the latest missed slot; past the grace window it is skipped, never posted
//!    late, and older missed slots are never posted at all: downtime never causes a burst;
//! 3. find or create the slot's post row (the idempotency key is the server and the slot), which
//!    fixes the item and the message nonce;
//! 4. send with `enforce_nonce`, so a retry after a crash between "sent" and "recorded" gets the
//!    message Discord already created instead of a second one;
//! 5. record the outcome and move the schedule to its next slot, in one transaction.
//!
//! A 403 or 404 pauses the server's prompts (shown by `/prompts status`); transient failures are
//! retried with backoff while the slot is still within the grace window.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use jiff::Timestamp;
use tokio::sync::{Mutex, Semaphore, watch};

use crate::app::App;
use crate::ops::metrics::PromptFailure;
use crate::progress::community::Community;
use crate::progress::periods::{Period, local_range, starts};
use crate::progress::popularity_of;
use crate::progress::streak::day_of;
use crate::prompts::records::{
    DigestStatus, NewPost, Pause, PauseReason, PostEnd, PostStatus, PromptPost, PromptSchedule,
};
use crate::prompts::rotation;
use crate::prompts::schedule::{Days, Due, Schedule, parse_time, schedule_of, within_grace};
use crate::recognition::{REMINDER_GRACE, Reminder, needs_reminder};
use crate::reply::Reply;
use crate::roadmap::ItemIdx;
use crate::store::StoreError;

/// One slot being handled: when, whether an admin asked for it, and the schedule's next slot
/// after it (a scheduled slot moves the schedule there).
#[derive(Clone, Copy, Debug)]
struct Slot {
    at: i64,
    manual: bool,
    next: Option<i64>,
}

/// A post and the name of its answers thread, rendered.
struct PromptMessage {
    reply: Reply,
    thread_name: String,
}

/// Why a post failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// The channel is gone (404) or closed to the bot (403): retrying will not help. `code` is
    /// Discord's JSON error code (50013: missing permissions).
    Gone {
        status: u16,
        code: i64,
        detail: String,
    },
    /// Worth retrying: 5xx, 429, timeouts, connection errors.
    Transient(String),
    /// A direct message Discord refused because the member does not accept them (50007).
    DmClosed,
}

/// Sends prompt messages (Discord in production, a recorder in tests and benchmarks).
#[async_trait]
pub trait Poster: Send + Sync {
    /// Creates the message with this nonce (enforced), returning its id.
    async fn post(&self, channel: u64, message: &Reply, nonce: &str) -> Result<u64, PostError>;
    /// Opens a thread for answers under a message.
    async fn open_thread(&self, channel: u64, message: u64, name: &str) -> Result<(), PostError>;
    /// Sends a direct message to a user, with this nonce (enforced), returning its id.
    async fn dm(&self, user: u64, message: &Reply, nonce: &str) -> Result<u64, PostError>;
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// How late a missed slot may still be posted (seconds).
    pub grace: i64,
    /// How often the scheduler looks for due slots.
    pub tick: Duration,
    /// How long a claim lasts: shorter than Discord's nonce memory (a few minutes), so a
    /// retry after a crash still deduplicates.
    pub claim_ttl: i64,
    /// Posts per second at most, across servers (Discord's global limit is 50 requests/s).
    pub posts_per_second: f64,
    /// Posts in flight at once.
    pub in_flight: usize,
    /// Servers claimed per batch.
    pub batch: u32,
}

impl Settings {
    /// The settings the operator chose.
    pub fn from_config(config: &crate::config::Config) -> Settings {
        Settings {
            grace: config.prompt_grace_minutes * 60,
            tick: config.prompt_tick,
            // The budget is the bot's: each process takes its shards' share of it.
            posts_per_second: config.prompt_posts_per_second * config.shards.share(),
            ..Default::default()
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            grace: 2 * 3600,
            tick: Duration::from_secs(15),
            claim_ttl: 60,
            posts_per_second: 40.0,
            in_flight: 16,
            batch: 200,
        }
    }
}

/// Spaces requests evenly: at most one per `interval`, in real time.
pub struct Pacer {
    interval: Duration,
    next: Mutex<tokio::time::Instant>,
}

impl Pacer {
    pub fn new(per_second: f64) -> Pacer {
        let interval = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        Pacer {
            interval,
            next: Mutex::new(tokio::time::Instant::now()),
        }
    }

    /// Waits for this caller's turn.
    pub async fn acquire(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let at = (*next).max(tokio::time::Instant::now());
            *next = at + self.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// What one tick did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    pub claimed: usize,
    pub posted: usize,
    pub skipped: usize,
    pub paused: usize,
    pub retrying: usize,
    pub digests: usize,
    pub reminders: usize,
}

impl TickReport {
    fn add(&mut self, other: &TickReport) {
        self.posted += other.posted;
        self.skipped += other.skipped;
        self.paused += other.paused;
        self.retrying += other.retrying;
        self.digests += other.digests;
        self.reminders += other.reminders;
    }
}

pub struct Scheduler {
    app: App,
    poster: Arc<dyn Poster>,
    instance: String,
    settings: Settings,
    pacer: Arc<Pacer>,
    /// Set at shutdown: no new claims, no new posts; what is running finishes.
    stopping: std::sync::atomic::AtomicBool,
    /// Discord, for the hourly check of streak reward roles (none: no check).
    reward_lookups: Option<Arc<dyn crate::lookups::Lookups>>,
    /// The hour (since the epoch) of the last streak reward check.
    reward_check_hour: std::sync::atomic::AtomicI64,
}

fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Seconds before retrying after `attempts` transient failures: 15 s, 30 s, 60 s ... at most 10 min.
fn backoff(attempts: u32) -> i64 {
    (15_i64 << attempts.saturating_sub(1).min(6)).min(600)
}

impl Scheduler {
    pub fn new(
        app: App,
        poster: Arc<dyn Poster>,
        instance: impl Into<String>,
        settings: Settings,
    ) -> Scheduler {
        let pacer = Arc::new(Pacer::new(settings.posts_per_second));
        Scheduler {
            // A post answers no interaction, so its picture (the digest's heat map) may take
            // longer than a reply's before the post goes without it; a stop cuts the wait.
            app: app.waiting_for_pictures(crate::app::picture_waits::POST_WAIT),
            poster,
            instance: instance.into(),
            settings,
            pacer,
            stopping: Default::default(),
            reward_lookups: None,
            reward_check_hour: std::sync::atomic::AtomicI64::new(i64::MIN),
        }
    }

    /// The REST budget prompts are paced by, for other unprompted calls to share.
    pub fn pacer(&self) -> Arc<Pacer> {
        self.pacer.clone()
    }

    /// Also checks, once an hour, the streak reward roles members may have lost overnight.
    pub fn with_reward_upkeep(mut self, lookups: Arc<dyn crate::lookups::Lookups>) -> Scheduler {
        self.reward_lookups = Some(lookups);
        self
    }

    /// Stops claiming and posting; posts already sending finish, claims are released by `run`.
    pub fn stop(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Release);
        self.app.prompt_wake.notify_one();
    }

    fn stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Acquire)
    }

    /// `work`'s outcome, or `None` as soon as a stop is asked for: a shutdown has 1.5 s for the
    /// posts in flight, and a picture is not worth a post cut short.
    async fn unless_stopped<T>(&self, work: impl std::future::Future<Output = T>) -> Option<T> {
        unless(|| self.stopping(), work).await
    }

    /// Handles every slot and every streak reminder due at `now`.
    pub async fn tick(self: &Arc<Self>, now: i64) -> Result<TickReport, StoreError> {
        let mut report = self.tick_prompts(now).await?;
        report.add(&self.tick_reminders(now).await?);
        self.check_streak_rewards(now);
        Ok(report)
    }

    /// Streak reward roles, once per hour of the clock, on a task of their own so prompts and
    /// reminders never wait for it. With several processes each checks the servers it serves.
    fn check_streak_rewards(&self, now: i64) {
        let Some(lookups) = &self.reward_lookups else {
            return;
        };
        let hour = now.div_euclid(3600);
        if self
            .reward_check_hour
            .swap(hour, std::sync::atomic::Ordering::AcqRel)
            == hour
        {
            return;
        }
        let (roles, lookups) = (self.app.roles(), lookups.clone());
        self.app.background.spawn(async move {
            match roles.check_streak_rewards(lookups.as_ref()).await {
                Ok(check) if check.taken == 0 && check.failed == 0 => {}
                Ok(check) => tracing::info!(
                    taken = check.taken,
                    failed = check.failed,
                    "streak reward roles of broken streaks checked"
                ),
                Err(error) => {
                    tracing::warn!(%error, "could not check streak reward roles; next hour")
                }
            }
        });
    }

    /// Streak reminders due at `now`: claimed like prompt slots, each sent at most once per
    /// member and day (the day's row is the idempotency key, its nonce deduplicated by Discord).
    async fn tick_reminders(&self, now: i64) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        while !self.stopping() {
            let claimed = self
                .app
                .store
                .claim_due_reminders(
                    &self.instance,
                    now,
                    now + self.settings.claim_ttl,
                    self.settings.batch,
                )
                .await?;
            if claimed.is_empty() {
                break;
            }
            for reminder in claimed {
                match self.remind(&reminder, now).await {
                    Ok(sent) => report.reminders += usize::from(sent),
                    Err(error) => {
                        tracing::error!(guild_id = reminder.guild, user_id = reminder.user, %error, "streak reminder failed; it stays due")
                    }
                }
            }
        }
        Ok(report)
    }

    /// One due reminder: sent when the member's streak is worth keeping and not kept today,
    /// then moved to its next time. `true` when a DM went out.
    async fn remind(&self, reminder: &Reminder, now: i64) -> Result<bool, StoreError> {
        let store = &self.app.store;
        let settings = store.guild_settings(reminder.guild).await?;
        let tz = settings.timezone();
        let schedule = parse_time(&reminder.local_time).map(|time| Schedule {
            time,
            days: Days(0b111_1111),
            tz: tz.clone(),
        });
        let next = schedule
            .as_ref()
            .and_then(|s| s.next_after(ts(now)))
            .map(|t| t.as_second());
        let due = reminder.next_due_at.unwrap_or(now);
        let today = day_of(now, &tz);
        let streak = store
            .streak(reminder.guild, reminder.user)
            .await?
            .unwrap_or_default();
        // Late past its grace (downtime), or on another day than it was due: not sent.
        let in_time = now - due <= REMINDER_GRACE && day_of(due, &tz) == today;
        let mut sent = false;
        if in_time && needs_reminder(&streak, today) {
            let nonce = crate::prompts::reminder_nonce(reminder.guild, reminder.user, today);
            let send = store
                .begin_reminder_send(reminder.guild, reminder.user, today, &nonce, now)
                .await?;
            if send.status == "sending" {
                let locale = reminder.locale;
                let t = locale.texts();
                let server = settings
                    .name
                    .clone()
                    .unwrap_or_else(|| t.picture_server.to_string());
                let text = crate::i18n::fill(
                    t.streak_reminder_dm,
                    &[
                        (
                            "days",
                            &t.streak_days
                                .fill(streak.as_of(today).current as usize, &[]),
                        ),
                        ("server", &server),
                        ("timezone", &settings.timezone),
                    ],
                );
                self.pacer.acquire().await;
                match self
                    .poster
                    .dm(
                        reminder.user,
                        &Reply::ephemeral_text(text).public_text(),
                        &send.nonce,
                    )
                    .await
                {
                    Ok(message_id) => {
                        store
                            .end_reminder_send(
                                reminder.guild,
                                reminder.user,
                                today,
                                "sent",
                                Some(message_id),
                                now,
                            )
                            .await?;
                        tracing::info!(
                            guild_id = reminder.guild,
                            user_id = reminder.user,
                            "streak reminder sent"
                        );
                        sent = true;
                    }
                    Err(PostError::DmClosed) => {
                        store
                            .end_reminder_send(
                                reminder.guild,
                                reminder.user,
                                today,
                                "failed",
                                None,
                                now,
                            )
                            .await?;
                        store
                            .reminder_dms_closed(reminder.guild, reminder.user, now)
                            .await?;
                        tracing::info!(
                            guild_id = reminder.guild,
                            user_id = reminder.user,
                            "the member does not accept DMs; their streak reminder is off and they will be told"
                        );
                        return Ok(false);
                    }
                    Err(PostError::Transient(error)) => {
                        // Left due and claimed: taken up again when the claim lapses, judged
                        // against the time it was due (the grace, the same day); the nonce
                        // dedupes a send that did reach Discord.
                        tracing::warn!(guild_id = reminder.guild, user_id = reminder.user, %error, "streak reminder not sent; retried when its claim lapses");
                        return Ok(false);
                    }
                    Err(PostError::Gone { detail, .. }) => {
                        store
                            .end_reminder_send(
                                reminder.guild,
                                reminder.user,
                                today,
                                "failed",
                                None,
                                now,
                            )
                            .await?;
                        tracing::warn!(guild_id = reminder.guild, user_id = reminder.user, %detail, "streak reminder refused");
                    }
                }
            }
        }
        store
            .reschedule_reminder(reminder.guild, reminder.user, next, now, &self.instance)
            .await?;
        Ok(sent)
    }

    /// Handles every prompt slot due at `now`.
    async fn tick_prompts(self: &Arc<Self>, now: i64) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        let permits = Arc::new(Semaphore::new(self.settings.in_flight.max(1)));
        while !self.stopping() {
            let claimed = self
                .app
                .store
                .claim_due(
                    &self.instance,
                    now,
                    now + self.settings.claim_ttl,
                    self.settings.batch,
                )
                .await?;
            if claimed.is_empty() {
                break;
            }
            report.claimed += claimed.len();
            let mut tasks = tokio::task::JoinSet::new();
            for schedule in claimed {
                if self.stopping() {
                    break; // its claim is released when the scheduler stops
                }
                let this = self.clone();
                let permit = permits
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("semaphore is never closed");
                tasks.spawn(async move {
                    let result = this.process(&schedule, now).await;
                    drop(permit);
                    (schedule.guild, result)
                });
            }
            while let Some(joined) = tasks.join_next().await {
                match joined {
                    Ok((_, Ok(r))) => report.add(&r),
                    Ok((guild, Err(error))) => {
                        tracing::error!(guild_id = guild, %error, "prompt slot failed; it stays due")
                    }
                    Err(error) => tracing::error!(%error, "prompt task panicked"),
                }
            }
        }
        Ok(report)
    }

    async fn process(&self, row: &PromptSchedule, now: i64) -> Result<TickReport, StoreError> {
        let mut report = TickReport::default();
        let store = &self.app.store;
        let Some(schedule) = schedule_of(row) else {
            store
                .pause_schedule(row.guild, &Pause::new(PauseReason::Invalid), now)
                .await?;
            tracing::warn!(guild_id = row.guild, time = %row.local_time, timezone = %row.timezone, "stored prompt schedule cannot be read; paused");
            self.app.metrics.prompt_failed(PromptFailure::Invalid);
            report.paused += 1;
            return Ok(report);
        };
        if let Some(requested) = row.requested_at.filter(|r| *r <= now) {
            let slot = Slot {
                at: requested,
                manual: true,
                next: None,
            };
            self.post_slot(row, slot, now, &mut report).await?;
        }
        if let Some(due) = row.next_due_at.filter(|d| *d <= now) {
            // Only the latest missed slot matters; earlier ones are never posted late.
            let at = schedule
                .latest_between(ts(due), ts(now))
                .map_or(due, |s| s.as_second());
            let slot = Slot {
                at,
                manual: false,
                next: schedule.next_after(ts(at.max(now))).map(|t| t.as_second()),
            };
            match within_grace(at, now, self.settings.grace) {
                Due::TooLate => self.skip(row, slot, now, &mut report).await?,
                Due::Post => self.post_slot(row, slot, now, &mut report).await?,
            }
            if row.digest {
                self.post_digest(row, &schedule, now, &mut report).await?;
            }
        }
        store.release_claim(row.guild, &self.instance).await?;
        Ok(report)
    }

    /// A slot missed during downtime and past the grace window: never posted late.
    async fn skip(
        &self,
        row: &PromptSchedule,
        slot: Slot,
        now: i64,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        self.end(row, slot, &PostEnd::Skipped, now).await?;
        tracing::info!(
            guild_id = row.guild,
            slot = slot.at,
            "prompt slot missed during downtime and past the grace window; skipped"
        );
        report.skipped += 1;
        self.app.metrics.prompt_failed(PromptFailure::Skipped);
        Ok(())
    }

    /// Records how a slot ended and moves the schedule on.
    async fn end(
        &self,
        row: &PromptSchedule,
        slot: Slot,
        end: &PostEnd,
        now: i64,
    ) -> Result<(), StoreError> {
        self.app
            .store
            .end_slot(row.guild, slot.at, slot.manual, end, slot.next, now)
            .await
    }

    /// Posts one slot: fixes its item and nonce (or finds them, on a retry), sends, records.
    async fn post_slot(
        &self,
        row: &PromptSchedule,
        slot: Slot,
        now: i64,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        let Some(post) = self.begin(row, slot, now).await? else {
            // Nothing left to post from (an empty section).
            return self.end(row, slot, &PostEnd::Skipped, now).await;
        };
        if post.status != PostStatus::Sending {
            // Finished by an earlier attempt; make sure the schedule moved on.
            let end = match (post.status, post.message_id) {
                (PostStatus::Sent, Some(message_id)) => PostEnd::Sent { message_id },
                _ => PostEnd::Skipped,
            };
            return self.end(row, slot, &end, now).await;
        }
        let Some(item) = self.app.roadmap.item_by_id(&post.item_id) else {
            let error = format!("item {} left the roadmap", post.item_id);
            return self.end(row, slot, &PostEnd::GaveUp { error }, now).await;
        };
        let message = self.message(row, item, post.prompt_index).await?;
        self.pacer.acquire().await;
        let sent = self
            .poster
            .post(row.channel, &message.reply, &post.nonce)
            .await;
        match sent {
            Ok(message_id) => {
                if row.thread {
                    self.open_thread(row, message_id, &message.thread_name)
                        .await;
                }
                self.end(row, slot, &PostEnd::Sent { message_id }, now)
                    .await?;
                // Counted before it is logged: whoever reads the log line finds the count.
                self.app.metrics.prompt_posted();
                report.posted += 1;
                tracing::info!(guild_id = row.guild, slot = slot.at, item = %post.item_id, message_id, attempts = post.attempts, manual = slot.manual, "study prompt posted");
            }
            Err(PostError::Gone {
                status,
                code,
                detail,
            }) => {
                let (reason, failure) = if status == 404 {
                    (PauseReason::Missing, PromptFailure::Missing)
                } else {
                    (PauseReason::Forbidden, PromptFailure::Forbidden)
                };
                let error = format!("{status}: {detail}");
                let pause = Pause {
                    reason,
                    discord_code: Some(code),
                };
                self.end(
                    row,
                    slot,
                    &PostEnd::Failed {
                        error: error.clone(),
                        pause,
                    },
                    now,
                )
                .await?;
                tracing::warn!(guild_id = row.guild, channel_id = row.channel, %error, "prompt channel unusable; prompts paused for this server");
                report.paused += 1;
                self.app.metrics.prompt_failed(failure);
            }
            Err(PostError::Transient(error)) => {
                self.after_transient_failure(row, slot, &post, error, now, report)
                    .await?;
            }
            // Only direct messages are refused this way; a channel post never is.
            Err(PostError::DmClosed) => {
                let error = "Discord refused it as a direct message".to_string();
                self.after_transient_failure(row, slot, &post, error, now, report)
                    .await?;
            }
        }
        Ok(())
    }

    /// The slot's post: the one an earlier attempt created (a retry keeps its item and nonce),
    /// or a new one with the rotation's next item.
    async fn begin(
        &self,
        row: &PromptSchedule,
        slot: Slot,
        now: i64,
    ) -> Result<Option<PromptPost>, StoreError> {
        let store = &self.app.store;
        let roadmap = &self.app.roadmap;
        let counts = popularity_of(roadmap, store.item_counts(row.guild).await?);
        let pool = rotation::pool(roadmap, row.section.as_deref());
        let nonce = crate::prompts::nonce(row.guild, slot.at);
        let new = NewPost {
            guild: row.guild,
            slot: slot.at,
            manual: slot.manual,
            channel: row.channel,
            nonce: &nonce,
        };
        store
            .begin_post(&new, now, |posted| {
                let item = rotation::choose(roadmap, &pool, posted, &counts)?;
                Some((
                    roadmap.item(item).id.clone(),
                    rotation::prompt_index(roadmap, item, posted),
                ))
            })
            .await
    }

    /// The message for an item, in the server's language.
    async fn message(
        &self,
        row: &PromptSchedule,
        item: ItemIdx,
        prompt_index: usize,
    ) -> Result<PromptMessage, StoreError> {
        let roadmap = &self.app.roadmap;
        let locale = self
            .app
            .store
            .guild_settings(row.guild)
            .await?
            .public_locale(None);
        Ok(PromptMessage {
            reply: crate::render::prompts::post(
                roadmap,
                item,
                prompt_index,
                row.role,
                row.thread,
                locale,
            ),
            thread_name: crate::render::prompts::thread_name(roadmap, item, locale),
        })
    }

    async fn open_thread(&self, row: &PromptSchedule, message_id: u64, name: &str) {
        if let Err(error) = self.poster.open_thread(row.channel, message_id, name).await {
            tracing::warn!(
                guild_id = row.guild,
                ?error,
                "could not open the answers thread"
            );
        }
    }

    /// The weekly digest: with the first scheduled slot handled in a week, the week before's
    /// heat map and movers, once. The week's row is the idempotency key: a digest already sent
    /// (or given up) is not posted again, and a retry reuses its nonce, which Discord
    /// deduplicates. A transient failure is retried with the week's next slot.
    async fn post_digest(
        &self,
        row: &PromptSchedule,
        schedule: &Schedule,
        now: i64,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        const ATTEMPTS: u32 = 3;
        let store = &self.app.store;
        let this_week = starts(Period::Week, now, &schedule.tz);
        let week = starts(Period::Week, this_week - 1, &schedule.tz);
        let nonce = crate::prompts::digest_nonce(row.guild, week);
        let post = store
            .begin_digest(row.guild, week, row.channel, &nonce, now)
            .await?;
        if post.status != DigestStatus::Sending {
            return Ok(());
        }
        if post.attempts > ATTEMPTS {
            store
                .end_digest(
                    row.guild,
                    week,
                    DigestStatus::Failed,
                    None,
                    Some("gave up after 3 attempts"),
                    now,
                )
                .await?;
            tracing::warn!(
                guild_id = row.guild,
                week,
                "weekly digest given up after {ATTEMPTS} attempts"
            );
            return Ok(());
        }
        let settings = store.guild_settings(row.guild).await?;
        let locale = settings.public_locale(None);
        let counts = store.community(row.guild, week, this_week).await?;
        let community = Community::of(&self.app.roadmap, &counts);
        let dates = local_range(Period::Week, week, &schedule.tz);
        let mut reply =
            crate::render::prompts::digest(&self.app.roadmap, &community, dates, locale);
        let picture =
            crate::picture::attach::heat_map(&self.app, &community, &settings, locale, true);
        if let Some(picture) = self.unless_stopped(picture).await.flatten() {
            reply = reply.with_picture(picture);
        }
        self.pacer.acquire().await;
        match self.poster.post(row.channel, &reply, &post.nonce).await {
            Ok(message_id) => {
                store
                    .end_digest(
                        row.guild,
                        week,
                        DigestStatus::Sent,
                        Some(message_id),
                        None,
                        now,
                    )
                    .await?;
                tracing::info!(
                    guild_id = row.guild,
                    week,
                    message_id,
                    "weekly digest posted"
                );
                report.digests += 1;
            }
            Err(PostError::Gone { status, detail, .. }) => {
                let error = format!("{status}: {detail}");
                store
                    .end_digest(
                        row.guild,
                        week,
                        DigestStatus::Failed,
                        None,
                        Some(&error),
                        now,
                    )
                    .await?;
                tracing::warn!(guild_id = row.guild, channel_id = row.channel, %error, "weekly digest refused by Discord");
            }
            Err(PostError::Transient(error)) => {
                tracing::warn!(guild_id = row.guild, week, %error, "weekly digest failed; retried with the next slot of the week");
            }
            Err(PostError::DmClosed) => {
                tracing::warn!(
                    guild_id = row.guild,
                    week,
                    "weekly digest refused as a direct message; retried with the next slot of the week"
                );
            }
        }
        Ok(())
    }

    /// 5xx, 429, a timeout: retried with backoff while the slot is inside its grace window,
    /// then given up.
    async fn after_transient_failure(
        &self,
        row: &PromptSchedule,
        slot: Slot,
        post: &PromptPost,
        error: String,
        now: i64,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        let retry_at = now + backoff(post.attempts);
        if within_grace(slot.at, retry_at, self.settings.grace) == Due::Post {
            self.app
                .store
                .retry_later(row.guild, slot.at, &error, retry_at)
                .await?;
            tracing::warn!(guild_id = row.guild, slot = slot.at, attempts = post.attempts, retry_at, %error, "prompt post failed; will retry");
            report.retrying += 1;
        } else {
            self.end(
                row,
                slot,
                &PostEnd::GaveUp {
                    error: error.clone(),
                },
                now,
            )
            .await?;
            tracing::warn!(guild_id = row.guild, slot = slot.at, %error, "prompt post failed until the end of its grace window; slot given up");
            self.app.metrics.prompt_failed(PromptFailure::GivenUp);
        }
        Ok(())
    }

    /// Runs ticks until `shutdown` turns true, waking early when `wake` is notified (a
    /// `/prompts now`). Releases this instance's claims on the way out.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let wake = self.app.prompt_wake.clone();
        tracing::info!(instance = %self.instance, tick_ms = self.settings.tick.as_millis() as u64, "background task started: prompt scheduler");
        loop {
            let now = self.app.clock.now();
            match self.tick(now).await {
                Ok(report) => {
                    if report != TickReport::default() {
                        tracing::debug!(?report, "prompt tick");
                    }
                    self.app.metrics.prompt_tick(now);
                }
                Err(error) => tracing::error!(%error, "prompt tick failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.settings.tick) => {}
                _ = wake.notified() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() || self.stopping() {
                break;
            }
        }
        match self.app.store.release_claims(&self.instance).await {
            Ok(n) => tracing::info!(released = n, "prompt scheduler stopped"),
            Err(error) => tracing::error!(%error, "could not release prompt claims"),
        }
    }
}

/// `work`'s outcome, or `None` once `stopping` says so (looked at every 100 ms).
async fn unless<T>(
    stopping: impl Fn() -> bool,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    let mut work = std::pin::pin!(work);
    loop {
        if stopping() {
            return None;
        }
        tokio::select! {
            done = &mut work => return Some(done),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_ends_with_its_work_or_soon_after_a_stop() {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = || stop.load(std::sync::atomic::Ordering::Acquire);
        assert_eq!(unless(stopping, async { 7 }).await, Some(7));
        let stopper = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            stopper.store(true, std::sync::atomic::Ordering::Release);
        });
        let waited = tokio::time::timeout(
            Duration::from_secs(5),
            unless(stopping, std::future::pending::<i32>()),
        )
        .await;
        assert_eq!(waited, Ok(None), "ended by the stop, not by the work");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), 15);
        assert_eq!(backoff(2), 30);
        assert_eq!(backoff(3), 60);
        assert_eq!(backoff(30), 600);
    }
}
