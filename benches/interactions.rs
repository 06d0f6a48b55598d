//! trilha's read path against a bare serenity bot, side by side in one run.
//!
//! Two local Discords on this machine: one serves the release `trilha` binary (a fresh SQLite
//! database, the shipped roadmap), the other a bare serenity bot (this very bench binary, run
//! again as a child with `TRILHA_BENCH_BARE_BOT=1`) that registers the same commands and answers
//! every command with a short private message and every autocomplete with one choice: the cost of
//! serenity, the gateway, the local Discord and the sockets, with no work of its own. Rounds
//! alternate between the two, so whatever else the machine does lands on both.
//!
//! Measured (time from the interaction's dispatch to its first response, as the local Discord
//! sees it): `/roadmap kafka`, the autocomplete of `/roadmap kaf`, and `/done` (a real change
//! each time: another member, another item). Goals: reads and autocomplete ≤ 1.5× the bare
//! bot's median; `/done` ≤ the bare bot's median + 2 ms.
//!
//! Run: `cargo bench --bench interactions`.

#[path = "bot.rs"]
mod bot;
#[path = "timing.rs"]
mod timing;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

use local_discord::{Context, LocalDiscord, Options};

const BARE_BOT: &str = "TRILHA_BENCH_BARE_BOT";
const ROUNDS: usize = 2_000;
const WARM_UP: usize = 100;
const MEMBERS: usize = 200;

/// The items `/done` rotates through (a new member each lap, so each is a real change).
const ITEMS: &[&str] = &[
    "kafka", "redis", "docker", "git", "rust", "java", "nginx", "postgres", "rabbitmq", "mongodb",
];

fn main() {
    #[allow(clippy::disallowed_methods)] // How this binary knows it is the bare bot.
    let bare = std::env::var_os(BARE_BOT).is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if bare {
        runtime.block_on(bare_bot::run());
    } else {
        runtime.block_on(side_by_side());
    }
}

/// A child process connected to `discord`, ready when its stderr says `ready`.
fn spawn_ready(mut command: std::process::Command, ready: &'static str) -> Child {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the bot starts");
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains(ready) {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the bot connects");
    child
}

/// One bot under measure: its local Discord, and what it answered.
struct Subject {
    name: &'static str,
    discord: LocalDiscord,
    child: Child,
    roadmap: Vec<Duration>,
    autocomplete: Vec<Duration>,
    done: Vec<Duration>,
}

impl Subject {
    async fn start(name: &'static str, dir: &std::path::Path) -> Subject {
        let discord = LocalDiscord::start(Options::default()).await.unwrap();
        discord.add_members(MEMBERS);
        let child = if name == "trilha" {
            // The bot as operators run it: its default log filter (INFO, one line per
            // interaction; dependencies at WARN), to a pipe.
            let filter = trilha::config::DEFAULT_LOG_FILTER;
            spawn_ready(bot::trilha(&discord, dir, filter), "gateway ready")
        } else {
            #[allow(clippy::disallowed_methods)] // PATH is passed through to the child.
            let path = std::env::var_os("PATH").unwrap_or_default();
            let mut command = std::process::Command::new(std::env::current_exe().unwrap());
            command
                .env_clear()
                .env("PATH", path)
                .env(BARE_BOT, "1")
                .env("DISCORD_TOKEN", discord.token())
                .env("DISCORD_PROXY_URL", discord.base_url());
            spawn_ready(command, "bare bot ready")
        };
        discord
            .wait_connected(Duration::from_secs(10))
            .await
            .unwrap();
        Subject {
            name,
            discord,
            child,
            roadmap: Vec::new(),
            autocomplete: Vec::new(),
            done: Vec::new(),
        }
    }

    /// One round: a read, an autocomplete and a write; measured unless warming up.
    async fn round(&mut self, n: usize, measured: bool) {
        let ctx = Context::default();
        let wait = Duration::from_secs(10);
        let member = format!("m{:02}", n % MEMBERS + 1);
        let item = ITEMS[(n / MEMBERS) % ITEMS.len()];
        let d = &self.discord;
        let id = d.slash(&member, "/roadmap kafka", &ctx).unwrap();
        let roadmap = d.response(id, wait).await.unwrap().latency;
        let id = d.autocomplete(&member, "/roadmap kaf", &ctx).unwrap();
        let autocomplete = d.response(id, wait).await.unwrap().latency;
        let id = d.slash(&member, &format!("/done {item}"), &ctx).unwrap();
        let done = d.response(id, wait).await.unwrap().latency;
        if measured {
            self.roadmap.push(roadmap);
            self.autocomplete.push(autocomplete);
            self.done.push(done);
        }
    }
}

async fn side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let mut bare = Subject::start("bare serenity bot", dir.path()).await;
    let mut trilha = Subject::start("trilha", dir.path()).await;
    for n in 0..WARM_UP + ROUNDS {
        let measured = n >= WARM_UP;
        // Alternate which goes first, so neither always follows the other's work.
        if n % 2 == 0 {
            bare.round(n, measured).await;
            trilha.round(n, measured).await;
        } else {
            trilha.round(n, measured).await;
            bare.round(n, measured).await;
        }
    }
    println!(
        "{ROUNDS} rounds each, after {WARM_UP} to warm up; first response, as Discord sees it"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut all_met = true;
    for (what, ours, theirs, goal) in [
        (
            "/roadmap kafka",
            &trilha.roadmap,
            &bare.roadmap,
            Goal::Times(1.5),
        ),
        (
            "autocomplete /roadmap kaf",
            &trilha.autocomplete,
            &bare.autocomplete,
            Goal::Times(1.5),
        ),
        (
            "/done (a real change)",
            &trilha.done,
            &bare.done,
            Goal::Plus(Duration::from_millis(2)),
        ),
    ] {
        let (t, b) = (timing::stats(ours.clone()), timing::stats(theirs.clone()));
        let met = goal.met(t.median, b.median);
        all_met &= met;
        println!(
            "{what:<28} trilha median {:>6.3} ms p99 {:>6.3} ms | bare median {:>6.3} ms p99 {:>6.3} ms | {:.2}× (+{:.3} ms)  goal {}: {}",
            ms(t.median),
            ms(t.p99),
            ms(b.median),
            ms(b.p99),
            ms(t.median) / ms(b.median),
            ms(t.median) - ms(b.median),
            goal,
            if met { "met" } else { "MISSED" }
        );
    }
    for subject in [&mut bare, &mut trilha] {
        let violations = subject.discord.violations();
        assert!(violations.is_empty(), "{}: {violations:?}", subject.name);
        let _ = subject.child.kill();
        let _ = subject.child.wait();
    }
    if !all_met {
        println!("some goals were missed");
    }
}

#[derive(Clone, Copy)]
enum Goal {
    /// At most this many times the bare bot's median.
    Times(f64),
    /// At most the bare bot's median plus this.
    Plus(Duration),
}

impl Goal {
    fn met(self, ours: Duration, bare: Duration) -> bool {
        match self {
            Goal::Times(k) => ours.as_secs_f64() <= bare.as_secs_f64() * k,
            Goal::Plus(extra) => ours <= bare + extra,
        }
    }
}

impl std::fmt::Display for Goal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Goal::Times(k) => write!(f, "≤ {k}× bare"),
            Goal::Plus(extra) => write!(f, "≤ bare + {} ms", extra.as_millis()),
        }
    }
}

