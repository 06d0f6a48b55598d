//! Which gateway shards this process connects, decided before connecting: Discord's
//! recommendation (`GET /gateway/bot`) or the operator's range, and whether Discord still allows
//! that many session starts. Connecting with a wrong plan is what wedges a shard runner (Discord
//! closes it with 4010 or 4011 and serenity 0.12 retries forever), so the plan is settled here.

use std::time::Duration;

use serenity::http::Http;
use serenity::model::gateway::BotGateway;

use super::StartError;
use crate::config::ShardPlan;
use crate::sharding::ShardRange;

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

/// serenity 0.12 starts a process's shards one after another, 5 s apart (its shard queuer
/// ignores `max_concurrency`), which is Discord's IDENTIFY rate for one rate-limit bucket.
const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

/// The database lock a process holds while its shards identify.
const IDENTIFY_LOCK: i64 = 0x7472_696c_6861_0002;

/// How often the holder looks whether every shard is connected, and a waiter for a shutdown.
const POLL: Duration = Duration::from_millis(250);

/// Takes this process's turn to open its gateway sessions, so that processes starting together
/// never identify faster than Discord allows for the whole bot (Discord would answer
/// INVALID_SESSION and serenity retry, slower). The turn is a PostgreSQL advisory lock held on
/// a connection of its own, from before the first shard starts until every shard of this
/// process is connected and one more IDENTIFY interval has passed (bounded, should a shard
/// never connect); a process that dies releases it with its connection. On SQLite (one
/// process) the turn is immediate.
///
/// Returns when the turn is ours, or `false` once `stopping` turns true first (a SIGTERM
/// meanwhile: connect nothing). If the lock cannot be taken (the database is unreachable) it
/// starts anyway: at worst Discord refuses an IDENTIFY and serenity retries it.
///
/// Restarts of single shards later, by serenity itself, do not take the turn: rare, and
/// Discord's INVALID_SESSION makes serenity retry them.
pub async fn take_identify_turn(
    app: &crate::app::App,
    range: ShardRange,
    stopping: impl Fn() -> bool,
) -> bool {
    let (acquired, mut turn) = tokio::sync::oneshot::channel::<()>();
    let (store, metrics) = (app.store.clone(), app.metrics.clone());
    tokio::spawn(async move {
        let held = store.exclusively(IDENTIFY_LOCK, async move {
            let _ = acquired.send(());
            let deadline =
                tokio::time::Instant::now() + IDENTIFY_INTERVAL * 2 * (range.count() + 2);
            // The gateway watch counts the gateway up once every shard of ours is connected.
            while !metrics.gateway_connected() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(POLL).await;
            }
            tokio::time::sleep(IDENTIFY_INTERVAL).await;
        });
        if let Err(error) = held.await {
            tracing::warn!(%error, "could not take the database's turn to open gateway sessions; starting now");
        }
    });
    let started_waiting = tokio::time::Instant::now();
    let mut told = false;
    loop {
        tokio::select! {
            // Ours, or the lock could not be taken (the sender dropped): start either way.
            _ = &mut turn => return true,
            _ = tokio::time::sleep(POLL) => {
                if stopping() {
                    return false;
                }
                if !told && started_waiting.elapsed() > Duration::from_secs(1) {
                    told = true;
                    tracing::info!("another process of the bot is opening its gateway sessions; waiting for this one's turn");
                }
            }
        }
    }
}

/// Session starts left below which the operator is warned at ERROR: a restart loop spends one
/// per shard per restart, and at zero Discord refuses every IDENTIFY until the reset.
const FEW_SESSION_STARTS: u64 = 10;

/// Settles the shards from the plan and what Discord says (pure, for tests).
pub fn settle(plan: ShardPlan, gateway: &BotGateway) -> Result<ShardRange, SessionStartsExhausted> {
    let recommended = gateway.shards.max(1);
    let start = match plan {
        ShardPlan::Recommended => ShardRange {
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
            ShardRange { first, last, total }
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
pub async fn plan(http: &Http, plan: ShardPlan) -> Result<ShardRange, StartError> {
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
            ShardRange {
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
            ShardRange {
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
