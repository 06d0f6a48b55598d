//! Pictures: how long the member's card and the heat map take to draw (layout, rasterizing,
//! PNG), how large they are, and `/progress` end to end with its card through the local
//! Discord, the real bot binary answering over real sockets.
//!
//! Run: `cargo bench --bench pictures`. Goals: render median ≤ 25 ms and p99 ≤ 60 ms; PNG
//! ≤ 300 KB; `/progress` with its card answered within 100 ms median.

#[path = "bot.rs"]
mod bot;
#[path = "timing.rs"]
mod timing;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use local_discord::{Context, LocalDiscord, Options};
use trilha::i18n::Locale;
use trilha::picture::{render, samples::samples};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_process() {
    let roadmap =
        Arc::new(trilha::roadmap::load_dir(&root().join("roadmap")).expect("the roadmap loads"));
    let date = jiff::civil::date(2026, 12, 1);
    let goal = Some(Duration::from_millis(25));
    for locale in Locale::ALL {
        for (name, scene) in samples(&roadmap, locale, date) {
            if name == "card-empty" || name == "card-complete" {
                continue; // the same work as the half-done card
            }
            let picture = render(&scene).expect("renders");
            let stats = timing::time_each(200, |_| {
                render(&scene).expect("renders");
            });
            timing::report(
                &format!("render {name} ({})", locale.discord_tag()),
                &stats,
                goal,
            );
            let layout = timing::time_each(200, |_| {
                samples(&roadmap, locale, date);
            });
            let kb = picture.png.len() as f64 / 1024.0;
            println!(
                "    {}×{} px, PNG {kb:.0} KB (goal ≤ 300 KB: {}); laying out all four samples: median {}",
                picture.width,
                picture.height,
                if kb <= 300.0 { "met" } else { "MISSED" },
                timing::fmt(layout.median)
            );
        }
    }
}

/// The release binary (cargo builds it for benches), against a local Discord: `/progress` as a
/// member uses it, each with a fresh card (the member marked something since the last one) or a
/// cached one (nothing changed).
async fn end_to_end() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    discord.add_members(100);
    let dir = tempfile::tempdir().unwrap();
    let mut bot = bot::trilha(&discord, dir.path(), "info,serenity=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("trilha starts");
    let stderr = bot.stderr.take().unwrap();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("gateway ready") {
                let _ = ready_tx.send(());
            }
        }
    });
    ready_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the bot connects");
    discord
        .wait_connected(Duration::from_secs(10))
        .await
        .unwrap();
    let ctx = Context::default();
    let ask = |user: &str, text: &str| {
        let id = discord.slash(user, text, &ctx).expect("sent");
        discord.answer(id, Duration::from_secs(10))
    };
    let items = [
        "kafka", "redis", "docker", "git", "rust", "java", "nginx", "postgres",
    ];
    let (mut fresh, mut cached, mut next) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..200usize {
        let member = format!("m{:02}", round % 100 + 1);
        ask(&member, &format!("/done {}", items[round % items.len()]))
            .await
            .unwrap();
        let first = ask(&member, "/progress").await.unwrap();
        assert!(first.image().is_some(), "the card is attached");
        fresh.push(first.latency);
        cached.push(ask(&member, "/progress").await.unwrap().latency);
        next.push(ask(&member, "/next").await.unwrap().latency);
    }
    let goal = Some(Duration::from_millis(100));
    timing::report(
        "/progress, a new card (end to end)",
        &timing::stats(fresh),
        goal,
    );
    timing::report(
        "/progress, the cached card (end to end)",
        &timing::stats(cached),
        goal,
    );
    timing::report("/next, no picture (end to end)", &timing::stats(next), None);
    let violations = discord.violations();
    assert!(violations.is_empty(), "{violations:?}");
    let _ = bot.kill();
    let _ = bot.wait();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    in_process();
    println!();
    end_to_end().await;
}
