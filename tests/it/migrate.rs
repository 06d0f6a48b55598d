//! Moving a community between engines (`trilha migrate-data`), and PostgreSQL URLs as an
//! operator meets them.

use std::time::{Duration, Instant};

use trilha::store::Store;

use crate::engines::{Engine, TestDatabase, engines};
use crate::support::{Sandbox, stderr, stdout};

/// A community with rows in every table: progress and its history, members who left, tallies,
/// settings, a prompt schedule with its posts, and facts about the database.
async fn community(db: &TestDatabase) {
    for (user, command) in [
        ("42", "/done kafka"),
        ("42", "/learning redis"),
        ("42", "/done git"),
        ("42", "/undo git"),
        ("43", "/done git"),
        ("43", "/skip ruby"),
        ("44", "/done postgres"),
        ("42", "/streak reminder enabled:true time:20:30"),
    ] {
        let out = db.ask(&[command, "--guild", "7", "--user", user]);
        assert!(out.status.success(), "{command}: {out:?}");
    }
    for command in [
        "/prompts setup channel:<#5> time:9h thread:true",
        "/config timezone America/Manaus",
        "/config language en",
        "/prompts digest enabled:true",
        "/config verified-only enabled:true",
        "/rewards add kind:section section:message-brokers role:<@&9> keep:true",
        "/rewards add kind:items count:2 role:<@&10>",
        "/rewards announce enabled:true",
    ] {
        let out = db.ask(&[command, "--guild", "7", "--user", "1", "--admin"]);
        assert!(out.status.success(), "{command}: {out:?}");
    }
    let store = db.store().await;
    store.member_left(7, 44, 1_800_000_000).await.unwrap();
    store
        .record_guild(
            7,
            &trilha::guild::GuildSeen {
                locale: Some("pt-BR"),
                name: Some("Comunidade Ação 🇧🇷"),
                icon_hash: Some("a_1234"),
            },
            1_800_000_000,
        )
        .await
        .unwrap();
    store.close().await;
    db.execute(
        "INSERT INTO prompt_posts (guild_id, slot, kind, item_id, prompt_index, channel_id, nonce, status, attempts, message_id, error, created_at, finished_at)
         VALUES (7, 1800000000, 'scheduled', 'kafka', 1, 5, 'trilha-1', 'sent', 1, 99, NULL, 1800000000, 1800000001),
                (7, 1800086400, 'manual', 'redis', 0, 5, 'trilha-2', 'failed', 3, NULL, '403: Missing Access (code 50001)', 1800086400, NULL)",
    )
    .await;
    let quiz = db.ask(&["/quiz kafka", "--guild", "7", "--user", "42"]);
    assert!(quiz.status.success(), "{quiz:?}");
    db.execute(
        "INSERT INTO quiz_asks (id, guild_id, user_id, item_id, question, answer_order, asked_at, answered_at, chosen, result, answer_seq)
         VALUES (4611686018427387903, 7, 43, 'git', 'abc', '3102', 1800000000, 1800000009, 2, 'right', 1)",
    )
    .await;
    db.execute(
        "INSERT INTO quiz_verified (guild_id, user_id, item_id, verified_at) VALUES (7, 43, 'git', 1800000009)",
    )
    .await;
    db.execute(
        "INSERT INTO member_rewards (guild_id, user_id, reward_id, granted_at) VALUES (7, 42, 1, 1800000000)",
    )
    .await;
    db.execute(
        "INSERT INTO reminder_sends (guild_id, user_id, day, nonce, status, message_id, created_at, finished_at)
         VALUES (7, 42, 20833, 'trilha-r-1', 'sent', 101, 1800000000, 1800000001)",
    )
    .await;
    db.execute(
        "UPDATE rewards SET paused_reason = 'forbidden', paused_detail = '50013', paused_at = 1800000000 WHERE reward_id = 2",
    )
    .await;
    db.execute(
        "INSERT INTO digest_posts (guild_id, week_start, channel_id, nonce, status, attempts, message_id, error, created_at, finished_at)
         VALUES (7, 1799899200, 5, 'trilha-3', 'sent', 1, 100, NULL, 1800000000, 1800000001)",
    )
    .await;
}

/// `trilha migrate-data --from <from> --to <to>`.
fn migrate(sandbox: &Sandbox, from: &str, to: &str) -> std::process::Output {
    sandbox
        .trilha()
        .args(["migrate-data", "--from", from, "--to", to])
        .output()
        .expect("trilha runs")
}

/// Every table's rows, read through the store (so both engines' rows compare equal when their
/// content does).
async fn content(db: &TestDatabase) -> Vec<(&'static str, i64)> {
    let store = db.store().await;
    let counts = store.table_counts().await.unwrap();
    store.close().await;
    counts
}

