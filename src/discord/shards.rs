//! Which gateway shards this process connects, decided before connecting: Discord's
//! recommendation (`GET /gateway/bot`) or the operator's range, and whether Discord still allows
//! that many session starts. Connecting with a wrong plan is what wedges a shard runner (Discord
//! closes it with 4010 or 4011 and serenity 0.12 retries forever), so the plan is settled here.

use std::time::Duration;

use serenity::http::Http;
use serenity::model::gateway::BotGateway;

use super::StartError;
use crate::config::ShardPlan;
use crate::store::Store;

/// Discord has fewer session starts left today than this process needs.
#[derive(Debug, thiserror::Error)]
#[error(
    "Discord allows only {remaining} more gateway session starts and this process needs {needed}; they reset in {reset_minutes} minutes. Something has been restarting the bot over and over: stop it, find why in the logs, and start again after the reset."
)]
pub struct SessionStartsExhausted {
    pub remaining: u64,
    pub needed: u64,
    pub reset_minutes: u64,
}

/// The shards to start: `first` to `last` (both included) of `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardStart {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardStart {
    pub fn count(&self) -> u32 {
        self.last - self.first + 1
    }
}

/// serenity 0.12 starts a process's shards one after another, 5 s apart (its shard queuer
/// ignores `max_concurrency`), which is Discord's IDENTIFY rate for one rate-limit bucket.
const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

/// Added to a turn: serenity spaces starts from the end of a connection, so a process's last
/// IDENTIFY may come a little after its slot.
const TURN_SLACK: Duration = Duration::from_secs(1);

/// How often a wait for the IDENTIFY turn looks for a shutdown.
const STOP_POLL: Duration = Duration::from_millis(200);

/// Waits for this process's turn to IDENTIFY, so that processes started together never
/// identify faster than Discord allows for the whole bot (it would answer INVALID_SESSION and
/// serenity would retry, slower). The turn is reserved in the database (PostgreSQL: shared by
/// every process; SQLite: one process, no wait). Restarts of single shards later, by serenity
/// itself, are not queued here: rare, and Discord's INVALID_SESSION makes serenity retry them.
/// Gives up waiting when `stopping` turns true (a SIGTERM meanwhile).
pub async fn wait_for_identify_turn(store: &Store, start: ShardStart, stopping: impl Fn() -> bool) {
    let span = IDENTIFY_INTERVAL * start.count() + TURN_SLACK;
    match store.reserve_identify_turn(span).await {
        Ok(wait) if wait.is_zero() => {}
        Ok(wait) => {
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                "other processes of the bot are opening gateway sessions; waiting for this one's turn"
            );
            let until = tokio::time::Instant::now() + wait;
            while !stopping() && tokio::time::Instant::now() < until {
                tokio::time::sleep_until(until.min(tokio::time::Instant::now() + STOP_POLL)).await;
            }
        }
        // Not fatal: starting at once only risks Discord's INVALID_SESSION, which serenity
        // retries.
        Err(error) => {
            tracing::warn!(%error, "could not reserve a turn to open gateway sessions; starting now")
        }
    }
}

/// Session starts left below which the operator is warned at ERROR: a restart loop spends one
/// per shard per restart, and at zero Discord refuses every IDENTIFY until the reset.
const FEW_SESSION_STARTS: u64 = 10;

/// Settles the shards from the plan and what Discord says (pure, for tests).
pub fn settle(plan: ShardPlan, gateway: &BotGateway) -> Result<ShardStart, SessionStartsExhausted> {
    let recommended = gateway.shards.max(1);
    let start = match plan {
        ShardPlan::Recommended => ShardStart {
            first: 0,
            last: recommended - 1,
            total: recommended,
        },
        ShardPlan::Range { first, last, total } => {
            if total < recommended {
                tracing::warn!(
                    shard_total = total,
                    recommended,
                    "SHARD_TOTAL is below the shard count Discord recommends: a shard may hold more than 2 500 servers and Discord then closes it (4011). Raise SHARD_TOTAL in every process"
                );
            }
            ShardStart { first, last, total }
        }
    };
    let needed = u64::from(start.last - start.first + 1);
    let limit = &gateway.session_start_limit;
    let reset_minutes = limit.reset_after.div_ceil(60_000);
    if limit.remaining < needed {
        return Err(SessionStartsExhausted {
            remaining: limit.remaining,
            needed,
            reset_minutes,
        });
    }
    if limit.remaining < needed + FEW_SESSION_STARTS {
        tracing::error!(
            remaining = limit.remaining,
            total = limit.total,
            reset_minutes,
            "Discord allows only a few more gateway session starts before its daily reset: something is restarting the bot over and over; find why in the logs before it runs out"
        );
    }
    Ok(start)
}

/// Asks Discord (`GET /gateway/bot`) and settles the shards.
pub async fn plan(http: &Http, plan: ShardPlan) -> Result<ShardStart, StartError> {
    let gateway = http.get_bot_gateway().await.map_err(StartError::Gateway)?;
    let start = settle(plan, &gateway)?;
    tracing::info!(
        first = start.first,
        last = start.last,
        total = start.total,
        recommended = gateway.shards,
        max_concurrency = gateway.session_start_limit.max_concurrency,
        "gateway shards planned"
    );
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gateway(shards: u32, remaining: u64) -> BotGateway {
        serde_json::from_value(serde_json::json!({
            "url": "wss://gateway.discord.gg",
            "shards": shards,
            "session_start_limit": {
                "total": 1000, "remaining": remaining, "reset_after": 3_600_000, "max_concurrency": 1
            }
        }))
        .unwrap()
    }

    #[test]
    fn the_recommended_count_or_the_operators_range() {
        assert_eq!(
            settle(ShardPlan::Recommended, &gateway(6, 900)).unwrap(),
            ShardStart {
                first: 0,
                last: 5,
                total: 6
            }
        );
        let range = ShardPlan::Range {
            first: 2,
            last: 3,
            total: 8,
        };
        assert_eq!(
            settle(range, &gateway(6, 900)).unwrap(),
            ShardStart {
                first: 2,
                last: 3,
                total: 8
            }
        );
    }

    #[test]
    fn no_session_starts_left_is_a_clear_refusal_not_a_loop() {
        let error = settle(ShardPlan::Recommended, &gateway(4, 3)).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("only 3 more gateway session starts") && text.contains("60 minutes"),
            "{text}"
        );
        assert!(settle(ShardPlan::Recommended, &gateway(4, 4)).is_ok());
    }
}
