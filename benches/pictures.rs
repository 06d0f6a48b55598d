//! Pictures: how long each picture takes to draw (layout, rasterizing, PNG) and how large it
//! is; `/progress` end to end with its summary card through the local Discord (the real bot
//! binary over real sockets), with the member's avatar not yet fetched (cold) and fetched
//! (warm); and the avatar cache's memory at 10 000 members.
//!
//! Run: `cargo bench --bench pictures`. Goals: the summary card and the leaderboard render in
//! ≤ 15 ms median and ≤ 40 ms p99, PNG ≤ 200 KB; the full card and the heat map ≤ 25 / 60 ms and
//! ≤ 300 KB; `/progress` end to end ≤ 150 ms median with a cold avatar cache, ≤ 30 ms warm; the
//! avatar cache within its 16 MiB however many members.

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

/// Counts the bytes this process holds on its heap: the avatar cache's memory is measured as
/// live bytes, whatever the allocator keeps around or hands back to the system.
struct Counting;

static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; only sizes are counted.
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, std::sync::atomic::Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), std::sync::atomic::Ordering::Relaxed);
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap bytes, in MiB.
fn live_mib() -> f64 {
    LIVE.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1048576.0
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn in_process() {
    let roadmap =
        Arc::new(trilha::roadmap::load_dir(&root().join("roadmap")).expect("the roadmap loads"));
    let date = jiff::civil::date(2026, 12, 1);
    for locale in Locale::ALL {
        for (name, scene) in samples(&roadmap, locale, date) {
            if name.ends_with("-empty") || name.ends_with("-complete") {
                continue; // the same work as the half-done ones
            }
            let inline = name.starts_with("summary") || name == "leaderboard";
            let (goal, p99_goal, kb_goal) = if inline {
                (15, 40, 200.0)
            } else {
                (25, 60, 300.0)
            };
            let goal = Some(Duration::from_millis(goal));
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
                "    {}×{} px, p99 goal ≤ {p99_goal} ms: {}; PNG {kb:.0} KB (goal ≤ {kb_goal} KB: {}); laying out every sample: median {}",
                picture.width,
                picture.height,
                if stats.p99 <= Duration::from_millis(p99_goal) {
                    "met"
                } else {
                    "MISSED"
                },
                if kb <= kb_goal { "met" } else { "MISSED" },
                timing::fmt(layout.median)
            );
        }
    }
}

/// Whether a response carries the summary card.
fn has_summary(response: &local_discord::Response) -> bool {
    response.body["data"]["attachments"][0]["filename"] == "trilha-summary.png"
}

