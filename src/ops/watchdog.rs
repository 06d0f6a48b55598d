//! The backstop outside the async runtime: a plain thread that exits the process when the
//! gateway can never recover by itself, so a supervisor restarts trilha (or alerts) instead of
//! it hanging with a spinning core.
//!
//! Two things wedge a serenity 0.12 process: Discord closing a shard with 4010 (invalid shard)
//! or 4011 (sharding required), after which the shard runner retries without ever awaiting;
//! and anything else that stops the runtime from making progress. The first is noticed from
//! serenity's own report (`telemetry::fatal_gateway_close`), the second from a heartbeat the
//! runtime must keep beating.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The exit code after a fatal gateway close or a stalled runtime.
pub const EXIT_CODE: i32 = 3;
/// How often the watchdog looks.
const LOOK_EVERY: Duration = Duration::from_millis(200);
/// After a fatal close, `/healthz` answers 503 this long before the process exits, so probes
/// and the operator see why (the listener has its own thread, so it answers meanwhile).
const FATAL_GRACE: Duration = Duration::from_secs(5);
/// A runtime that has not beaten for this long is stuck.
const STALL_LIMIT: Duration = Duration::from_secs(30);
/// How often the runtime beats.
const BEAT_EVERY: Duration = Duration::from_millis(500);
/// A look this late means the whole process was paused, not only the runtime.
const PAUSED: Duration = Duration::from_secs(5);

/// What an operator should do about a fatal close code.
pub fn explain(code: u16) -> &'static str {
    match code {
        4011 => {
            "Discord closed the gateway with 4011 (sharding required): a shard would hold more than 2 500 servers. Leave SHARDS and SHARD_TOTAL unset so trilha runs the shard count Discord recommends, or raise SHARD_TOTAL in every process"
        }
        4010 => {
            "Discord closed the gateway with 4010 (invalid shard): the shard settings do not match the bot's. Use the same SHARD_TOTAL in every process, shard ids below it, or leave SHARDS and SHARD_TOTAL unset"
        }
        _ => "Discord closed the gateway for good",
    }
}

/// Starts the runtime's heartbeat (on the runtime) and the watchdog thread (off it).
pub fn start() {
    let started = Instant::now();
    let beat = Arc::new(AtomicU64::new(0));
    let beating = beat.clone();
    tokio::spawn(async move {
        loop {
            beating.store(started.elapsed().as_millis() as u64, Ordering::Release);
            tokio::time::sleep(BEAT_EVERY).await;
        }
    });
    std::thread::Builder::new()
        .name("trilha-watchdog".into())
        .spawn(move || watch(started, &beat))
        .expect("a thread for the watchdog");
}

/// Judges the runtime's heartbeat, look after look (pure, for tests).
#[derive(Debug, Default)]
struct StallJudge {
    last_look: Duration,
    /// Until then a stale beat proves nothing (the whole process was just paused).
    quiet_until: Duration,
}

impl StallJudge {
    /// At `look` (time since start), with the last beat at `beat`: how long the runtime has
    /// been stuck, when that proves it is.
    fn stalled(&mut self, look: Duration, beat: Duration) -> Option<Duration> {
        if look.saturating_sub(self.last_look) > PAUSED {
            // This thread overslept: the whole process was stopped (`docker pause`, SIGSTOP),
            // not just the runtime. Give the runtime time to beat again before judging it.
            self.quiet_until = look + STALL_LIMIT;
        }
        self.last_look = look;
        let stuck = look.saturating_sub(beat);
        (look >= self.quiet_until && stuck > STALL_LIMIT).then_some(stuck)
    }
}

fn watch(started: Instant, beat: &AtomicU64) {
    let mut fatal_since: Option<Instant> = None;
    let mut judge = StallJudge::default();
    loop {
        std::thread::sleep(LOOK_EVERY);
        let look = started.elapsed();
        let stalled = judge.stalled(look, Duration::from_millis(beat.load(Ordering::Acquire)));
        if let Some(code) = crate::telemetry::fatal_gateway_close() {
            let since = *fatal_since.get_or_insert_with(|| {
                tracing::error!(
                    close_code = code,
                    "{}; exiting (code {EXIT_CODE}) so the supervisor restarts trilha",
                    explain(code)
                );
                Instant::now()
            });
            if since.elapsed() >= FATAL_GRACE {
                std::process::exit(EXIT_CODE);
            }
            continue;
        }
        if let Some(stuck) = stalled {
            tracing::error!(
                stalled_ms = stuck.as_millis() as u64,
                "the async runtime stopped making progress (a task is spinning or blocking); exiting (code {EXIT_CODE}) so the supervisor restarts trilha"
            );
            std::process::exit(EXIT_CODE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    #[test]
    fn a_runtime_that_stops_beating_is_stuck_but_a_paused_process_is_not() {
        let mut judge = StallJudge::default();
        // Beating every half second: fine.
        for n in 1..100 {
            let look = at(f64::from(n) * 0.2);
            assert_eq!(judge.stalled(look, look.saturating_sub(at(0.5))), None);
        }
        // The beat stops at 20 s: stuck once 30 s have passed without one.
        let mut look = at(20.0);
        let mut verdict = None;
        while verdict.is_none() && look < at(60.0) {
            look += LOOK_EVERY;
            verdict = judge.stalled(look, at(20.0));
        }
        assert!(verdict.is_some_and(|stuck| stuck > STALL_LIMIT));
        assert!(look > at(50.0) && look < at(50.5), "{look:?}");

        // The whole process stopped for a minute: the first looks after it prove nothing, and
        // the runtime, beating again, is fine.
        let mut judge = StallJudge::default();
        assert_eq!(judge.stalled(at(10.0), at(9.8)), None);
        assert_eq!(judge.stalled(at(70.0), at(9.8)), None, "just resumed");
        assert_eq!(judge.stalled(at(70.2), at(9.8)), None, "not beaten yet");
        assert_eq!(judge.stalled(at(70.4), at(70.3)), None);
        // Beating stops again after the pause: that is a stall, 30 s on.
        let mut look = at(70.4);
        let mut verdict = None;
        while verdict.is_none() && look < at(120.0) {
            look += LOOK_EVERY;
            verdict = judge.stalled(look, at(70.3));
        }
        assert!(look > at(100.3) && look < at(100.8), "{look:?}");
    }
}