/// The bare serenity bot: the same commands registered, a fixed answer to each.
mod bare_bot {
    use serenity::all::{
        ClientBuilder, Context, CreateAutocompleteResponse, CreateInteractionResponse,
        CreateInteractionResponseMessage, EventHandler, GatewayIntents, HttpBuilder, Interaction,
        Ready,
    };
    use serenity::async_trait;

    struct Echo;

    #[async_trait]
    impl EventHandler for Echo {
        async fn ready(&self, _ctx: Context, _ready: Ready) {
            eprintln!("bare bot ready");
        }

        async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
            match interaction {
                Interaction::Command(cmd) => {
                    let reply = CreateInteractionResponseMessage::new()
                        .content(format!("/{}", cmd.data.name))
                        .ephemeral(true);
                    let _ = cmd
                        .create_response(&ctx.http, CreateInteractionResponse::Message(reply))
                        .await;
                }
                Interaction::Autocomplete(cmd) => {
                    let choices = CreateAutocompleteResponse::new()
                        .add_string_choice("Apache Kafka", "kafka");
                    let _ = cmd
                        .create_response(
                            &ctx.http,
                            CreateInteractionResponse::Autocomplete(choices),
                        )
                        .await;
                }
                _ => {}
            }
        }
    }

    pub async fn run() {
        #[allow(clippy::disallowed_methods)] // The child's settings, from the bench.
        let var = |name: &str| std::env::var(name).expect("set by the bench");
        let (token, proxy) = (var("DISCORD_TOKEN"), var("DISCORD_PROXY_URL"));
        let http = HttpBuilder::new(&token)
            .proxy(proxy)
            .ratelimiter_disabled(true)
            .build();
        let app = http.get_current_application_info().await.expect("the app");
        http.set_application_id(app.id);
        serenity::all::Command::set_global_commands(&http, trilha::discord::register::all())
            .await
            .expect("commands registered");
        // `new_with_http` keeps our Http (and its proxy), as trilha does.
        let mut client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
            .event_handler(Echo)
            .await
            .expect("client");
        client.start().await.expect("the gateway runs");
    }
}
