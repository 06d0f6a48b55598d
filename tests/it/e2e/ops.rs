//! Operations: graceful shutdown, health and metrics, backups, start-up errors, JSON logs.

use std::collections::BTreeMap;
use std::time::Duration;

use local_discord::{Context, LocalDiscord, Options, client};
use trilha::progress::State;
use trilha::store::Store;

use super::bot::Bot;
use super::scenario::{BotSettings, DiscordSettings, Player};
use crate::support::{Sandbox, repo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_keeps_every_acknowledged_write_and_exits_zero() {
    let mut player = Player::start(
        &DiscordSettings {
            extra_members: 20,
            ..Default::default()
        },
        &BotSettings::default(),
    )
    .await
    .unwrap();
    let items = ["kafka", "redis", "git"];
    let users: Vec<String> = (1..=20).map(|n| format!("m{n:02}")).collect();
    let mut sent = Vec::new();
    for (n, user) in users.iter().enumerate() {
        for item in items {
            let id = player
                .discord
                .slash(user, &format!("/done {item}"), &Context::default())
                .unwrap();
            sent.push((user.clone(), item, id));
        }
        if n == 9 {
            // Mid-burst: answers are coming back, more interactions keep coming.
            player
                .discord
                .wait_until("some answers", Duration::from_secs(10), |w| {
                    (w.interactions
                        .values()
                        .filter(|i| i.response.is_some())
                        .count()
                        >= 5)
                        .then_some(())
                })
                .await
                .unwrap();
            player.bot.terminate();
        }
    }
    let exit = tokio::task::block_in_place(|| player.bot.wait_exit(Duration::from_secs(10)));
    assert_eq!(
        exit,
        Some(0),
        "exits 0 within 10 s\n{}",
        player.bot.log_text()
    );

    // Which writes did the bot acknowledge? Those answered "done".
    let mut acknowledged = Vec::new();
    let mut told_restarting = 0;
    for (user, item, id) in &sent {
        let answered = player
            .discord
            .with_world(|w| w.interactions[id].response.clone());
        if let Some((_, body)) = answered {
            let text = body.to_string();
            if text.contains("concluído") {
                acknowledged.push((player.discord.user_id(user), *item));
            } else if text.contains("reiniciando") {
                told_restarting += 1;
            }
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "some writes were acknowledged before the signal"
    );
    let store = Store::open(&player.sandbox().database()).await.unwrap();
    let guild = player.discord.guild_id();
    let mut by_user: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for (user, item) in &acknowledged {
        by_user.entry(*user).or_default().push(item);
    }
    for (user, items) in &by_user {
        let marks = store.member_marks(guild, *user).await.unwrap();
        for item in items {
            assert!(
                marks
                    .iter()
                    .any(|m| m.item_id == *item && m.state == State::Done),
                "acknowledged {item} of {user} is in the database"
            );
        }
    }
    let logs = player.bot.log_text();
    assert!(
        logs.contains("shutting down") && logs.contains("signal=\"SIGTERM\""),
        "{logs}"
    );
    assert!(
        logs.contains("prompt scheduler stopped") && logs.contains("stopped cleanly"),
        "{logs}"
    );
    assert!(!logs.contains("failed to send return value"), "{logs}");
    assert!(
        !logs.contains("error awaiting close frame"),
        "the gateway closing handshake completes\n{logs}"
    );
    eprintln!(
        "{} acknowledged, {told_restarting} told to retry, {} unanswered",
        acknowledged.len(),
        sent.len() - acknowledged.len() - told_restarting
    );
    player.assert_no_violations();
}

/// `docker stop` during a Discord outage: serenity has given up on the shard and keeps retrying
/// to start it, so no shard runner exists. The bot must still stop at once, not wait for SIGKILL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_discord_is_unreachable_still_exits_zero() {
    let settings = BotSettings {
        heartbeat_ms: Some(300),
        ..Default::default()
    };
    let mut player = Player::start(&DiscordSettings::default(), &settings)
        .await
        .unwrap();
    player.discord.gateway_outage();
    // The state that used to hang: the runner is gone and the queuer keeps failing to start it.
    player
        .bot
        .wait_log("Err starting shard", 1, Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    let signalled = std::time::Instant::now();
    player.bot.terminate();
    let exit = tokio::task::block_in_place(|| player.bot.wait_exit(Duration::from_secs(10)));
    assert_eq!(
        exit,
        Some(0),
        "exits 0 within 10 s of SIGTERM during an outage\n{}",
        player.bot.log_text()
    );
    eprintln!("exited {:?} after SIGTERM", signalled.elapsed());
    let logs = player.bot.log_text();
    assert!(logs.contains("stopped cleanly"), "{logs}");
    assert!(!logs.contains("failed to send return value"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_report_what_they_document() {
    let env = BTreeMap::from([("PROMPT_TICK_SECONDS".to_string(), "0.1".to_string())]);
    // A short heartbeat (Discord: ~41 s) so the outage below is noticed in a second, not a minute.
    let settings = BotSettings {
        env,
        heartbeat_ms: Some(300),
        ..Default::default()
    };
    let player = Player::start(&DiscordSettings::default(), &settings)
        .await
        .unwrap();
    let base = player.health_base().await;
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let get = |path: &'static str| {
        let base = base.clone();
        async move {
            client::request(&base, "GET", path, None, None)
                .await
                .unwrap()
        }
    };
    let (status, body) = get("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(
        (&body["status"], &body["gateway"], &body["database"]),
        (&"ok".into(), &"connected".into(), &"ok".into()),
        "{body}"
    );
    // Each shard of the process and its state (one shard here), as serenity reports it every
    // 2 s.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut body = body;
    while body["shards"].as_array().is_some_and(Vec::is_empty)
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        body = get("/healthz").await.1;
    }
    let shards = body["shards"].as_array().expect("a list of shards");
    assert_eq!(shards.len(), 1, "{body}");
    assert_eq!(
        (&shards[0]["id"], &shards[0]["stage"]),
        (&0.into(), &"connected".into())
    );
    assert_eq!(get("/nowhere").await.0, 404);

    player.command("bruno", "/roadmap kafka").await;
    player.command("bruno", "/undo kafka").await;
    player
        .command("ana", "/prompts setup channel:#estudos time:9h")
        .await;
    player.command("ana", "/prompts now").await;
    player
        .discord
        .wait_until("a prompt", Duration::from_secs(5), |w| {
            (!w.channel_messages(w.guilds[0].channel_named("estudos").unwrap().id)
                .is_empty())
            .then_some(())
        })
        .await
        .unwrap();
    // Counted once its post is recorded, a moment after Discord has the message.
    player
        .bot
        .wait_log("study prompt posted", 1, Duration::from_secs(5))
        .await
        .unwrap();
    player.discord.reconnect();
    player
        .discord
        .wait_until("a resume", Duration::from_secs(5), |w| {
            (w.gateway.resumes == 1).then_some(())
        })
        .await
        .unwrap();
    player
        .bot
        .wait_log("gateway session resumed", 1, Duration::from_secs(5))
        .await
        .unwrap();

    assert_eq!(
        client::request(&base, "GET", "/metrics", None, None)
            .await
            .unwrap()
            .0,
        200
    );
    let (head, text) = raw_response(port, "/metrics").await;
    // What the body is: OpenMetrics (Prometheus negotiates and parses it as such).
    assert!(
        head.contains("Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    for expected in [
        "trilha_interactions_total{kind=\"command\",command=\"roadmap\",outcome=\"ok\"} 1\n",
        "trilha_interactions_total{kind=\"command\",command=\"undo\",outcome=\"user_error\"} 1\n",
        "trilha_interactions_total{kind=\"command\",command=\"prompts\",outcome=\"ok\"} 2\n",
        "trilha_interaction_duration_seconds_count{kind=\"command\"} 4\n",
        "trilha_interaction_duration_seconds_bucket{le=\"+Inf\",kind=\"command\"} 4\n",
        "trilha_prompts_posted_total 1\n",
        "trilha_gateway_connected 1\n",
        "trilha_gateway_shard_connected{shard=\"0\"} 1\n",
        "trilha_gateway_reconnects_total 1\n",
        "# TYPE trilha_interaction_duration_seconds histogram\n",
        "# EOF\n",
    ] {
        assert!(
            text.contains(expected),
            "/metrics lacks {expected:?}:\n{text}"
        );
    }

    // The gateway goes away: unhealthy, said why; it comes back: healthy again.
    player.discord.gateway_outage();
    let mut unhealthy = None;
    for _ in 0..300 {
        let (status, body) = get("/healthz").await;
        if status == 503 {
            unhealthy = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = unhealthy.expect("/healthz turns 503 during a gateway outage");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["gateway"], "disconnected");
    assert_eq!(body["database"], "ok");
    let probe = trilha_health(format!("127.0.0.1:{port}")).await;
    assert_eq!(
        probe.status.code(),
        Some(1),
        "`trilha health` fails while unhealthy"
    );
    player.discord.gateway_up();
    let mut healthy = false;
    for _ in 0..200 {
        if get("/healthz").await.0 == 200 {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        healthy,
        "healthy again after the outage\n{}",
        player.bot.log_text()
    );
    let probe = trilha_health(format!("0.0.0.0:{port}")).await;
    assert_eq!(probe.status.code(), Some(0), "{probe:?}");
    assert!(String::from_utf8_lossy(&probe.stdout).contains("\"gateway\":\"connected\""));
    player.assert_no_violations();
}

/// Runs `trilha health` (the Docker HEALTHCHECK) against `health_addr`.
async fn trilha_health(health_addr: String) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_trilha"))
            .arg("health")
            .env_clear()
            .env("HEALTH_ADDR", health_addr)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

/// The raw text of a GET (the test client parses JSON only).
/// A whole HTTP response, as (status line and headers, body).
async fn raw_response(port: u16, path: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out.split_once("\r\n\r\n")
        .map(|(head, body)| (head.to_string(), body.to_string()))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_backup_opens_and_holds_every_row() {
    let sandbox = Sandbox::new();
    for (user, command) in [
        ("42", "/done kafka"),
        ("42", "/learning redis"),
        ("43", "/done git"),
        ("43", "/skip ruby"),
    ] {
        assert!(
            sandbox
                .ask(&[command, "--guild", "7", "--user", user])
                .status
                .success()
        );
    }
    assert!(
        sandbox
            .ask(&[
                "/prompts setup channel:<#5> time:9h",
                "--guild",
                "7",
                "--user",
                "42",
                "--admin"
            ])
            .status
            .success()
    );
    let source = Store::open(&sandbox.database()).await.unwrap();
    let before = source.table_counts().await.unwrap();
    source.close().await;

    let target = sandbox.dir.path().join("backups/2026-11-24.db");
    let out = sandbox
        .trilha()
        .arg("backup")
        .arg(&target)
        .output()
        .unwrap();
    let text = crate::support::stdout(&out);
    assert!(out.status.success(), "{out:?}");
    assert!(text.contains("integrity check ok"), "{text}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup is as private as the database");
    }
    let leftovers: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec!["2026-11-24.db"], "nothing but the backup");
    let copy = Store::open(&target).await.unwrap();
    assert_eq!(
        copy.table_counts().await.unwrap(),
        before,
        "the copy holds every row of every table"
    );
    let marks = copy.member_marks(7, 42).await.unwrap();
    assert_eq!(marks.len(), 2);
    assert!(copy.schedule(7).await.unwrap().is_some());
    let progress_rows = before.iter().find(|(t, _)| *t == "progress").unwrap().1;
    assert_eq!(progress_rows, 4);
    assert!(
        text.contains(&format!("progress: {progress_rows} rows")),
        "{text}"
    );

    let again = sandbox
        .trilha()
        .arg("backup")
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(
        crate::support::stderr(&again).contains("already exists"),
        "a backup never overwrites"
    );

    // A DATABASE_URL that points nowhere (say, a relative path run from the wrong folder) must
    // not produce a "successful" backup of a fresh, empty database.
    let empty = Sandbox::new();
    let target = empty.dir.path().join("backup.db");
    let nowhere = empty.trilha().arg("backup").arg(&target).output().unwrap();
    assert_eq!(nowhere.status.code(), Some(1), "{nowhere:?}");
    let said = crate::support::stderr(&nowhere);
    assert!(
        said.contains(&format!(
            "there is no database at {}",
            empty.database().display()
        )),
        "{said}"
    );
    assert!(!target.exists() && !empty.database().exists());
}

/// Runs the bot against a local Discord with `env` and expects it to stop with `message`.
async fn start_fails(
    discord: &LocalDiscord,
    sandbox: &Sandbox,
    env: &[(&str, &str)],
    message: &str,
) {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut bot = Bot::start(discord, sandbox, &env);
    let code = tokio::task::block_in_place(|| bot.wait_exit(Duration::from_secs(20)));
    let logs = bot.log_text();
    assert_eq!(code, Some(1), "exits 1\n{logs}");
    assert!(
        logs.contains(message),
        "the operator is told `{message}`:\n{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_errors_tell_the_operator_what_to_do() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let sandbox = Sandbox::new();
    start_fails(
        &discord,
        &sandbox,
        &[("DISCORD_TOKEN", "T3RoZXI.dG9rZW4.bm90LXRoZS1yaWdodC1vbmU")],
        "error: Discord rejected the bot token (401 Unauthorized). Reset the token on the Bot page",
    )
    .await;
    start_fails(
        &discord,
        &sandbox,
        &[("DISCORD_TOKEN", "")],
        "error: DISCORD_TOKEN: is not set. Copy .env.example to .env",
    )
    .await;
    start_fails(
        &discord,
        &sandbox,
        &[("DISCORD_TOKEN", "Bot abc.def.ghi")],
        "error: configuration: DISCORD_TOKEN: starts with `Bot `",
    )
    .await;
    let blocker = sandbox.dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let url = format!("sqlite://{}/trilha.db", blocker.display());
    start_fails(
        &discord,
        &sandbox,
        &[("DATABASE_URL", url.as_str())],
        &format!(
            "error: cannot create the database folder {}",
            blocker.display()
        ),
    )
    .await;
    let broken = repo().join("tests/fixtures/broken/06-missing-translation");
    start_fails(
        &discord,
        &sandbox,
        &[("ROADMAP_DIR", broken.to_str().unwrap())],
        "field `description.en`: missing English (en) translation",
    )
    .await;
    start_fails(
        &discord,
        &sandbox,
        &[("DISCORD_MEMBERS_INTENT", "true")],
        "error: Discord refused the privileged Server Members intent (close code 4014)",
    )
    .await;
    start_fails(
        &discord,
        &sandbox,
        &[("HEALTH_ADDR", "nonsense")],
        "error: configuration: HEALTH_ADDR: `nonsense` is not an address and port",
    )
    .await;
    start_fails(
        &discord,
        &sandbox,
        &[("SHARDS", "4-8"), ("SHARD_TOTAL", "8")],
        "error: configuration: SHARDS: `4-8` goes past SHARD_TOTAL=8 (shard ids are 0 to 7)",
    )
    .await;
    start_fails(
        &discord,
        &sandbox,
        &[("SHARDS", "0-1")],
        "error: configuration: SHARD_TOTAL: is not set, but SHARDS is (`0-1`)",
    )
    .await;
    // Discord has no session starts left for today: a clear stop, before any IDENTIFY.
    discord.with_world(|w| w.session_starts_remaining = 0);
    let identifies = discord.with_world(|w| w.gateway.identifies);
    start_fails(
        &discord,
        &sandbox,
        &[],
        "error: Discord allows only 0 more gateway session starts and this process needs 1; they reset in 240 minutes",
    )
    .await;
    assert_eq!(
        discord.with_world(|w| w.gateway.identifies),
        identifies,
        "nothing was sent to the gateway"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_channel_the_bot_may_not_post_in_is_reported_at_start_up() {
    let mut player = Player::launch(BotSettings::allowing_errors()).await;
    player
        .command("ana", "/prompts setup channel:#estudos time:9h")
        .await;
    player.discord.deny_bot(
        "estudos",
        local_discord::world::permissions::SEND_MESSAGES
            | local_discord::world::permissions::EMBED_LINKS,
    );
    player.bot.restart();
    player
        .bot
        .wait_log(
            "the bot may not post study prompts in this channel",
            1,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let logs = player.bot.log_text();
    assert!(
        logs.contains("missing=\"Send Messages, Embed Links\""),
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_with_fields() {
    // At the most verbose level, dependencies included: the token must not leak even there.
    let env = BTreeMap::from([
        ("LOG_FORMAT".to_string(), "json".to_string()),
        ("RUST_LOG".to_string(), "trace".to_string()),
    ]);
    let player = Player::start(
        &DiscordSettings::default(),
        &BotSettings {
            env,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    player.command("bruno", "/roadmap git").await;
    // Every way an interaction token travels: a reply, a deferral completed by an edit of the
    // original response (the token is in the URL), a follow-up, and an interaction answered from
    // its raw payload.
    let lock =
        super::hardening::hold_write_lock(player.sandbox().database(), Duration::from_millis(2500))
            .await;
    let deferred = player.command("bruno", "/done kafka").await;
    assert_eq!(deferred.body["deferred"], true, "{:#}", deferred.body);
    lock.await.unwrap();
    let odd = player
        .discord
        .slash_deformed("carla", "/roadmap kafka", &Context::default(), |p| {
            p["type"] = serde_json::json!(99)
        })
        .unwrap();
    player
        .discord
        .answer(odd, Duration::from_secs(10))
        .await
        .unwrap();
    player
        .bot
        .wait_log("interaction answered", 2, Duration::from_secs(5))
        .await
        .unwrap();
    let logs = player.bot.logs.lock().unwrap().clone();
    assert!(!logs.is_empty());
    let mut answered = None;
    for (_, line) in &logs {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            value["timestamp"].is_string()
                && value["level"].is_string()
                && value["target"].is_string(),
            "{line}"
        );
        // Whatever happened inside an interaction is logged under its span.
        if value["message"] == "database busy; the member was asked to try again" {
            assert_eq!(value["span"]["command"], "done", "{line}");
        }
        if value["message"] == "interaction answered" && answered.is_none() {
            answered = Some(value);
        }
    }
    // One line per interaction, on the span the gateway opened: who, what, how it ended, when.
    // The work inside (here the store's queries, logged at trace) inherits the span.
    let inside = logs
        .iter()
        .filter_map(|(_, l)| serde_json::from_str::<serde_json::Value>(l).ok());
    let nested = inside
        .filter(|v| v["message"] != "interaction answered")
        .filter_map(|v| v["spans"].as_array().cloned())
        .any(|spans| {
            spans[0]["name"] == "interaction" && spans[0]["command"] == "done" && spans.len() > 1
        });
    assert!(nested, "events of the work carry the interaction's span");
    let answered = answered.expect("an `interaction answered` line");
    let span = &answered["span"];
    assert_eq!(span["name"], "interaction", "{answered}");
    assert_eq!(span["command"], "roadmap");
    assert_eq!(span["kind"], "command");
    assert_eq!(span["outcome"], "ok");
    assert_eq!(span["user_id"], player.discord.user_id("bruno"));
    assert_eq!(span["shard"], 0);
    assert!(
        span["interaction_id"].as_u64().is_some_and(|id| id > 0),
        "{answered}"
    );
    assert!(span["elapsed_ms"].as_u64().is_some(), "{answered}");
    assert!(
        logs.iter().any(|(_, l)| l.contains("\"level\":\"TRACE\"")),
        "trace lines were written"
    );
    assert!(
        !logs.iter().any(|(_, l)| l.contains(player.discord.token())),
        "the token never appears in logs, even at trace"
    );
    let tokens = player.discord.interaction_tokens();
    assert_eq!(tokens.len(), 3);
    for token in &tokens {
        // Any distinctive part of one would do: its secret tail.
        let tail = &token[token.len() - 12..];
        assert!(
            !logs.iter().any(|(_, l)| l.contains(tail)),
            "an interaction token appears in the logs at trace"
        );
    }
    player.assert_no_violations();
}

/// `trilha backup` on a disk that fills up: it fails, and leaves nothing behind that looks like a
/// backup (no partial file under the backup's name, no journal), so a retry once there is room
/// simply works. Runs `trilha backup` in a mount namespace where the backup folder is a small,
/// nearly full tmpfs.
#[tokio::test]
async fn a_backup_that_fails_on_a_full_disk_leaves_nothing_and_a_retry_works() {
    let sandbox = Sandbox::new();
    Store::open(&sandbox.database())
        .await
        .unwrap()
        .close()
        .await;
    {
        // A history long enough to make the database a few megabytes.
        use sqlx::Connection;
        let url = format!("sqlite://{}", sandbox.database().display());
        let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
             INSERT INTO progress_events (guild_id, user_id, item_id, from_state, to_state, cause, at)
             SELECT 7, i, 'kafka', NULL, 'done', 'mark', 1800000000 + i FROM n",
        )
        .execute(&mut raw)
        .await
        .unwrap();
        raw.close().await.unwrap();
    }
    let size = std::fs::metadata(sandbox.database()).unwrap().len();
    assert!(
        size > 1_000_000,
        "a database larger than the free space ({size} bytes)"
    );
    let script = r#"
        set -u
        mkdir -p backups
        mount -t tmpfs -o size=4m trilha-backups backups || exit 90
        dd if=/dev/zero of=backups/filler bs=1k count=3800 2>/dev/null
        "$0" backup backups/nightly.db; echo "first=$?"
        ls -A backups | tr '\n' ' '; echo
        rm backups/filler
        "$0" backup backups/nightly.db; echo "second=$?"
        ls -A backups | tr '\n' ' '; echo
        stat -c 'mode=%a' backups/nightly.db
    "#;
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .arg(env!("CARGO_BIN_EXE_trilha"))
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", sandbox.database().display()),
        )
        .env("ROADMAP_DIR", repo().join("roadmap"))
        .current_dir(sandbox.dir.path())
        .output()
        .unwrap();
    let stdout = crate::support::stdout(&out);
    let stderr = crate::support::stderr(&out);
    assert!(!stdout.is_empty(), "the namespace script ran: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let first = lines.iter().position(|l| l.starts_with("first=")).unwrap();
    assert_eq!(lines[first], "first=1", "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: cannot write the backup"),
        "{stderr}"
    );
    assert_eq!(
        lines[first + 1].trim(),
        "filler",
        "no partial backup or journal is left: {stdout}"
    );
    let second = lines.iter().position(|l| l.starts_with("second=")).unwrap();
    assert_eq!(lines[second], "second=0", "{stdout}\n{stderr}");
    assert_eq!(lines[second + 1].trim(), "nightly.db", "{stdout}");
    assert_eq!(lines[second + 2], "mode=600", "{stdout}");
}

/// A backup never changes the live database: it reads it without migrating it, and refuses a
/// schema this build does not know instead of upgrading it.
#[tokio::test]
async fn a_backup_reads_the_live_database_and_never_migrates_it() {
    let sandbox = Sandbox::new();
    let path = sandbox.database();
    Store::open(&path).await.unwrap().close().await;
    // A database an older release left: its last migration is not applied.
    let latest = {
        use sqlx::Connection;
        let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let latest: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&mut raw)
            .await
            .unwrap();
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = ?")
            .bind(latest)
            .execute(&mut raw)
            .await
            .unwrap();
        raw.close().await.unwrap();
        latest
    };
    let target = sandbox.dir.path().join("backup.db");
    let out = sandbox
        .trilha()
        .arg("backup")
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = crate::support::stderr(&out);
    assert!(said.contains("has an older schema"), "{said}");
    assert!(!target.exists());
    use sqlx::Connection;
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE version = ?")
            .bind(latest)
            .fetch_one(&mut raw)
            .await
            .unwrap();
    assert_eq!(applied, 0, "the backup did not migrate the live database");
}

/// An internal fault: the member gets the apology in their language, the cause goes only to the
/// log (at ERROR, with the command and server), and the metric counts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_fault_gives_the_apology_and_logs_the_cause_for_the_operator() {
    let player = Player::launch(BotSettings::allowing_errors()).await;
    // Break the database under the running bot: a table /next reads disappears.
    {
        use sqlx::Connection;
        let url = format!("sqlite://{}", player.sandbox().database().display());
        let mut raw = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("DROP TABLE item_counts")
            .execute(&mut raw)
            .await
            .unwrap();
        raw.close().await.unwrap();
    }
    let pt = player.command("bruno", "/next").await;
    assert!(
        pt.text().contains("Algo deu errado do meu lado"),
        "{}",
        pt.text()
    );
    assert!(
        !pt.text().contains("item_counts"),
        "the cause stays out of the reply"
    );
    let en = player.command("carla", "/next").await;
    assert!(
        en.text().contains("Something went wrong on my side"),
        "{}",
        en.text()
    );
    player
        .bot
        .wait_log("command failed", 2, Duration::from_secs(5))
        .await
        .unwrap();
    let logs = player.bot.log_text();
    let line = logs.lines().find(|l| l.contains("command failed")).unwrap();
    assert!(
        line.contains("ERROR")
            && line.contains("no such table: item_counts")
            && line.contains("command=\"next\"")
            && line.contains(&format!("guild_id={}", player.discord.guild_id())),
        "{line}"
    );
    let metrics = player.metrics().await;
    assert!(
        metrics.contains(
            "trilha_interactions_total{kind=\"command\",command=\"next\",outcome=\"internal_error\"} 2"
        ),
        "{metrics}"
    );
}

/// A command this release does not declare (left registered by another version, say): the member
/// gets the apology, not silence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_this_release_does_not_know_gets_the_apology() {
    let player = Player::start(&DiscordSettings::default(), &BotSettings::default())
        .await
        .unwrap();
    let id = player
        .discord
        .slash_deformed("carla", "/roadmap kafka", &Context::default(), |p| {
            p["data"]["name"] = serde_json::json!("retired-command")
        })
        .unwrap();
    let answer = player
        .discord
        .answer(id, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(answer.ephemeral());
    assert!(
        answer.text().contains("Something went wrong on my side"),
        "{}",
        answer.text()
    );
    player
        .bot
        .wait_log(
            "interaction for a command this release does not know",
            1,
            Duration::from_secs(5),
        )
        .await
        .unwrap();
}