/// The release binary (cargo builds it for benches), against a local Discord that is also its
/// CDN: 100 members with avatars each mark an item and ask for `/progress` (their avatar not
/// fetched yet: cold), then mark another and ask again (avatar cached, a new summary: warm),
/// then once more (nothing changed: the cached picture).
async fn end_to_end() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    discord.add_members(100);
    discord.with_world(|w| {
        for (n, member) in w.guilds[0].members.iter_mut().enumerate() {
            member.user.avatar = Some(format!("{:06x}{n:026x}", 0x3a7bd5));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut bot = bot::trilha(&discord, dir.path(), "info,serenity=warn")
        .env("DISCORD_CDN_URL", discord.base_url())
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
    let (mut cold, mut warm, mut cached, mut next) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for phase in 0..2 {
        for n in 0..100usize {
            let member = format!("m{:02}", n + 1);
            ask(
                &member,
                &format!("/done {}", items[(n + phase) % items.len()]),
            )
            .await
            .unwrap();
            let first = ask(&member, "/progress").await.unwrap();
            assert!(has_summary(&first), "the summary is attached");
            if phase == 0 {
                cold.push(first.latency);
                continue;
            }
            warm.push(first.latency);
            let again = ask(&member, "/progress").await.unwrap();
            assert!(has_summary(&again));
            cached.push(again.latency);
            next.push(ask(&member, "/next").await.unwrap().latency);
        }
    }
    let avatars = discord
        .cdn_requests()
        .iter()
        .filter(|p| p.starts_with("/avatars/"))
        .count();
    println!("    avatars fetched from the CDN: {avatars} (one per member)");
    timing::report(
        "/progress, avatar not fetched yet: a new summary (end to end)",
        &timing::stats(cold),
        Some(Duration::from_millis(150)),
    );
    timing::report(
        "/progress, avatar cached: a new summary (end to end)",
        &timing::stats(warm),
        Some(Duration::from_millis(30)),
    );
    timing::report(
        "/progress, nothing changed: the cached picture (end to end)",
        &timing::stats(cached),
        None,
    );
    timing::report("/next, no picture (end to end)", &timing::stats(next), None);
    let violations = discord.violations();
    assert!(violations.is_empty(), "{violations:?}");
    let _ = bot.kill();
    let _ = bot.wait();
}

/// The avatar cache at 10 000 members, each with an avatar of their own fetched once from the
/// local CDN (128×128): what it keeps stays within its byte budget, and so does the memory.
async fn avatar_cache_at_10_000_members() {
    use trilha::picture::cdn::{CACHE_BYTES, Faces, Whose};
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    discord.add_members(10_000);
    let users: Vec<(u64, String)> = discord.with_world(|w| {
        w.guilds[0]
            .members
            .iter_mut()
            .enumerate()
            .map(|(n, m)| {
                let hash = format!("{:06x}{n:026x}", 0x3a7bd5);
                m.user.avatar = Some(hash.clone());
                (m.user.id, hash)
            })
            .collect()
    });
    // First the same 10 000 downloads without keeping them: what the local CDN itself (in this
    // process) and the transient buffers cost is then in the RSS already, and the growth after
    // is what the cache keeps.
    let client = reqwest::Client::new();
    let base = discord.base_url();
    for chunk in users.chunks(32) {
        let gets = chunk.iter().map(|(user, hash)| {
            let url = format!("{base}/avatars/{user}/{hash}.png?size=128");
            let client = client.clone();
            async move {
                client
                    .get(url)
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .len()
            }
        });
        futures_util::future::join_all(gets).await;
    }
    let faces = Faces::new(&discord.base_url());
    let before = live_mib();
    let started = std::time::Instant::now();
    let wait = Duration::from_secs(5);
    let mut fetched = 0;
    for chunk in users.chunks(32) {
        let lookups = chunk.iter().map(|(user, hash)| {
            faces.face(
                Whose::Member {
                    user: *user,
                    avatar: Some(hash),
                    name: "m",
                },
                wait,
            )
        });
        futures_util::future::join_all(lookups).await;
        fetched += chunk.len();
        // The cache fills within its first few hundred members; from then on it only replaces.
        if [256, 1024, 2560, 5120]
            .iter()
            .any(|&at| fetched - chunk.len() < at && fetched >= at)
        {
            let usage = faces.usage();
            println!(
                "    after {fetched:>5} members: {} faces kept, {:.1} MiB accounted, live heap +{:.1} MiB",
                usage.entries,
                usage.bytes as f64 / 1048576.0,
                live_mib() - before
            );
        }
    }
    let usage = faces.usage();
    let after = live_mib();
    println!(
        "avatar cache, {} members fetched in {:.1} s: {} faces kept, {:.1} MiB accounted (bound {} MiB: {}); live heap +{:.1} MiB",
        users.len(),
        started.elapsed().as_secs_f64(),
        usage.entries,
        usage.bytes as f64 / 1048576.0,
        CACHE_BYTES / 1048576,
        if usage.bytes <= CACHE_BYTES {
            "met"
        } else {
            "MISSED"
        },
        after - before,
    );
    drop(faces);
    println!(
        "    with the cache dropped: live heap +{:.1} MiB (the rest is the local CDN's request log, in this process)",
        live_mib() - before
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    in_process();
    println!();
    end_to_end().await;
    println!();
    avatar_cache_at_10_000_members().await;
}
