//! Graceful shutdown: stop taking interactions, let those in flight finish, then stop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Waits for SIGTERM (docker stop, systemd) or SIGINT (Ctrl-C) and says which.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return "SIGINT";
            }
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// The exit status for a process ended by `signal` (as a shell reports it: 128 + its number).
pub fn exit_code(signal: &str) -> i32 {
    match signal {
        "SIGINT" => 130,
        "SIGTERM" => 143,
        _ => 1,
    }
}

/// Interactions being handled, and whether new ones are still taken.
#[derive(Default)]
pub struct InFlight {
    count: AtomicUsize,
    closing: AtomicBool,
    idle: Notify,
}

/// Held while an interaction is handled.
pub struct Ticket(Arc<InFlight>);

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    /// A ticket for a new interaction, or `None` once shutting down.
    pub fn enter(self: &Arc<Self>) -> Option<Ticket> {
        self.count.fetch_add(1, Ordering::AcqRel);
        if self.closing.load(Ordering::Acquire) {
            drop(Ticket(self.clone()));
            return None;
        }
        Some(Ticket(self.clone()))
    }

    /// Stops taking new interactions.
    pub fn close(&self) {
        self.closing.store(true, Ordering::Release);
    }

    /// Whether `close` was called.
    pub fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    pub fn in_flight(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Waits until nothing is in flight; `false` if `timeout` passed first.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.count.load(Ordering::Acquire) == 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closing_refuses_new_work_and_waits_for_the_rest() {
        let in_flight = Arc::new(InFlight::default());
        let ticket = in_flight.enter().expect("open");
        in_flight.close();
        assert!(
            in_flight.enter().is_none(),
            "no new interactions once closing"
        );
        assert!(
            !in_flight.wait_idle(Duration::from_millis(20)).await,
            "one still in flight"
        );
        let waiter = {
            let in_flight = in_flight.clone();
            tokio::spawn(async move { in_flight.wait_idle(Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(ticket);
        assert!(waiter.await.unwrap());
        assert_eq!(in_flight.in_flight(), 0);
    }
}