#[tokio::test]
async fn a_community_moves_between_engines_and_back_and_nothing_changes() {
    let engines = engines();
    let source = TestDatabase::new(Engine::Sqlite).await;
    community(&source).await;
    let before = content(&source).await;
    assert!(
        before.iter().all(|(_, rows)| *rows > 0),
        "every table has rows: {before:?}"
    );
    // SQLite -> the other engine (PostgreSQL when configured) -> a new SQLite file.
    let middle = TestDatabase::new(*engines.last().unwrap()).await;
    let out = migrate(&source.sandbox, &source.url, &middle.url);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains("every table verified (rows and checksum)"),
        "{said}"
    );
    assert!(
        !said.contains("hunter2") && said.contains("peak memory"),
        "{said}"
    );
    assert_eq!(
        content(&middle).await,
        before,
        "{:?} holds every row",
        middle.engine
    );
    let back = TestDatabase::new(Engine::Sqlite).await;
    let out = migrate(&source.sandbox, &middle.url, &back.url);
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(content(&back).await, before);
    // The same checksums both ways: the content is identical, table by table.
    let sums = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("  ") && l.contains("checksum"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(sums(&said), sums(&stdout(&out)));
    // The copy is a working community: what members see is the same, and it takes new writes
    // (PostgreSQL's event ids continue after the copied ones).
    for db in [&middle, &back] {
        let progress = db.ask(&[
            "/progress",
            "--guild",
            "7",
            "--user",
            "42",
            "--locale",
            "en-US",
        ]);
        assert!(stdout(&progress).contains("✅ 1 done · 📖 1 learning · ⏭️ 0 skipped"));
        let status = db.ask(&[
            "/prompts status",
            "--guild",
            "7",
            "--user",
            "1",
            "--admin",
            "--locale",
            "en-US",
        ]);
        assert!(
            stdout(&status).contains("America/Manaus") || stdout(&status).contains("09:00"),
            "{}",
            stdout(&status)
        );
        let out = db.ask(&["/done docker", "--guild", "7", "--user", "42"]);
        assert!(stdout(&out).contains("concluído"), "{out:?}");
        let undo = db.ask(&["/undo docker", "--guild", "7", "--user", "42"]);
        assert!(stdout(&undo).contains("desmarcado"), "{undo:?}");
    }
}

#[tokio::test]
async fn a_target_that_is_not_empty_is_refused_and_left_as_it_was() {
    let source = TestDatabase::new(Engine::Sqlite).await;
    community(&source).await;
    for engine in engines() {
        let target = TestDatabase::new(engine).await;
        let out = target.ask(&["/done kafka", "--guild", "1", "--user", "2"]);
        assert!(out.status.success());
        let before = content(&target).await;
        let out = migrate(&source.sandbox, &source.url, &target.url);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(
            stderr(&out).contains("is not empty") && stderr(&out).contains("rows"),
            "{}",
            stderr(&out)
        );
        assert_eq!(content(&target).await, before, "{engine:?} untouched");
    }
}

/// A PostgreSQL that cannot be reached stops trilha at once, saying which variable, which host
/// and why, and never the password.
#[test]
fn an_unreachable_postgres_fails_fast_with_the_variable_host_and_reason_but_no_password() {
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let out = sandbox
        .trilha()
        .env(
            "DATABASE_URL",
            "postgres://trilha:hunter2@127.0.0.1:9/community",
        )
        .args(["ask", "/roadmap"])
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains("DATABASE_URL")
            && said.contains("trilha@127.0.0.1:9/community")
            && said.to_lowercase().contains("refused"),
        "{said}"
    );
    assert!(!said.contains("hunter2"), "{said}");
}

/// `trilha backup` copies SQLite files; on PostgreSQL it says what to use instead.
#[test]
fn backup_on_postgres_points_to_pg_dump() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .trilha()
        .env(
            "DATABASE_URL",
            "postgresql://trilha:hunter2@db.example/community",
        )
        .args(["backup", "nightly.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = stderr(&out);
    assert!(
        said.contains("pg_dump") && !said.contains("hunter2"),
        "{said}"
    );
    assert!(!sandbox.dir.path().join("nightly.db").exists());
}

#[tokio::test]
async fn the_store_reports_its_engine() {
    for engine in engines() {
        let db = TestDatabase::new(engine).await;
        let store: Store = db.store().await;
        assert_eq!(
            store.engine(),
            match engine {
                Engine::Sqlite => "SQLite",
                Engine::Postgres => "PostgreSQL",
            }
        );
    }
}
