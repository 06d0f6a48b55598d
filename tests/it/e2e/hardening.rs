//! What an outside probe broke (the hardening issue): a held write lock, a slow Discord, a full
//! disk, running out of file descriptors, payloads serenity cannot parse, and shutdowns that
//! outlast Docker's grace period. Each test drives the real binary through the local Discord.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use local_discord::{Context, INTERACTION_DEADLINE, LocalDiscord, Response, client};
use serde_json::json;
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::scenario::{BotSettings, DiscordSettings, Player};

/// Long enough for a deferred answer that waited out the database's lock timeouts.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(20);

async fn healthz(base: &str) -> (u16, serde_json::Value) {
    client::request(base, "GET", "/healthz", None, None)
        .await
        .unwrap()
}

/// Takes SQLite's write lock on the bot's database from another connection (as a backup tool or
/// a second process would) and holds it for `hold`. Returns once the lock is held.
pub async fn hold_write_lock(database: PathBuf, hold: Duration) -> tokio::task::JoinHandle<()> {
    let (held, taken) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let options = SqliteConnectOptions::new().filename(&database);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .unwrap();
        held.send(()).unwrap();
        tokio::time::sleep(hold).await;
        sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    });
    taken.await.unwrap();
    task
}

/// Sends every interaction at once, then collects each answer (deferred ones included).
async fn all_at_once(
    discord: &LocalDiscord,
    sent: Vec<(&'static str, Result<u64, String>)>,
) -> Vec<(&'static str, Response)> {
    let mut out = Vec::new();
    for (what, id) in sent {
        let id = id.unwrap_or_else(|e| panic!("{what}: {e}"));
        let answer = discord
            .answer(id, ANSWER_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        out.push((what, answer));
    }
    out
}

/// Every interaction got its first response (an answer or a deferral) inside Discord's 3 s;
/// returns the worst time, for the record.
fn assert_all_in_time(answers: &[(&'static str, Response)]) -> Duration {
    let worst = answers.iter().map(|(_, r)| r.latency).max().unwrap();
    for (what, r) in answers {
        assert!(
            r.latency < INTERACTION_DEADLINE,
            "{what} was first answered after {:?}",
            r.latency
        );
    }
    worst
}

fn text_of(answers: &[(&'static str, Response)], what: &str) -> String {
    answers
        .iter()
        .find(|(w, _)| *w == what)
        .map(|(_, r)| r.text())
        .unwrap_or_else(|| panic!("no answer for {what}"))
}

/// Writes queue on SQLite's one writer connection: each waits up to 5 s for it and up to 5 s more
/// for the lock, so a lock held 12 s outlasts every write sent at once (the interactions', and
/// the presence bookkeeping's after the reads): all of them give up as busy while it is held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_lock_held_for_twelve_seconds_never_pushes_an_answer_past_three_seconds() {
    let player = Player::start(
        &DiscordSettings::default(),
        &BotSettings {
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let health = player.health_base().await;
    let discord = &player.discord;
    player.command("bruno", "/done kafka").await;
    let redis = player.command("bruno", "/roadmap redis").await;
    let ctx = Context::default();

    let lock = hold_write_lock(player.sandbox().database(), Duration::from_secs(12)).await;
    let held_at = Instant::now();
    let sent = vec![
        (
            "roadmap",
            discord.slash("carla", "/roadmap databases", &ctx),
        ),
        ("progress", discord.slash("bruno", "/progress", &ctx)),
        ("next", discord.slash("carla", "/next", &ctx)),
        ("leaderboard", discord.slash("bruno", "/leaderboard", &ctx)),
        (
            "autocomplete",
            discord.autocomplete("bruno", "/done kaf", &ctx),
        ),
        ("done", discord.slash("bruno", "/done docker", &ctx)),
        ("learning", discord.slash("carla", "/learning git", &ctx)),
        (
            "button",
            discord.press("bruno", redis.message.unwrap(), "Concluí", &ctx),
        ),
    ];
    let (status, body) = healthz(&health).await;
    assert_eq!(status, 503, "unhealthy while writes cannot happen: {body}");
    assert!(
        body["database"]
            .as_str()
            .unwrap()
            .starts_with("error: cannot write"),
        "{body}"
    );
    let answers = all_at_once(discord, sent).await;
    assert!(
        held_at.elapsed() < Duration::from_secs(12),
        "the answers came while the lock was still held"
    );
    let worst = assert_all_in_time(&answers);
    eprintln!("write lock held 12 s: worst first response {worst:?}");
    // Reads answer normally; writes say the database was busy and nothing was saved.
    assert!(text_of(&answers, "roadmap").contains("Databases"));
    assert!(text_of(&answers, "progress").contains("Progresso de"));
    assert!(text_of(&answers, "leaderboard").contains("Ranking"));
    assert!(text_of(&answers, "next").contains("Next step"));
    for write in ["done", "button"] {
        let text = text_of(&answers, write);
        assert!(
            text.contains("banco de dados está ocupado"),
            "{write}: {text}"
        );
    }
    assert!(text_of(&answers, "learning").contains("database is busy"));

    lock.await.unwrap();
    let after = player.command("bruno", "/done docker").await;
    assert!(after.text().contains("concluído"), "{}", after.text());
    assert_eq!(healthz(&health).await.0, 200, "healthy once writes work");
    let raw = player.metrics().await;
    assert!(
        raw.contains("trilha_interactions_deferred_total{command=\"done\"} 1"),
        "{raw}"
    );
    assert!(
        raw.contains("outcome=\"busy\""),
        "busy writes are counted apart: {raw}"
    );
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discord_that_takes_half_a_second_per_request_never_pushes_an_answer_past_three_seconds()
{
    let mut player = Player::start(
        &DiscordSettings {
            extra_members: 14,
            ..Default::default()
        },
        &BotSettings {
            clock: Some("2026-11-18T15:00:00Z".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ctx = Context::default();
    for n in 1..=14 {
        player.command(&format!("m{n:02}"), "/done kafka").await;
    }
    // A day later nobody's presence is fresh: a page view looks its ten members up.
    player.advance("25h");
    player.discord.set_rest_delay(Duration::from_millis(500));
    let board = player.command("bruno", "/leaderboard").await;
    assert!(board.latency < INTERACTION_DEADLINE, "{:?}", board.latency);
    let discord = &player.discord;
    let message = board.message.unwrap();
    let sent = vec![
        ("leaderboard", discord.slash("carla", "/leaderboard", &ctx)),
        (
            "owner page",
            discord.press("bruno", message, "Próxima", &ctx),
        ),
        (
            "other page",
            discord.press("carla", message, "Próxima", &ctx),
        ),
        ("roadmap", discord.slash("bruno", "/roadmap kafka", &ctx)),
        ("done", discord.slash("bruno", "/done redis", &ctx)),
        ("progress", discord.slash("m01", "/progress", &ctx)),
        (
            "autocomplete",
            discord.autocomplete("bruno", "/roadmap kaf", &ctx),
        ),
    ];
    let mut answers = all_at_once(discord, sent).await;
    answers.push(("first leaderboard", board));
    let worst = assert_all_in_time(&answers);
    eprintln!("every REST call delayed 500 ms: worst first response {worst:?}");
    assert!(text_of(&answers, "leaderboard").contains("Ranking"));
    assert!(text_of(&answers, "other page").contains("Leaderboard"));
    assert!(text_of(&answers, "owner page").contains("Página 2 de 2"));
    assert!(text_of(&answers, "done").contains("concluído"));
    let lookups = discord
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/members/"))
        .count();
    assert!(
        lookups >= 10,
        "the page's members were looked up ({lookups})"
    );
    player.assert_no_violations();
}

/// The bot runs in a mount namespace of its own where its `data/` folder is a small tmpfs, so
/// the test can fill that disk and free it again (through `/proc/<pid>/root`).
fn small_disk() -> Vec<String> {
    [
        "unshare",
        "--user",
        "--map-root-user",
        "--mount",
        "sh",
        "-c",
        "mkdir -p data && mount -t tmpfs -o size=8m trilha-data data && exec \"$0\"",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_and_the_first_hundred_after_freeing_it_all_succeed() {
    let player = Player::start(
        &DiscordSettings {
            extra_members: 20,
            ..Default::default()
        },
        &BotSettings {
            wrapper: small_disk(),
            allow_errors: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let health = player.health_base().await;
    assert!(
        player
            .command("bruno", "/done kafka")
            .await
            .text()
            .contains("concluído")
    );
    let data = PathBuf::from(format!(
        "/proc/{}/root{}/data",
        player.bot.pid().unwrap(),
        player.sandbox().dir.path().display()
    ));
    let filler = data.join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        while file.write_all(&chunk[..512]).is_ok() {}
    }
    let items = ["redis", "docker", "git", "postgres", "rabbitmq"];
    for (n, item) in items.iter().enumerate() {
        let member = format!("m{:02}", n + 1);
        let answer = player.command(&member, &format!("/done {item}")).await;
        assert!(
            !answer.text().contains("concluído"),
            "a write cannot succeed on a full disk: {}",
            answer.text()
        );
    }
    assert_eq!(healthz(&health).await.0, 503, "unhealthy while writes fail");

    std::fs::remove_file(&filler).unwrap();
    let mut succeeded = 0;
    for n in 1..=20 {
        for item in items {
            let member = format!("m{n:02}");
            let answer = player.command(&member, &format!("/done {item}")).await;
            assert!(
                answer.text().contains("concluído"),
                "write {} after space was freed ({member} {item}): {}",
                succeeded + 1,
                answer.text()
            );
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 100);
    assert_eq!(healthz(&health).await.0, 200, "healthy again");
    let progress = player.command("m20", "/progress").await;
    assert!(
        progress.text().contains("✅ 5 concluídos"),
        "{}",
        progress.text()
    );
    // SQLite rolled the failed writes back by itself, so sqlx's own ROLLBACK failed and left the
    // connection's transaction depth at 1: the writer was closed and replaced (the repair ran),
    // and no later write ever met the stale depth.
    let logs = player.bot.log_text();
    assert!(
        logs.contains("left inside a failed transaction; it is closed and replaced"),
        "the repair of a connection left in a failed transaction ran:\n{logs}"
    );
    assert!(!logs.contains("non-zero transaction depth"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_the_write_lock_held_fits_dockers_grace_and_a_second_signal_exits_at_once() {
    let mut player = Player::launch(BotSettings::allowing_errors()).await;
    player.command("bruno", "/done kafka").await;
    let lock = hold_write_lock(player.sandbox().database(), Duration::from_secs(30)).await;
    // A write waiting on the lock when the signal comes.
    let received = player.bot.log_count("interaction received");
    let pending = player
        .discord
        .slash("bruno", "/done redis", &Context::default())
        .unwrap();
    player
        .bot
        .wait_log("interaction received", received + 1, Duration::from_secs(5))
        .await
        .unwrap();
    let signalled = Instant::now();
    player.bot.terminate();
    let exit = tokio::task::block_in_place(|| player.bot.wait_exit(Duration::from_secs(15)));
    let took = signalled.elapsed();
    eprintln!("shutdown with the write lock held took {took:?} (exit {exit:?})");
    assert!(exit.is_some(), "{}", player.bot.log_text());
    assert!(
        took < Duration::from_millis(8_500),
        "shutdown took {took:?}, Docker kills at 10 s\n{}",
        player.bot.log_text()
    );
    let first = player.discord.response(pending, ANSWER_TIMEOUT).await;
    assert!(first.is_ok(), "the waiting write was answered (deferred)");
    lock.abort();

    // Again, with a second SIGTERM right after the first: out at once.
    player.bot.restart();
    player
        .bot
        .wait_log("gateway ready", 1, Duration::from_secs(10))
        .await
        .unwrap();
    let lock = hold_write_lock(player.sandbox().database(), Duration::from_secs(30)).await;
    let received = player.bot.log_count("interaction received");
    player
        .discord
        .slash("bruno", "/done git", &Context::default())
        .unwrap();
    player
        .bot
        .wait_log("interaction received", received + 1, Duration::from_secs(5))
        .await
        .unwrap();
    let shutting_down = player.bot.log_count("shutting down");
    player.bot.terminate();
    // The second signal comes once the first is being handled (the drain is under way).
    player
        .bot
        .wait_log("shutting down", shutting_down + 1, Duration::from_secs(5))
        .await
        .unwrap();
    let second = Instant::now();
    player.bot.terminate();
    let exit = tokio::task::block_in_place(|| player.bot.wait_exit(Duration::from_secs(5)));
    eprintln!("second signal: exited after {:?}", second.elapsed());
    assert_eq!(exit, Some(143), "{}", player.bot.log_text());
    assert!(second.elapsed() < Duration::from_secs(1));
    assert!(
        player
            .bot
            .log_text()
            .contains("second signal: exiting now, abandoning what is still running"),
        "{}",
        player.bot.log_text()
    );
    lock.abort();
}

/// CPU time (user + system, in clock ticks) a process has used.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name is in parentheses and may hold spaces: count fields after it.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_listener_backs_off_instead_of_spinning_when_file_descriptors_run_out() {
    let player = Player::launch(BotSettings::allowing_errors()).await;
    let health = player.health_base().await;
    let pid = player.bot.pid().unwrap();
    // Leave the bot a handful of descriptors: accept() soon fails with EMFILE.
    let limit = open_files(pid) + 6;
    let status = std::process::Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            &format!("--nofile={limit}:{limit}"),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let addr = health.trim_start_matches("http://").to_string();
    let mut idle = Vec::new();
    for _ in 0..200 {
        if let Ok(stream) = tokio::net::TcpStream::connect(&addr).await {
            idle.push(stream);
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu_ticks(pid);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let used = cpu_ticks(pid) - before;
    eprintln!("with descriptors exhausted, the bot used {used} ticks of CPU in 3 s");
    // A hot accept loop burns a whole core: ~300 ticks in 3 s.
    assert!(used < 60, "the listener spins: {used} ticks in 3 s");
    drop(idle);
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok((200, _)) = client::request(&health, "GET", "/healthz", None, None).await {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "answers again once descriptors are free");
    assert!(
        player
            .bot
            .log_text()
            .contains("health endpoint cannot accept connections; backing off")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactions_serenity_cannot_parse_are_answered_with_the_apology_in_the_members_language()
{
    let player = Player::launch(BotSettings::allowing_errors()).await;
    let ctx = Context::default();
    let discord = &player.discord;
    // Three ways Discord's schema runs ahead of serenity 0.12's models.
    type Deform = Box<dyn FnOnce(&mut serde_json::Value)>;
    let deviations: Vec<(&str, &str, Deform)> = vec![
        (
            "a new interaction type",
            "carla",
            Box::new(|p| p["type"] = json!(99)),
        ),
        (
            "a field that changed type",
            "bruno",
            Box::new(|p| p["member"]["joined_at"] = json!(1_700_000_000)),
        ),
        (
            "a component serenity does not know",
            "bruno",
            Box::new(|p| {
                p["message"] = json!({"id": "1", "channel_id": "2", "components": [{"type": 99}]});
                p["data"]["options"] = json!("not a list");
            }),
        ),
    ];
    let mut ids = Vec::new();
    for (what, user, deform) in deviations {
        let id = discord
            .slash_deformed(user, "/roadmap kafka", &ctx, deform)
            .unwrap();
        ids.push((what, user, id));
    }
    for (what, user, id) in &ids {
        let answer = discord.answer(*id, ANSWER_TIMEOUT).await.unwrap();
        assert!(answer.latency < INTERACTION_DEADLINE, "{what}");
        let expected = if *user == "carla" {
            "Something went wrong on my side"
        } else {
            "Algo deu errado do meu lado"
        };
        assert!(
            answer.text().contains(expected),
            "{what}: {}",
            answer.text()
        );
        assert!(answer.ephemeral(), "{what}");
    }
    for (what, _, id) in &ids {
        // The log is read from the bot's stderr as it comes: wait for the line, do not race it.
        let needle = format!("interaction_id={id}");
        player
            .bot
            .wait_log(&needle, 1, Duration::from_secs(5))
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let logs = player.bot.log_text();
        assert!(
            logs.lines()
                .any(|l| l.contains(" ERROR ") && l.contains(&needle)),
            "{what}: an ERROR naming the interaction\n{logs}"
        );
    }
    let logs = player.bot.log_text();
    for token in discord.interaction_tokens() {
        assert!(!logs.contains(&token), "an interaction token was logged");
    }
    // An event type the library does not know is routine: DEBUG, never WARN.
    discord.dispatch("SOMETHING_DISCORD_ADDED", json!({"x": 1}));
    player
        .bot
        .wait_log("SOMETHING_DISCORD_ADDED", 1, Duration::from_secs(5))
        .await
        .unwrap();
    let logs = player.bot.log_text();
    let line = logs
        .lines()
        .find(|l| l.contains("SOMETHING_DISCORD_ADDED"))
        .unwrap();
    assert!(line.contains("DEBUG"), "{line}");
    let metrics = player.metrics().await;
    assert!(
        metrics.contains("trilha_gateway_events_unparsed_total{event=\"INTERACTION_CREATE\"} 3"),
        "{metrics}"
    );
    // The bot keeps working.
    let ok = player.command("bruno", "/roadmap git").await;
    assert_eq!(ok.title(), Some("Git"));
    // A response Discord refuses is counted (the member saw "did not respond").
    discord.fail(
        "POST",
        "/api/v10/interactions/",
        400,
        json!({"message": "Invalid Form Body", "code": 50035}),
        1,
        false,
    );
    let refused = discord.slash("bruno", "/roadmap git", &ctx).unwrap();
    assert!(
        discord
            .response(refused, Duration::from_secs(3))
            .await
            .is_err()
    );
    player
        .bot
        .wait_log(
            "could not answer the interaction",
            1,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    let metrics = player.metrics().await;
    assert!(
        metrics.contains("trilha_interaction_responses_failed_total{reason=\"refused\"} 1"),
        "{metrics}"
    );
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_a_shard_restarts_stops_the_process_even_when_the_gateway_comes_back() {
    let mut player = Player::start(
        &DiscordSettings::default(),
        &BotSettings {
            heartbeat_ms: Some(300),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    player.discord.gateway_outage();
    player
        .bot
        .wait_log("Err starting shard", 1, Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    let identifies = player.discord.with_world(|w| w.gateway.identifies);
    player.bot.terminate();
    // The gateway comes back while the process is stopping.
    player.discord.gateway_up();
    let exit = tokio::task::block_in_place(|| player.bot.wait_exit(Duration::from_secs(10)));
    assert_eq!(exit, Some(0), "{}", player.bot.log_text());
    // Whatever serenity's shard queuer did meanwhile, the process is gone: it cannot answer
    // beside a replacement. An interaction now goes unanswered.
    let id = player
        .discord
        .slash("bruno", "/roadmap git", &Context::default())
        .unwrap();
    assert!(
        player
            .discord
            .response(id, Duration::from_secs(4))
            .await
            .is_err(),
        "nobody answers for a stopped bot"
    );
    let after = player.discord.with_world(|w| w.gateway.identifies);
    eprintln!("identifies after the signal: {}", after - identifies);
}

/// A response that reaches Discord after its 3 s (Discord itself was that slow) is refused by
/// Discord (10062, unknown interaction), and trilha counts it as late in `/metrics` and says so
/// in its log: the operator sees members who got "The application did not respond".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_that_reaches_discord_after_three_seconds_is_counted_late() {
    let player = Player::launch(BotSettings::allowing_errors()).await;
    // Every REST call now takes 3.2 s: the reply is ready at once, and arrives too late.
    player.discord.set_rest_delay(Duration::from_millis(3_200));
    let id = player
        .discord
        .slash("bruno", "/roadmap kafka", &Context::default())
        .unwrap();
    player
        .bot
        .wait_log("could not answer the interaction", 1, ANSWER_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    player.discord.set_rest_delay(Duration::ZERO);
    let logs = player.bot.log_text();
    assert!(
        logs.contains("reason=\"late\"") || logs.contains("reason=late"),
        "{logs}"
    );
    let metrics = player.metrics().await;
    assert!(
        metrics.contains("trilha_interaction_responses_failed_total{reason=\"late\"} 1\n"),
        "{metrics}"
    );
    let timeouts: Vec<_> = player
        .discord
        .violations()
        .into_iter()
        .filter(|v| format!("{v:?}").contains("INTERACTION_TIMEOUT"))
        .collect();
    assert_eq!(timeouts.len(), 1, "Discord saw one late first response");
    assert!(
        player
            .discord
            .response(id, Duration::from_millis(10))
            .await
            .is_err()
    );
}
