//! One process and many servers: start-up to every shard READY, and the process's memory.
//!
//! Run: `cargo bench --bench shards` (optionally `SERVERS=1000,10000` to choose the sizes).
//!
//! For each size, a local Discord holds that many servers (lean GUILD_CREATEs: the bot is the
//! only member listed, as Discord sends servers to a bot without privileged intents) and
//! recommends one shard per 1 000 servers. The release `trilha` binary starts on a fresh SQLite
//! database with no shard settings. Measured: the time from spawn to every shard READY, then to
//! every server recorded in the database (all GUILD_CREATEs handled), and the resident memory
//! (VmRSS, and VmHWM: the peak) once settled, from `/proc`. serenity starts one shard per 5 s,
//! which is most of the start-up at many shards.

#[path = "bot.rs"]
mod bot;

use std::process::Stdio;
use std::time::{Duration, Instant};

use local_discord::{LocalDiscord, Options};
use sqlx::Connection as _;

fn proc_status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0)
}

struct Run {
    servers: usize,
    shards: u32,
    ready: Duration,
    recorded: Duration,
    rss_kb: u64,
    peak_kb: u64,
}

async fn run(servers: usize) -> Run {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    discord.add_servers(servers - 1);
    let shards = discord.with_world(|w| w.recommended());
    let dir = tempfile::tempdir().unwrap();
    let db = bot::database(dir.path());
    let started = Instant::now();
    let mut child = bot::trilha(&discord, dir.path(), "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("trilha starts");
    let pid = child.id();
    discord
        .wait_all_shards(
            u64::from(shards),
            Duration::from_secs(60 + 6 * u64::from(shards)),
        )
        .await
        .expect("every shard READY");
    let ready = started.elapsed();
    // Every GUILD_CREATE handled: each server recorded.
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    loop {
        let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM guilds")
            .fetch_one(&mut conn)
            .await
            .unwrap_or(0);
        if recorded as usize >= servers {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "{recorded} of {servers} servers recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recorded = started.elapsed();
    // Let allocations settle (the last events, the first scheduler tick).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_kb = proc_status_kb(pid, "VmRSS:");
    let peak_kb = proc_status_kb(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    Run {
        servers,
        shards,
        ready,
        recorded,
        rss_kb,
        peak_kb,
    }
}

fn main() {
    #[allow(clippy::disallowed_methods)] // A bench switch, not the bot's configuration.
    let sizes: Vec<usize> = std::env::var("SERVERS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 50_000]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    println!("| Servers | Shards | All shards READY | All servers recorded | RSS | Peak RSS |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut runs = Vec::new();
    for servers in sizes {
        let r = runtime.block_on(run(servers));
        println!(
            "| {} | {} | {:.1} s | {:.1} s | {:.1} MB | {:.1} MB |",
            r.servers,
            r.shards,
            r.ready.as_secs_f64(),
            r.recorded.as_secs_f64(),
            r.rss_kb as f64 / 1024.0,
            r.peak_kb as f64 / 1024.0
        );
        runs.push(r);
    }
    if let (Some(first), Some(last)) = (runs.first(), runs.last())
        && last.servers > first.servers
    {
        let per_server = (last.rss_kb as f64 - first.rss_kb as f64) * 1024.0
            / (last.servers - first.servers) as f64;
        println!(
            "\nRSS per additional server ({} → {}): {:.0} bytes (goal ≤ 2 048); at {} servers: {:.1} MB (goal ≤ 50 MB)",
            first.servers,
            last.servers,
            per_server,
            first.servers,
            first.rss_kb as f64 / 1024.0
        );
    }
}
