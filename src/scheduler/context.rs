//! What every job of the scheduler works with, and what a tick reports.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::once::Sender;
use crate::app::App;
use crate::store::StoreError;

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
    pub fn add(&mut self, other: &TickReport) {
        self.claimed += other.claimed;
        self.posted += other.posted;
        self.skipped += other.skipped;
        self.paused += other.paused;
        self.retrying += other.retrying;
        self.digests += other.digests;
        self.reminders += other.reminders;
    }
}

/// The scheduler's shared parts, as its jobs see them.
pub struct Context {
    pub app: App,
    pub sender: Sender,
    /// This process's name in claims.
    pub instance: String,
    pub settings: Settings,
    /// Cancelled at shutdown: no new claims, no new posts; what is sending finishes.
    pub stop: CancellationToken,
}

impl Context {
    pub fn stopping(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// `work`'s outcome, or `None` as soon as a stop is asked for: a shutdown has 1.5 s for the
    /// posts in flight, and a picture is not worth a post cut short.
    pub async fn unless_stopped<T>(&self, work: impl Future<Output = T>) -> Option<T> {
        unless_stopped(&self.stop, work).await
    }
}

/// One kind of due work: claimed in batches (other instances skip what this one claimed until
/// the claim lapses), then handled one claim at a time.
#[async_trait::async_trait]
pub trait Job: Sync {
    type Claimed: Send + Sync;
    /// For logs.
    const NAME: &'static str;
    /// Claims a batch of what is due at `now`; empty when nothing is left.
    async fn claim(&self, ctx: &Context, now: i64) -> Result<Vec<Self::Claimed>, StoreError>;
    /// Handles one claim.
    async fn handle(
        &self,
        ctx: &Context,
        claimed: &Self::Claimed,
        now: i64,
    ) -> Result<TickReport, StoreError>;
    /// The server a claim is about, for logs.
    fn guild(claimed: &Self::Claimed) -> u64;
}

/// `work`'s outcome, or `None` once `stop` is cancelled (a stop that came first wins, even when
/// the work is ready too).
async fn unless_stopped<T>(stop: &CancellationToken, work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        _ = stop.cancelled() => None,
        done = work => Some(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_ends_with_its_work_or_at_a_stop() {
        let stop = CancellationToken::new();
        assert_eq!(unless_stopped(&stop, async { 7 }).await, Some(7));
        let stopper = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            stopper.cancel();
        });
        let waited = tokio::time::timeout(
            Duration::from_secs(5),
            unless_stopped(&stop, std::future::pending::<i32>()),
        )
        .await;
        assert_eq!(waited, Ok(None), "ended by the stop, not by the work");
        assert_eq!(
            unless_stopped(&stop, async { 7 }).await,
            None,
            "once stopped, no work starts"
        );
    }
}
