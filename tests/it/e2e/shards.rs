//! Fatal gateway closes through the local Discord: 4011 (a shard holds too many servers) and
//! 4010 (an invalid shard) make serenity 0.12 retry forever; trilha's watchdog must exit with
//! the reason instead, and `/healthz` must answer 503 until it does.

use std::time::{Duration, Instant};

use local_discord::{LocalDiscord, Options};

use super::bot::Bot;
use crate::support::Sandbox;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_gateway_close_exits_with_its_reason_and_healthz_answers_503_until_then() {
    for (code, reason) in [
        (
            4011_u16,
            "Discord closed the gateway with 4011 (sharding required)",
        ),
        (4010, "Discord closed the gateway with 4010 (invalid shard)"),
    ] {
        let discord = LocalDiscord::start(Options::default()).await.unwrap();
        discord.with_world(|w| match code {
            // A shard may hold no server at all: the bot's one shard holds one, so Discord
            // says sharding is required, as it does past 2 500.
            4011 => w.max_guilds_per_shard = 0,
            _ => w.identify_close = Some(4010),
        });
        let sandbox = Sandbox::new();
        let mut bot = Bot::start(&discord, &sandbox, &[]);
        let addr = bot.health_addr(WAIT).await;
        let started = Instant::now();
        // Probe until the process is gone: every probe is answered until the exit, never with
        // 200, and at least one answer is the 503 that says why.
        let mut unhealthy = None;
        let mut exit = None;
        while exit.is_none() && started.elapsed() < WAIT {
            // The listener's own bound is 2 s (its database write); past 4 s it is silent.
            let probe =
                tokio::time::timeout(Duration::from_secs(4), trilha::ops::health::probe(addr))
                    .await;
            match probe {
                Ok(Ok((status, body))) => {
                    assert_ne!(status, 200, "{code}: healthy after a fatal close: {body}");
                    if status == 503 && body.contains(&format!("closed by Discord ({code})")) {
                        unhealthy.get_or_insert(body);
                    }
                }
                // Refused or reset: only because the process is exiting.
                Ok(Err(error)) => {
                    exit = tokio::task::block_in_place(|| bot.wait_exit(Duration::from_secs(1)));
                    assert!(
                        exit.is_some(),
                        "{code}: /healthz refused ({error}) while the process runs\n{}",
                        bot.log_text()
                    );
                }
                // The listener has a thread of its own, so a runtime wedged by the spinning
                // shard runner never silences it.
                Err(_) => panic!("{code}: /healthz was silent for 4 s\n{}", bot.log_text()),
            }
            if exit.is_none() {
                exit = tokio::task::block_in_place(|| bot.wait_exit(Duration::from_millis(50)));
            }
        }
        let exited_after = started.elapsed();
        let logs = bot.log_text();
        assert_eq!(exit, Some(3), "{code}: exits 3 within {WAIT:?}\n{logs}");
        assert!(exited_after < WAIT, "{code}: exited in bounded time");
        assert!(
            unhealthy.is_some(),
            "{code}: /healthz answered 503 before the exit\n{logs}"
        );
        assert!(
            logs.contains(reason),
            "{code}: the operator is told why\n{logs}"
        );
        assert_eq!(
            discord.with_world(|w| w.gateway.identifies),
            0,
            "{code}: no session was ever established"
        );
    }
}
