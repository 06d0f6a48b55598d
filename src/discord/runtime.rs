//! The bot's background tasks, started once per process (never from Ready, which fires again
//! after every reconnect), and the shutdown that stops them within a bounded time.

use std::sync::Arc;
use std::time::Duration;

use serenity::all::ConnectionStage;
use serenity::gateway::ShardManager;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::poster::DiscordPoster;
use crate::app::App;
use crate::config::Config;
use crate::ops::shutdown::{self, InFlight};
use crate::scheduler::Scheduler;

/// The whole shutdown (draining interactions, closing the gateway, stopping the background
/// tasks, closing the database) fits in this: well inside Docker's 10 s grace period, even with
/// the database's write lock held by someone else.
pub const SHUTDOWN_WITHIN: Duration = Duration::from_secs(7);
/// Past this after the signal, the process exits whatever is still running.
const HARD_EXIT_AFTER: Duration = Duration::from_millis(8_000);
/// How long in-flight interactions may take to finish at shutdown.
const DRAIN: Duration = Duration::from_secs(3);
/// How long the shards may take to close their connections.
const GATEWAY_CLOSE: Duration = Duration::from_secs(2);
/// How long the background tasks may take to stop, together (the scheduler finishing a post,
/// releasing its claims: claims it cannot release expire by themselves).
const TASKS_STOP: Duration = Duration::from_millis(1500);
/// How long bookkeeping still running (presence records) may take.
const BOOKKEEPING_STOP: Duration = Duration::from_millis(500);
/// How often the gateway's state is read for health.
const GATEWAY_WATCH: Duration = Duration::from_secs(2);

/// A point in time every shutdown step's budget is cut from.
#[derive(Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    pub fn after(duration: Duration) -> Deadline {
        Deadline(Instant::now() + duration)
    }

    /// `step`, or what is left before the deadline if that is less.
    pub fn budget(self, step: Duration) -> Duration {
        step.min(self.0.saturating_duration_since(Instant::now()))
    }
}

/// Runs `future` within `budget`; `false` (and a warning naming `what`) if it did not finish.
async fn bounded(what: &str, budget: Duration, future: impl Future<Output = ()>) -> bool {
    match tokio::time::timeout(budget, future).await {
        Ok(()) => true,
        Err(_) => {
            tracing::warn!(
                step = what,
                "shutdown step did not finish in {budget:?}; abandoned"
            );
            false
        }
    }
}

