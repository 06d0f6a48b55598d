//! The state every part of the bot shares, built once before it starts, and the start-up upkeep
//! of derived data.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::ops::metrics::Metrics;
use crate::roadmap::Roadmap;
use crate::sharding::ShardOwnership;
use crate::store::{Store, StoreError};

/// How long pictures are waited for, by what they answer.
pub mod picture_waits {
    use std::time::Duration;

    /// How long a reply to an interaction waits for its picture (`App::picture_wait`'s default,
    /// raised with [`super::App::waiting_for_pictures`]). Measured
    /// renders take ~15 ms; this leaves room for a busy machine and stays well inside the 1.5 s
    /// after which a reply is deferred.
    pub const REPLY_WAIT: Duration = Duration::from_millis(1000);
    /// How long a shared card waits for its picture: the picture is the whole reply, and the
    /// responder defers the interaction after 1.5 s, so waiting costs no one Discord's 3 s.
    pub const SHARED_WAIT: Duration = Duration::from_secs(10);
    /// How long a scheduled post (the weekly digest) waits for its picture: no interaction clock
    /// runs, and a digest without its heat map is a lesser digest for a whole week. Short enough
    /// that a claimed batch (200 servers, 16 at a time) posts well inside its 60 s claim even if
    /// every picture is late.
    pub const POST_WAIT: Duration = Duration::from_secs(3);
}

/// Everything a command, the scheduler and the health endpoint need. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    pub roadmap: Arc<Roadmap>,
    /// Where the roadmap came from (a folder, or the copy built into the binary).
    pub roadmap_source: crate::roadmap::Source,
    pub store: Store,
    pub clock: Clock,
    /// Wakes the prompt scheduler at once (after `/prompts now`) instead of at its next tick.
    pub prompt_wake: Arc<tokio::sync::Notify>,
    pub metrics: Arc<Metrics>,
    /// Bookkeeping that must not hold up a reply (presence records), waited for at shutdown.
    pub background: tokio_util::task::TaskTracker,
    /// One reward-role check at a time per member.
    pub reward_locks: Arc<crate::recognition::MemberLocks>,
    /// The servers whose events this process's gateway shards receive.
    pub shards: Arc<ShardOwnership>,
    /// How long a reply waits for its picture before going without it.
    pub picture_wait: Duration,
    /// Members' avatars and servers' icons for pictures (offline: initials).
    pub faces: Arc<crate::picture::cdn::Faces>,
}

impl App {
    pub fn new(roadmap: Arc<Roadmap>, store: Store, clock: Clock) -> App {
        App {
            roadmap,
            roadmap_source: crate::roadmap::Source::Shipped,
            store,
            clock,
            prompt_wake: Default::default(),
            metrics: Default::default(),
            background: Default::default(),
            reward_locks: Default::default(),
            shards: Default::default(),
            picture_wait: picture_waits::REPLY_WAIT,
            faces: Arc::new(crate::picture::cdn::Faces::offline()),
        }
    }

    /// The same state, with pictures waited for at least `wait`: where no interaction's clock
    /// runs (a post, the console) or the picture is the whole reply (a deferred one).
    pub fn waiting_for_pictures(&self, wait: Duration) -> App {
        App {
            picture_wait: self.picture_wait.max(wait),
            ..self.clone()
        }
    }

    /// The reward-role engine, working with this state's store, roadmap and locks.
    pub fn roles(&self) -> crate::recognition::roles::Roles {
        crate::recognition::roles::Roles {
            store: self.store.clone(),
            roadmap: self.roadmap.clone(),
            clock: self.clock.clone(),
            locks: self.reward_locks.clone(),
            shards: self.shards.clone(),
            background: self.background.clone(),
        }
    }

    /// Waits (at most `timeout`) for the bookkeeping still running; `false` if some was left.
    pub async fn finish_background(&self, timeout: Duration) -> bool {
        self.background.close();
        tokio::time::timeout(timeout, self.background.wait())
            .await
            .is_ok()
    }
}

/// Where the fingerprint of the roadmap the tallies were built for is kept.
const FINGERPRINT_KEY: &str = "tallies_roadmap";

/// Which rules the stored streak summaries follow: bump it when `progress::streak` changes and
/// the next start-up recomputes them all.
const STREAKS_KEY: &str = "streaks_rules";
const STREAKS_VERSION: &str = "1";

/// What tallies depend on: which items exist and which section each belongs to.
fn roadmap_fingerprint(roadmap: &Roadmap) -> String {
    let mut pairs: Vec<String> = roadmap
        .items()
        .map(|(_, i)| format!("{}={}", i.id, roadmap.section(i.section).id))
        .collect();
    pairs.sort();
    pairs.join(";")
}

/// Start-up upkeep of derived data: rebuilds leaderboard tallies when the roadmap's items or
/// their sections changed since they were built (an id that left or came back), and drops week
/// and month tallies of periods long over.
pub async fn reconcile(app: &App) -> Result<(), StoreError> {
    // Several processes on one PostgreSQL database start together: one does the upkeep, the
    // others wait for it and then find nothing left to do.
    app.store
        .exclusively(RECONCILE_LOCK, reconcile_now(app))
        .await?
}

/// The advisory lock's key for the start-up upkeep ("trilha" and 1, as one number).
const RECONCILE_LOCK: i64 = 0x7472_696c_6861_0001;

async fn reconcile_now(app: &App) -> Result<(), StoreError> {
    let fingerprint = roadmap_fingerprint(&app.roadmap);
    let now = app.clock.now();
    if app.store.meta(FINGERPRINT_KEY).await?.as_deref() != Some(fingerprint.as_str()) {
        let started = std::time::Instant::now();
        let guilds = app.store.guilds_with_progress().await?;
        for &guild in &guilds {
            let tz = app.store.guild_settings(guild).await?.timezone();
            app.store
                .rebuild_guild(guild, |marks| {
                    crate::progress::tally::all_rows(&app.roadmap, &tz, now, marks)
                })
                .await?;
        }
        app.store.set_meta(FINGERPRINT_KEY, &fingerprint).await?;
        tracing::info!(
            guilds = guilds.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "leaderboards rebuilt for the current roadmap"
        );
    }
    if app.store.meta(STREAKS_KEY).await?.as_deref() != Some(STREAKS_VERSION) {
        // The summaries are new (or their rules changed): recompute them from the event log.
        let started = std::time::Instant::now();
        let guilds = app.store.guilds_with_progress().await?;
        for &guild in &guilds {
            let tz = app.store.guild_settings(guild).await?.timezone();
            app.store
                .rebuild_streaks(guild, |at| crate::progress::streak::day_of(at, &tz))
                .await?;
        }
        app.store.set_meta(STREAKS_KEY, STREAKS_VERSION).await?;
        tracing::info!(
            guilds = guilds.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "study streaks recomputed from the event log"
        );
    }
    let pruned = app
        .store
        .prune_tallies(crate::progress::tally::retention_cutoff(now))
        .await?;
    if pruned > 0 {
        tracing::info!(rows = pruned, "old weekly and monthly tallies pruned");
    }
    Ok(())
}
