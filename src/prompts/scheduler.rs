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
use jiff::tz::TimeZone;
use tokio::sync::{Mutex, Semaphore, watch};

use super::rotation::{self, Counts};
use super::schedule::{Days, Due, Schedule, parse_time, within_grace};
use crate::commands::App;
use crate::i18n::Locale;
use crate::reply::Reply;
use crate::store::{NewPost, PostEnd, PostStatus, PromptSchedule, StoreError};

/// Why a post failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// The channel is gone (404) or closed to the bot (403): retrying will not help.
    Gone { status: u16, detail: String },
    /// Worth retrying: 5xx, 429, timeouts, connection errors.
    Transient(String),
}

/// Sends prompt messages (Discord in production, a recorder in tests and benchmarks).
#[async_trait]
pub trait Poster: Send + Sync {
    /// Creates the message with this nonce (enforced), returning its id.
    async fn post(&self, channel: u64, message: &Reply, nonce: &str) -> Result<u64, PostError>;
    /// Opens a thread for answers under a message.
    async fn open_thread(&self, channel: u64, message: u64, name: &str) -> Result<(), PostError>;
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
}

impl TickReport {
    fn add(&mut self, other: &TickReport) {
        self.posted += other.posted;
        self.skipped += other.skipped;
        self.paused += other.paused;
        self.retrying += other.retrying;
    }
}

pub struct Scheduler {
    app: App,
    poster: Arc<dyn Poster>,
    instance: String,
    settings: Settings,
    pacer: Pacer,
    /// Set at shutdown: no new claims, no new posts; what is running finishes.
    stopping: std::sync::atomic::AtomicBool,
}