/// The background tasks of a running bot.
pub struct Runtime {
    stop: watch::Sender<bool>,
    scheduler: Arc<Scheduler>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Runtime {
    /// Starts the prompt scheduler, the health listener, the gateway watch and the answering of
    /// interactions serenity dropped.
    pub fn start(
        config: &Config,
        app: &App,
        http: &Arc<serenity::http::Http>,
        shard_manager: &Arc<ShardManager>,
        health: Option<tokio::net::TcpListener>,
    ) -> Runtime {
        let (stop, stopped) = watch::channel(false);
        let poster = Arc::new(DiscordPoster { http: http.clone() });
        let instance = format!("pid{}-{}", std::process::id(), app.clock.now());
        let scheduler = Arc::new(
            Scheduler::new(
                app.clone(),
                poster,
                instance,
                crate::scheduler::Settings::from_config(config),
            )
            .with_reward_upkeep(Arc::new(super::lookups::DiscordLookups {
                http: http.clone(),
            })),
        );
        let mut tasks = vec![(
            "prompt scheduler",
            tokio::spawn(scheduler.clone().run(stopped.clone())),
        )];
        if let Some(listener) = health {
            let health = crate::ops::health::Health {
                metrics: app.metrics.clone(),
                store: app.store.clone(),
                clock: app.clock.clone(),
                runtime: tokio::runtime::Handle::current(),
            };
            match crate::ops::health::serve_on_own_thread(listener, health, stopped.clone()) {
                // Joined off the runtime, so shutdown waits for the listener like any task.
                Ok(thread) => tasks.push((
                    "health endpoint",
                    tokio::task::spawn_blocking(move || {
                        let _ = thread.join();
                    }),
                )),
                Err(error) => tracing::error!(%error, "health endpoint could not start"),
            }
        }
        tasks.push((
            "gateway watch",
            tokio::spawn(watch_gateway(
                shard_manager.clone(),
                app.clone(),
                stopped.clone(),
            )),
        ));
        tasks.push((
            "dropped interactions",
            tokio::spawn(answer_dropped(http.clone(), app.metrics.clone(), stopped)),
        ));
        Runtime {
            stop,
            scheduler,
            tasks,
        }
    }

    /// The prompt scheduler, to stop its claiming as soon as a shutdown starts.
    pub fn scheduler(&self) -> Arc<Scheduler> {
        self.scheduler.clone()
    }

    /// Stops every background task, then the bookkeeping still running and the database, all
    /// within what is left of `deadline`. Returns whether everything finished (what did not is
    /// logged, and abandoned: committed writes are safe in the WAL whatever happens next).
    pub async fn stop(self, app: &App, deadline: Deadline) -> bool {
        let _ = self.stop.send(true);
        self.scheduler.stop();
        let aborts: Vec<_> = self
            .tasks
            .iter()
            .map(|(what, task)| (*what, task.abort_handle()))
            .collect();
        let mut clean = bounded("background tasks", deadline.budget(TASKS_STOP), async {
            for (_, task) in self.tasks {
                let _ = task.await;
            }
        })
        .await;
        for (what, abort) in aborts {
            if !abort.is_finished() {
                tracing::warn!(task = what, "background task abandoned at shutdown");
                abort.abort();
            }
        }
        if !app
            .finish_background(deadline.budget(BOOKKEEPING_STOP))
            .await
        {
            tracing::warn!("presence bookkeeping still running at shutdown; abandoned");
            clean = false;
        }
        // Every acknowledged write has committed; closing checkpoints the WAL into the file.
        // A connection stuck waiting for another process's lock cannot be closed: abandoned.
        clean &= bounded(
            "closing the database",
            deadline.budget(SHUTDOWN_WITHIN),
            app.store.close(),
        )
        .await;
        clean
    }
}

/// Waits for SIGTERM/SIGINT, then stops taking interactions, lets those in flight finish, and
/// closes the gateway, all within [`SHUTDOWN_WITHIN`]. A second signal exits at once; past
/// [`HARD_EXIT_AFTER`] the process exits whatever is still running.
pub async fn on_signal(
    app: App,
    in_flight: Arc<InFlight>,
    scheduler_stop: impl FnOnce(),
    shard_manager: Arc<ShardManager>,
) -> Deadline {
    let signal = shutdown::signal().await;
    let deadline = Deadline::after(SHUTDOWN_WITHIN);
    tracing::info!(signal, in_flight = in_flight.in_flight(), "shutting down");
    in_flight.close();
    scheduler_stop();
    force_exit_on_second_signal(in_flight.clone(), app.clone());
    force_exit_after(HARD_EXIT_AFTER);
    if !in_flight.wait_idle(deadline.budget(DRAIN)).await {
        tracing::warn!(
            in_flight = in_flight.in_flight(),
            "interactions still running at the drain deadline; stopping anyway"
        );
    }
    bounded(
        "closing the gateway",
        deadline.budget(GATEWAY_CLOSE),
        shard_manager.shutdown_all(),
    )
    .await;
    // `shutdown_all` returns early, without releasing `Client::start`, when no shard runner
    // exists: the state serenity is in while it retries starting a shard during an outage.
    // Releasing it ourselves is harmless otherwise (a second value nobody reads).
    shard_manager.return_with_value(Ok(())).await;
    deadline
}

/// A second SIGTERM/SIGINT during the shutdown: the operator wants out now.
fn force_exit_on_second_signal(in_flight: Arc<InFlight>, app: App) {
    tokio::spawn(async move {
        let signal = shutdown::signal().await;
        tracing::error!(
            signal,
            in_flight = in_flight.in_flight(),
            background = app.background.len(),
            "second signal: exiting now, abandoning what is still running"
        );
        std::process::exit(shutdown::exit_code(signal));
    });
}

/// The last guard: a plain thread (it runs even if the async runtime is stuck) that exits the
/// process if the shutdown has not finished by then.
fn force_exit_after(limit: Duration) {
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        tracing::error!("shutdown did not finish within {limit:?}; exiting now");
        std::process::exit(1);
    });
}

/// Gateway health from serenity's own record of each shard: refreshed on every heartbeat
/// acknowledgement, reset when a shard restarts. Stage events alone miss a resume that starts
/// between two reports.
async fn watch_gateway(
    shard_manager: Arc<ShardManager>,
    app: App,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(GATEWAY_WATCH) => {}
            _ = stopped.changed() => break,
        }
        let runners = shard_manager.runners.lock().await;
        let mut shards: Vec<crate::ops::metrics::ShardState> = runners
            .iter()
            .map(|(id, runner)| crate::ops::metrics::ShardState {
                id: id.0,
                stage: runner.stage.to_string(),
                latency_ms: runner.latency.map(|l| l.as_millis() as u64),
            })
            .collect();
        // serenity starts shards one per 5 s: those still queued have no runner yet.
        if let Some(range) = app.shards.range() {
            for id in range.first..=range.last {
                if !runners.contains_key(&serenity::model::id::ShardId(id)) {
                    shards.push(crate::ops::metrics::ShardState {
                        id,
                        stage: "queued".into(),
                        latency_ms: None,
                    });
                }
            }
        }
        drop(runners);
        shards.sort_by_key(|s| s.id);
        let connected = ConnectionStage::Connected.to_string();
        let all_connected = !shards.is_empty() && shards.iter().all(|s| s.stage == connected);
        app.metrics.shards_seen(shards);
        if all_connected {
            app.metrics.gateway_up();
        } else {
            app.metrics.gateway_down();
        }
    }
}

/// Answers the interactions found in gateway frames serenity could not parse at all.
async fn answer_dropped(
    http: Arc<serenity::http::Http>,
    metrics: Arc<crate::ops::metrics::Metrics>,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = crate::telemetry::DROPPED_WAKE.notified() => {}
            _ = stopped.changed() => break,
        }
        for dropped in crate::telemetry::take_dropped_interactions() {
            metrics.event_unparsed("INTERACTION_CREATE");
            super::answer_unparsed(
                &http,
                &metrics,
                super::Unparsed {
                    id: dropped.id,
                    token: &dropped.token,
                    locale: dropped.locale.as_deref(),
                    autocomplete: dropped.kind == Some(4),
                    reason: "the gateway frame itself could not be parsed",
                },
            )
            .await;
        }
    }
}
