//! The scheduler: what trilha sends on its own, driven by the database, spawned once at
//! start-up (never from Ready), each message exactly once.
//!
//! Each [`Scheduler::tick`] takes the clock as an argument (tests pass any time they like) and
//! runs every job's claim loop ([`context::Job`]): claim a batch of what is due, handle each
//! claim, until nothing is left or a stop is asked for. The jobs live beside it, one file each:
//! study prompts ([`prompts`], with the weekly digest in [`digest`]) and streak reminders
//! ([`reminders`]); the hourly check of streak reward roles ([`rewards`]) rides on the tick.
//! Every message goes through the one send-once step ([`once`]), paced by the bot's REST budget
//! ([`pace`]), through a [`Poster`] ([`poster`]).

mod context;
mod digest;
pub mod once;
pub mod pace;
pub mod poster;
mod prompts;
mod reminders;
mod rewards;

use std::sync::Arc;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::lookups::Lookups;
use crate::store::StoreError;
use context::{Context, Job};
use once::Sender;

pub use context::{Settings, TickReport};
pub use pace::Pacer;
pub use poster::{PostError, Poster};

pub struct Scheduler {
    ctx: Context,
    /// The hourly check of streak reward roles (none: no check).
    streak_roles: Option<rewards::StreakRoles>,
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
            ctx: Context {
                // A post answers no interaction, so its picture (the digest's heat map) may take
                // longer than a reply's before the post goes without it; a stop cuts the wait.
                app: app.waiting_for_pictures(crate::app::picture_waits::POST_WAIT),
                sender: Sender { poster, pacer },
                instance: instance.into(),
                settings,
                stop: CancellationToken::new(),
            },
            streak_roles: None,
        }
    }

    /// The REST budget prompts are paced by, for other unprompted calls to share.
    pub fn pacer(&self) -> Arc<Pacer> {
        self.ctx.sender.pacer.clone()
    }

    /// Also checks, once an hour, the streak reward roles members may have lost overnight.
    pub fn with_reward_upkeep(mut self, lookups: Arc<dyn Lookups>) -> Scheduler {
        self.streak_roles = Some(rewards::StreakRoles::new(lookups));
        self
    }

    /// Stops claiming and posting at once; posts already sending finish, and [`Scheduler::run`]
    /// releases this instance's claims and returns (await its task).
    pub fn stop(&self) {
        self.ctx.stop.cancel();
    }

    /// Handles everything due at `now`: prompt slots (and digests), then streak reminders.
    pub async fn tick(self: &Arc<Self>, now: i64) -> Result<TickReport, StoreError> {
        let in_flight = self.ctx.settings.in_flight.max(1);
        let mut report = self.drain(&prompts::PromptSlots, now, in_flight).await?;
        // One DM at a time: the pacer spaces them anyway.
        report.add(&self.drain(&reminders::Reminders, now, 1).await?);
        if let Some(roles) = &self.streak_roles {
            roles.check_hourly(&self.ctx.app, now);
        }
        Ok(report)
    }

    /// One job's claim loop: claims batches until none is left (or a stop), handling up to
    /// `in_flight` claims at once. A claim whose handling fails stays due (its claim lapses and
    /// it is taken up again); the others go on.
    async fn drain<J: Job>(
        &self,
        job: &J,
        now: i64,
        in_flight: usize,
    ) -> Result<TickReport, StoreError> {
        let ctx = &self.ctx;
        let mut report = TickReport::default();
        while !ctx.stopping() {
            let claimed = job.claim(ctx, now).await?;
            if claimed.is_empty() {
                break;
            }
            // Claims not started before a stop are released when the scheduler stops.
            let mut waiting = claimed.iter();
            let mut running = FuturesUnordered::new();
            let mut results = Vec::with_capacity(claimed.len());
            loop {
                while running.len() < in_flight && !ctx.stopping() {
                    let Some(claim) = waiting.next() else { break };
                    running.push(Self::handle_one(ctx, job, claim, now));
                }
                match running.next().await {
                    Some(result) => results.push(result),
                    None => break,
                }
            }
            for (guild_id, result) in results {
                match result {
                    Ok(handled) => report.add(&handled),
                    Err(error) => {
                        tracing::error!(guild_id, job = J::NAME, %error, "scheduled work failed; it stays due")
                    }
                }
            }
        }
        Ok(report)
    }

    /// One claim's handling; a panic in it (a bug) is logged and stays with this claim.
    async fn handle_one<J: Job>(
        ctx: &Context,
        job: &J,
        claim: &J::Claimed,
        now: i64,
    ) -> (u64, Result<TickReport, StoreError>) {
        let guild_id = J::guild(claim);
        let handled = std::panic::AssertUnwindSafe(job.handle(ctx, claim, now)).catch_unwind();
        match handled.await {
            Ok(result) => (guild_id, result),
            Err(_) => {
                tracing::error!(
                    guild_id,
                    job = J::NAME,
                    "scheduled work panicked; it stays due"
                );
                (guild_id, Ok(TickReport::default()))
            }
        }
    }

    /// Runs ticks until a stop ([`Scheduler::stop`], or `shutdown` turning true), waking early
    /// when `App::prompt_wake` is notified (a `/prompts now`). Releases this instance's claims
    /// on the way out.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let app = &self.ctx.app;
        let wake = app.prompt_wake.clone();
        tracing::info!(instance = %self.ctx.instance, tick_ms = self.ctx.settings.tick.as_millis() as u64, "background task started: prompt scheduler");
        loop {
            let now = app.clock.now();
            match self.tick(now).await {
                Ok(report) => {
                    app.metrics.prompt_tick(now);
                    tracing::debug!(?report, "prompt tick done");
                }
                Err(error) => tracing::error!(%error, "prompt tick failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.ctx.settings.tick) => {}
                _ = wake.notified() => {}
                _ = self.ctx.stop.cancelled() => {}
                // Stopping when asked, or when nobody can ask any more.
                _ = shutdown.changed() => self.stop(),
            }
            if *shutdown.borrow() || self.ctx.stopping() {
                break;
            }
        }
        match app.store.release_claims(&self.ctx.instance).await {
            Ok(n) => tracing::info!(released = n, "prompt scheduler stopped"),
            Err(error) => tracing::error!(%error, "could not release prompt claims"),
        }
    }
}