/// The schedule of a stored row, or `None` when it cannot be read (then it is paused).
pub fn schedule_of(row: &PromptSchedule) -> Option<Schedule> {
    Some(Schedule {
        time: parse_time(&row.local_time)?,
        days: Days(row.days),
        tz: TimeZone::get(&row.timezone).ok()?,
    })
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
        let pacer = Pacer::new(settings.posts_per_second);
        Scheduler {
            app,
            poster,
            instance: instance.into(),
            settings,
            pacer,
            stopping: Default::default(),
        }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Stops claiming and posting; posts already sending finish, claims are released by `run`.
    pub fn stop(&self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::Release);
        self.app.scheduler_wake.notify_one();
    }

    fn stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Handles every slot due at `now`.
    pub async fn tick(self: &Arc<Self>, now: i64) -> Result<TickReport, StoreError> {
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
                .pause_schedule(
                    row.guild,
                    "invalid",
                    Some(&format!("{} {}", row.local_time, row.timezone)),
                    now,
                )
                .await?;
            report.paused += 1;
            return Ok(report);
        };
        if let Some(requested) = row.requested_at.filter(|r| *r <= now) {
            self.post_slot(row, requested, true, None, now, &mut report)
                .await?;
        }
        if let Some(due) = row.next_due_at.filter(|d| *d <= now) {
            // Only the latest missed slot matters; earlier ones are never posted late.
            let slot = schedule
                .latest_between(ts(due), ts(now))
                .map_or(due, |s| s.as_second());
            let next = schedule
                .next_after(ts(slot.max(now)))
                .map(|t| t.as_second());
            match within_grace(slot, now, self.settings.grace) {
                Due::TooLate => {
                    store
                        .end_slot(row.guild, slot, false, &PostEnd::Skipped, next, now)
                        .await?;
                    tracing::info!(
                        guild_id = row.guild,
                        slot,
                        "prompt slot missed during downtime and past the grace window; skipped"
                    );
                    report.skipped += 1;
                    self.app.metrics.prompt_failed("skipped");
                }
                Due::Post => {
                    self.post_slot(row, slot, false, next, now, &mut report)
                        .await?
                }
            }
        }
        store.release_claim(row.guild, &self.instance).await?;
        Ok(report)
    }

    async fn post_slot(
        &self,
        row: &PromptSchedule,
        slot: i64,
        manual: bool,
        next: Option<i64>,
        now: i64,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        let store = &self.app.store;
        let roadmap = &self.app.roadmap;
        let counts: Counts = store
            .item_counts(row.guild)
            .await?
            .into_iter()
            .filter_map(|(id, learning, done)| {
                roadmap.item_by_id(&id).map(|i| (i, (learning, done)))
            })
            .collect();
        let pool = rotation::pool(roadmap, row.section.as_deref());
        let nonce = super::nonce(row.guild, slot);
        let post = store
            .begin_post(
                &NewPost {
                    guild: row.guild,
                    slot,
                    manual,
                    channel: row.channel,
                    nonce: &nonce,
                },
                now,
                |posted| {
                    let item = rotation::choose(roadmap, &pool, posted, &counts)?;
                    Some((
                        roadmap.item(item).id.clone(),
                        rotation::prompt_index(roadmap, item, posted),
                    ))
                },
            )
            .await?;
        let Some(post) = post else {
            store
                .end_slot(row.guild, slot, manual, &PostEnd::Skipped, next, now)
                .await?;
            return Ok(());
        };
        if post.status != PostStatus::Sending {
            // Finished by an earlier attempt; make sure the schedule moved on.
            let end = match (post.status, post.message_id) {
                (PostStatus::Sent, Some(message_id)) => PostEnd::Sent { message_id },
                _ => PostEnd::Skipped,
            };
            store
                .end_slot(row.guild, slot, manual, &end, next, now)
                .await?;
            return Ok(());
        }
        let Some(item) = roadmap.item_by_id(&post.item_id) else {
            // The item left the roadmap between the choice and this retry.
            store
                .end_slot(
                    row.guild,
                    slot,
                    manual,
                    &PostEnd::GaveUp {
                        error: format!("item {} left the roadmap", post.item_id),
                    },
                    next,
                    now,
                )
                .await?;
            return Ok(());
        };
        let settings = store.guild_settings(row.guild).await?;
        let locale = settings
            .locale
            .or_else(|| settings.discord_locale.as_deref().map(Locale::from_discord))
            .unwrap_or(Locale::PtBr);
        let message = crate::render::prompts::post(
            roadmap,
            item,
            post.prompt_index,
            row.role,
            row.thread,
            locale,
        );
        self.pacer.acquire().await;
        match self.poster.post(row.channel, &message, &post.nonce).await {
            Ok(message_id) => {
                if row.thread {
                    let name = crate::render::prompts::thread_name(roadmap, item, locale);
                    if let Err(error) = self
                        .poster
                        .open_thread(row.channel, message_id, &name)
                        .await
                    {
                        tracing::warn!(
                            guild_id = row.guild,
                            ?error,
                            "could not open the answers thread"
                        );
                    }
                }
                store
                    .end_slot(
                        row.guild,
                        slot,
                        manual,
                        &PostEnd::Sent { message_id },
                        next,
                        now,
                    )
                    .await?;
                tracing::info!(guild_id = row.guild, slot, item = %post.item_id, message_id, attempts = post.attempts, manual, "study prompt posted");
                report.posted += 1;
                self.app.metrics.prompt_posted();
            }
            Err(PostError::Gone { status, detail }) => {
                let reason = if status == 404 {
                    "missing"
                } else {
                    "forbidden"
                };
                let error = format!("{status}: {detail}");
                store
                    .end_slot(
                        row.guild,
                        slot,
                        manual,
                        &PostEnd::Failed {
                            error: error.clone(),
                            pause_reason: reason,
                        },
                        next,
                        now,
                    )
                    .await?;
                tracing::warn!(guild_id = row.guild, channel_id = row.channel, %error, "prompt channel unusable; prompts paused for this server");
                report.paused += 1;
                self.app.metrics.prompt_failed(reason);
            }
            Err(PostError::Transient(error)) => {
                let retry_at = now + backoff(post.attempts);
                if within_grace(slot, retry_at, self.settings.grace) == Due::Post {
                    store.retry_later(row.guild, slot, &error, retry_at).await?;
                    tracing::warn!(guild_id = row.guild, slot, attempts = post.attempts, retry_at, %error, "prompt post failed; will retry");
                    report.retrying += 1;
                } else {
                    store
                        .end_slot(
                            row.guild,
                            slot,
                            manual,
                            &PostEnd::GaveUp {
                                error: error.clone(),
                            },
                            next,
                            now,
                        )
                        .await?;
                    tracing::warn!(guild_id = row.guild, slot, %error, "prompt post failed until the end of its grace window; slot given up");
                    self.app.metrics.prompt_failed("given_up");
                }
            }
        }
        Ok(())
    }

    /// Runs ticks until `shutdown` turns true, waking early when `wake` is notified (a
    /// `/prompts now`). Releases this instance's claims on the way out.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let wake = self.app.scheduler_wake.clone();
        tracing::info!(instance = %self.instance, tick_ms = self.settings.tick.as_millis() as u64, "background task started: prompt scheduler");
        loop {
            let now = self.app.clock.now();
            match self.tick(now).await {
                Ok(report) if report != TickReport::default() => {
                    tracing::debug!(?report, "prompt tick")
                }
                Ok(_) => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), 15);
        assert_eq!(backoff(2), 30);
        assert_eq!(backoff(3), 60);
        assert_eq!(backoff(30), 600);
    }
}
