//! The REST budget of unprompted sends: requests spaced evenly, in real time.

use std::time::Duration;

use tokio::sync::Mutex;

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
