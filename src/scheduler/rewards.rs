//! Streak reward roles, checked once per hour of the clock: a streak breaks with time alone,
//! when no change of the member's would check it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::app::App;
use crate::lookups::Lookups;

/// The hourly check, and the hour it last ran.
pub(super) struct StreakRoles {
    /// Discord, to give and take roles.
    pub lookups: Arc<dyn Lookups>,
    /// The hour (since the epoch) of the last check.
    pub last_hour: AtomicI64,
}

impl StreakRoles {
    pub fn new(lookups: Arc<dyn Lookups>) -> StreakRoles {
        StreakRoles {
            lookups,
            last_hour: AtomicI64::new(i64::MIN),
        }
    }

    /// Starts the check if this hour's has not run, on a task of its own so prompts and
    /// reminders never wait for it. With several processes each checks the servers it serves.
    pub fn check_hourly(&self, app: &App, now: i64) {
        let hour = now.div_euclid(3600);
        if self.last_hour.swap(hour, Ordering::AcqRel) == hour {
            return;
        }
        let (roles, lookups) = (app.roles(), self.lookups.clone());
        app.background.spawn(async move {
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
}
