//! Growing past one process and one shard, through the local Discord: one process taking the
//! shard count Discord recommends for 6 000 servers, and four processes on complementary shard
//! ranges sharing one PostgreSQL database and one REST budget behind discord.js's REST proxy
//! (`tests/proxy`), with Discord's rate limits on.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use local_discord::world::World;
use local_discord::{Context, LocalDiscord, Options};
use trilha::prompts::records::PromptSchedule;

use super::bot::Bot;
use crate::engines::{Engine, TestDatabase, postgres_admin_url};
use crate::support::{Sandbox, repo};

const ANSWER: Duration = Duration::from_secs(15);

fn shard_of(guild: u64, total: u64) -> u64 {
    (guild >> 22) % total
}

/// For each shard, a few servers it owns.
fn servers_by_shard(ids: &[u64], total: u64, per_shard: usize) -> BTreeMap<u64, Vec<u64>> {
    let mut out: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for &id in ids {
        let list = out.entry(shard_of(id, total)).or_default();
        if list.len() < per_shard {
            list.push(id);
        }
    }
    out
}

fn in_guild(guild: u64) -> Context {
    Context {
        guild: Some(guild),
        ..Context::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_takes_the_recommended_shards_for_6000_servers_and_answers_in_each() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let mut ids = vec![discord.guild_id()];
    ids.extend(discord.add_servers(5_999));
    let recommended = discord.with_world(|w| u64::from(w.recommended()));
    assert_eq!(recommended, 6, "one shard per 1 000 servers");

    let sandbox = Sandbox::new();
    let bot = Bot::start(&discord, &sandbox, &[]);
    // serenity starts one shard per 5 s.
    if let Err(e) = discord
        .wait_all_shards(recommended, Duration::from_secs(90))
        .await
    {
        panic!("{e}\n{}", bot.log_text());
    }
    for (shard, servers) in servers_by_shard(&ids, recommended, 1) {
        let guild = servers[0];
        let id = discord
            .slash("ana", "/roadmap kafka", &in_guild(guild))
            .unwrap();
        let answer = discord
            .answer(id, ANSWER)
            .await
            .unwrap_or_else(|e| panic!("shard {shard}: {e}\n{}", bot.log_text()));
        assert!(
            answer.text().to_lowercase().contains("kafka"),
            "shard {shard}: {}",
            answer.text()
        );
        let delivered = discord.with_world(|w| w.interactions[&id].shard);
        assert_eq!(delivered, Some(shard), "delivered on the owning shard");
    }
    let (identifies, too_fast) =
        discord.with_world(|w| (w.gateway.identifies, w.gateway.identify_refusals.len()));
    assert_eq!(identifies, 6, "one IDENTIFY per shard");
    assert_eq!(too_fast, 0, "never faster than Discord allows");
    // /healthz lists every shard, connected (its view is refreshed every few seconds).
    let addr = bot.health_addr(ANSWER).await;
    let deadline = Instant::now() + ANSWER;
    let body = loop {
        let (status, body) = trilha::ops::health::probe(addr).await.unwrap();
        let health: serde_json::Value = serde_json::from_str(&body).unwrap();
        let connected = health["shards"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["stage"] == "connected")
            .count();
        if status == 200 && connected == 6 {
            break body;
        }
        assert!(Instant::now() < deadline, "/healthz: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let ids: Vec<u64> = serde_json::from_str::<serde_json::Value>(&body).unwrap()["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (0..6).collect::<Vec<u64>>(), "{body}");
    assert!(
        discord.violations().is_empty(),
        "{:?}",
        discord.violations()
    );
}

/// discord.js's REST proxy (`tests/proxy/proxy.mjs`) as a child process.
struct Proxy {
    child: Child,
    pub url: String,
}

impl Proxy {
    /// `None` (with a note) where its npm packages are not installed (`.ci/run` installs them).
    fn start(upstream: &str) -> Option<Proxy> {
        let dir = repo().join("tests/proxy");
        if !dir.join("node_modules/@discordjs/proxy").exists() {
            // Shown as ignored in `cargo test`'s output (`halves::rest_proxy_half`); under CI,
            // a failure.
            assert!(
                !crate::engines::under_ci(),
                "CI is set and discord.js's REST proxy is not installed: run `npm ci --prefix tests/proxy`"
            );
            return None;
        }
        #[allow(clippy::disallowed_methods)] // PATH is passed through to node.
        let mut child = Command::new("node")
            .arg(dir.join("proxy.mjs"))
            .arg(upstream)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the proxy says where it listens");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected proxy output: {line}"));
        Some(Proxy {
            url: format!("http://127.0.0.1:{port}"),
            child,
        })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the test sent: interaction id -> (server, shard).
type Sent = Vec<(u64, u64, u64)>;

/// Members use `/done` in `servers` (several at a time), and every answer arrives.
async fn traffic(
    discord: &LocalDiscord,
    servers: &[u64],
    total: u64,
    items: &[&str],
    sent: &mut Sent,
) -> Result<(), String> {
    let mut batch = Vec::new();
    for (n, &guild) in servers.iter().enumerate() {
        let item = items[n % items.len()];
        let id = discord.slash("ana", &format!("/done {item}"), &in_guild(guild))?;
        batch.push(id);
        sent.push((id, guild, shard_of(guild, total)));
        if batch.len() == 16 {
            for id in batch.drain(..) {
                discord.answer(id, ANSWER).await?;
            }
        }
    }
    for id in batch {
        discord.answer(id, ANSWER).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_eight_shards_one_postgres_and_one_rest_budget() {
    if postgres_admin_url().is_none() {
        return;
    }
    const TOTAL: u64 = 8;
    const PROMPTED: usize = 1_000;
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let mut ids = vec![discord.guild_id()];
    ids.extend(discord.add_servers(1_999));
    discord.enable_rate_limits();
    let Some(proxy) = Proxy::start(&discord.base_url()) else {
        return;
    };

    // 1 000 servers with prompts; they come due all in the same minute while one process is
    // away (below), and an hour from now until then.
    let db = TestDatabase::new(Engine::Postgres).await;
    let prompted: Vec<(u64, u64)> = discord.with_world(|w| {
        w.guilds[1..=PROMPTED]
            .iter()
            .map(|g| (g.id, g.channels[0].id))
            .collect()
    });
    let schedule_prompts = |due: i64| {
        let (db, prompted) = (&db, &prompted);
        async move {
            let store = db.store().await;
            let now = trilha::clock::Clock::System.now();
            let (hour, minute) = ((due / 3600) % 24, (due / 60) % 60);
            for &(guild, channel) in prompted {
                let schedule = PromptSchedule {
                    guild,
                    channel,
                    local_time: format!("{hour:02}:{minute:02}"),
                    days: 0b111_1111,
                    timezone: "UTC".into(),
                    role: None,
                    section: None,
                    thread: false,
                    pause: None,
                    next_due_at: Some(due),
                    requested_at: None,
                    created_by: 1,
                    digest: false,
                };
                store.save_schedule(&schedule, now).await.unwrap();
            }
        }
    };
    schedule_prompts(trilha::clock::Clock::System.now() + 3600).await;

    let mut bots: Vec<(Bot, Sandbox)> = RANGES
        .iter()
        .map(|range| {
            let sandbox = Sandbox::new();
            let env = [
                ("DATABASE_URL".to_string(), db.url.clone()),
                ("DISCORD_PROXY_URL".into(), proxy.url.clone()),
                ("SHARDS".into(), (*range).into()),
                ("SHARD_TOTAL".into(), TOTAL.to_string()),
            ];
            (Bot::start(&discord, &sandbox, &env), sandbox)
        })
        .collect();
    let started = Instant::now();
    or_logs(
        discord
            .wait_all_shards(TOTAL, Duration::from_secs(120))
            .await,
        &bots,
    );
    let all_ready = started.elapsed();

    // Members in servers of every shard.
    let items = ["kafka", "postgresql", "docker", "git", "redis"];
    let by_shard = servers_by_shard(&ids[1..], TOTAL, 30);
    let everywhere: Vec<u64> = by_shard.values().flatten().copied().collect();
    let mut sent = Sent::new();
    or_logs(
        traffic(&discord, &everywhere, TOTAL, &items, &mut sent).await,
        &bots,
    );

    // Mid-traffic, the process on shards 2-3 is stopped (SIGTERM) and started again; the others
    // keep answering in their servers and posting prompts, its servers' included. What it had
    // received when the signal came is answered before it exits.
    let victim = 1;
    let theirs: Vec<u64> = [2, 3].iter().flat_map(|s| by_shard[s].clone()).collect();
    let mut in_flight = Vec::new();
    for (n, &guild) in theirs.iter().take(16).enumerate() {
        let id = discord
            .slash(
                "ana",
                &format!("/done {}", items[n % items.len()]),
                &in_guild(guild),
            )
            .unwrap();
        in_flight.push(id);
        sent.push((id, guild, shard_of(guild, TOTAL)));
    }
    bots[victim].0.terminate();
    for id in &in_flight {
        or_logs(discord.answer(*id, ANSWER).await, &bots);
    }
    let exit = tokio::task::block_in_place(|| bots[victim].0.wait_exit(Duration::from_secs(30)));
    assert_eq!(exit, Some(0), "a clean stop\n{}", logs(&bots));
    let posts_before = discord
        .with_world(|w| prompt_posts(w, &prompted))
        .values()
        .sum::<usize>();
    assert_eq!(posts_before, 0, "no prompt was due yet");
    // Every prompt comes due now, while the process is away: the others post them all, its
    // servers' included, as members keep using the bot in theirs.
    schedule_prompts(trilha::clock::Clock::System.now()).await;
    let others: Vec<u64> = by_shard
        .iter()
        .filter(|(shard, _)| !matches!(shard, 2 | 3))
        .flat_map(|(_, s)| s.iter().copied())
        .collect();
    or_logs(
        traffic(&discord, &others, TOTAL, &items[1..], &mut sent).await,
        &bots,
    );
    // The scheduler looks every 15 s; 3 processes post 30 a second.
    let posted = discord
        .wait_until("every prompt posted", Duration::from_secs(120), |w| {
            let posts: usize = prompt_posts(w, &prompted).values().sum();
            (posts >= PROMPTED).then_some(())
        })
        .await;
    or_logs(posted, &bots);
    let away_posts = discord.with_world(|w| prompt_posts(w, &prompted));
    let victims_servers = prompted
        .iter()
        .filter(|(g, _)| matches!(shard_of(*g, TOTAL), 2 | 3))
        .count();
    let victims_posted = prompted
        .iter()
        .filter(|(g, c)| matches!(shard_of(*g, TOTAL), 2 | 3) && away_posts.contains_key(c))
        .count();
    assert!(victims_servers > 200, "{victims_servers}");
    assert_eq!(
        victims_posted, victims_servers,
        "the stopped process's servers got their prompts from the others"
    );
    bots[victim].0.restart();
    let back = discord
        .wait_until("shards 2 and 3 back", Duration::from_secs(60), |w| {
            let live = w.gateway.connected_shards();
            (live.contains(&2) && live.contains(&3)).then_some(())
        })
        .await;
    or_logs(back, &bots);
    or_logs(
        traffic(&discord, &theirs, TOTAL, &items[2..], &mut sent).await,
        &bots,
    );
    // Nothing posted twice, also after the process came back: every process, the returned one
    // included, has looked for due prompts again since.
    let ticks: Vec<usize> = bots
        .iter()
        .map(|(bot, _)| bot.log_count("prompt tick done"))
        .collect();
    for ((bot, _), seen) in bots.iter().zip(ticks) {
        or_logs(
            bot.wait_log("prompt tick done", seen + 1, Duration::from_secs(30))
                .await,
            &bots,
        );
    }
    let posts = discord.with_world(|w| prompt_posts(w, &prompted));
    let doubled: Vec<_> = posts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        doubled.is_empty() && posts.len() == PROMPTED,
        "every prompt exactly once: {} channels posted, not once: {doubled:?}",
        posts.len()
    );

    // Every interaction answered exactly once, by the process running its shard.
    let callbacks = discord.with_world(|w| {
        let mut count: HashMap<u64, usize> = HashMap::new();
        for r in &w.requests {
            if let ["", "api", "v10", "interactions", id, _, "callback"] =
                r.path.split('/').collect::<Vec<_>>()[..]
                && r.status < 300
            {
                *count.entry(id.parse().unwrap_or(0)).or_default() += 1;
            }
        }
        count
    });
    for &(id, guild, shard) in &sent {
        assert_eq!(
            callbacks.get(&id),
            Some(&1),
            "interaction {id} in {guild} answered exactly once"
        );
        let delivered = discord.with_world(|w| w.interactions[&id].shard);
        assert_eq!(delivered, Some(shard), "interaction {id} went to its shard");
        let owner = (shard / 2) as usize;
        for (n, (bot, _)) in bots.iter().enumerate() {
            let logged = bot.log_count_all(&format!("interaction_id={id} ")) > 0;
            assert_eq!(
                logged,
                n == owner,
                "interaction {id} (shard {shard}) answered by SHARDS={} only",
                RANGES[owner]
            );
        }
    }

    // One budget: Discord never had to refuse a request, IDENTIFYs never came too fast, and the
    // prompt posts never went past the global rate.
    let refused = discord.sent_429s();
    assert!(
        refused.is_empty(),
        "{} 429s sent, the first: {:?}",
        refused.len(),
        refused.first()
    );
    let refusals = discord.with_world(|w| w.gateway.identify_refusals.clone());
    assert!(
        refusals.is_empty(),
        "IDENTIFYs queued through the database; refused (shard, since the last): {refusals:?}\n{}",
        logs(&bots)
    );
    let post_times: Vec<Instant> = discord.with_world(|w| {
        w.requests
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/messages"))
            .map(|r| r.at)
            .collect()
    });
    let peak = post_times
        .iter()
        .map(|t| {
            post_times
                .iter()
                .filter(|u| **u >= *t && u.duration_since(*t) < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(peak <= 50, "at most 50 posts in any second, saw {peak}");
    assert!(
        discord.violations().is_empty(),
        "{:?}",
        discord.violations()
    );
    eprintln!(
        "4 processes, 8 shards, {} servers: all shards READY in {all_ready:.1?}; {} interactions answered once each; {PROMPTED} prompts posted once each while one process was away ({victims_posted} of them in its servers), peak {peak} posts/s; 0 429s",
        ids.len(),
        sent.len(),
    );
}

/// The processes' shard ranges, in the order they are started.
const RANGES: [&str; 4] = ["0-1", "2-3", "4-5", "6-7"];

/// Every process's log, by shard range.
fn logs(bots: &[(Bot, Sandbox)]) -> String {
    bots.iter()
        .zip(RANGES)
        .map(|((b, _), r)| format!("--- SHARDS={r}\n{}", b.log_text()))
        .collect()
}

/// The value, or a panic with the error and every process's log.
fn or_logs<T>(result: Result<T, String>, bots: &[(Bot, Sandbox)]) -> T {
    result.unwrap_or_else(|e| panic!("{e}\n{}", logs(bots)))
}

/// Posts per prompted channel (server, channel).
fn prompt_posts(w: &World, prompted: &[(u64, u64)]) -> HashMap<u64, usize> {
    let channels: std::collections::HashSet<u64> = prompted.iter().map(|(_, c)| *c).collect();
    let mut count = HashMap::new();
    for m in &w.messages {
        if channels.contains(&m.channel_id) && m.for_user.is_none() {
            *count.entry(m.channel_id).or_default() += 1;
        }
    }
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_stopped_while_waiting_its_identify_turn_exits_without_connecting() {
    if postgres_admin_url().is_none() {
        return;
    }
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let db = TestDatabase::new(Engine::Postgres).await;
    let env = |range: &str| {
        [
            ("DATABASE_URL".to_string(), db.url.clone()),
            ("SHARDS".into(), range.into()),
            ("SHARD_TOTAL".into(), "8".into()),
        ]
    };
    // The first process holds the turn while its four shards connect, 5 s apart.
    let (first_dir, second_dir) = (Sandbox::new(), Sandbox::new());
    let first = Bot::start(&discord, &first_dir, &env("0-3"));
    first
        .wait_log("gateway ready", 1, Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", first.log_text()));
    let mut second = Bot::start(&discord, &second_dir, &env("4-7"));
    second
        .wait_log("waiting for this one's turn", 1, Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", second.log_text()));
    let stopped = Instant::now();
    second.terminate();
    let exit = tokio::task::block_in_place(|| second.wait_exit(Duration::from_secs(15)));
    assert_eq!(exit, Some(0), "a clean stop\n{}", second.log_text());
    assert!(
        stopped.elapsed() < Duration::from_secs(10),
        "it did not wait for its turn first: {:?}",
        stopped.elapsed()
    );
    let second_shards = discord.with_world(|w| {
        w.gateway
            .identify_log
            .iter()
            .filter(|(shard, _)| *shard >= 4)
            .count()
    });
    assert_eq!(second_shards, 0, "none of its shards identified");
    drop(first);
}
