//! Progress and leaderboard benchmarks on a generated server: 100 000 members, 3 000 000
//! progress rows (and as many events), the real migrations and the real tally rebuild.
//!
//! Run: `cargo bench --bench progress`. The database is generated once into
//! `target/bench-data/` (about a minute) and reused. With `TRILHA_TEST_POSTGRES_URL` set, the
//! same data is copied once into a PostgreSQL database (`trilha_bench_progress_v1`, by the real
//! `migrate-data` copy) and every operation is measured on both engines, side by side.

#[path = "engines.rs"]
mod engines;
#[path = "timing.rs"]
mod timing;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::tz::TimeZone;
use trilha::app::App;
use trilha::clock::Clock;
use trilha::commands::{Args, Caller, Invocation, Value, command};
use trilha::config::Database;
use trilha::i18n::Locale;
use trilha::progress::State;
use trilha::progress::change::{Change, Target};
use trilha::progress::periods::{Period, starts};
use trilha::progress::tally::{TallyKey, change_writes};
use trilha::roadmap::Roadmap;
use trilha::store::Store;

const GUILD: u64 = 1;
const MEMBERS: u64 = 100_000;
const ROWS_PER_MEMBER: u64 = 30;
const FIRST_USER: u64 = 1_000_000;
/// 2026-11-18 15:00 UTC, a Wednesday: "now" for generation and measurement.
const NOW: i64 = 1_795_532_400;
const DATA_VERSION: &str = "v1";

fn data_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("progress-{DATA_VERSION}.db"))
}

/// Fills progress and events with SQL (bench tooling): member u holds 30 of the 62 items
/// (consecutive from a per-member offset), 70% done, 20% learning, 10% skipped, set at a time
/// spread over the last 365 days.
async fn generate(store_path: &PathBuf, items: &[String]) {
    let started = Instant::now();
    let store = Store::open(store_path).await.expect("opens");
    store.close().await;
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(store_path)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Off);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("CREATE TEMP TABLE bench_items (idx INTEGER PRIMARY KEY, id TEXT NOT NULL)")
        .execute(&mut *tx)
        .await
        .unwrap();
    for (i, id) in items.iter().enumerate() {
        sqlx::query("INSERT INTO bench_items VALUES (?, ?)")
            .bind(i as i64)
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let n = items.len() as i64;
    let total = (MEMBERS * ROWS_PER_MEMBER) as i64;
    sqlx::query(
        "INSERT INTO progress (guild_id, user_id, item_id, state, since)
         WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1 - 1)
         SELECT ?2, ?3 + i / ?4, (SELECT id FROM bench_items WHERE idx = ((i / ?4) * 7 + i % ?4) % ?5),
                CASE WHEN (i * 1103515245 + 12345) % 100 < 70 THEN 'done'
                     WHEN (i * 1103515245 + 12345) % 100 < 90 THEN 'learning' ELSE 'skipped' END,
                ?6 - (i * 48271) % (365 * 86400)
         FROM seq",
    )
    .bind(total)
    .bind(GUILD as i64)
    .bind(FIRST_USER as i64)
    .bind(ROWS_PER_MEMBER as i64)
    .bind(n)
    .bind(NOW)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO progress_events (guild_id, user_id, item_id, from_state, to_state, cause, at)
         SELECT guild_id, user_id, item_id, NULL, state, 'mark', since FROM progress",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    pool.close().await;
    println!(
        "generated {total} progress rows and as many events in {:.1?}",
        started.elapsed()
    );
}

fn invocation(key: &str, user: u64, args: Vec<(&'static str, Value)>) -> Invocation {
    Invocation {
        command: command(key).expect("command"),
        subcommand: None,
        args: Args(args.into_iter().collect()),
        caller: Caller {
            user_id: user,
            guild_id: Some(GUILD),
            channel_id: None,
            locale: Locale::PtBr,
            guild_locale: Some(Locale::PtBr),
            can_manage_guild: false,
            names: vec!["Ana".into()],
            avatar: None,
        },
    }
}

/// A Discord whose role calls take 100 ms (and succeed); nothing else is looked up.
#[derive(Clone, Default)]
struct SlowRoles {
    calls: Arc<std::sync::atomic::AtomicUsize>,
}

#[async_trait::async_trait]
impl trilha::lookups::Lookups for SlowRoles {
    async fn channel_access(
        &self,
        guild: u64,
        channel: u64,
        role: Option<u64>,
    ) -> Result<trilha::lookups::Access, trilha::lookups::LookupError> {
        trilha::lookups::Offline
            .channel_access(guild, channel, role)
            .await
    }

    async fn members_present(
        &self,
        guild: u64,
        users: &[u64],
    ) -> Vec<Option<trilha::lookups::Presence>> {
        trilha::lookups::Offline.members_present(guild, users).await
    }

    async fn role_access(
        &self,
        guild: u64,
        role: u64,
    ) -> Result<trilha::lookups::RoleAccess, trilha::lookups::LookupError> {
        trilha::lookups::Offline.role_access(guild, role).await
    }

    async fn set_role(
        &self,
        _guild: u64,
        _user: u64,
        _role: u64,
        _give: bool,
        _reason: &str,
    ) -> Result<(), trilha::lookups::RoleError> {
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok(())
    }

    async fn send_message(
        &self,
        channel: u64,
        message: &trilha::reply::Reply,
    ) -> Result<(), trilha::lookups::LookupError> {
        trilha::lookups::Offline
            .send_message(channel, message)
            .await
    }

    fn shared(&self) -> Arc<dyn trilha::lookups::Lookups> {
        Arc::new(self.clone())
    }
}

/// A deterministic spread of members across the whole ranking.
fn member(i: usize) -> u64 {
    FIRST_USER + (i as u64 * 7919) % MEMBERS
}

/// The `i`-th measured member's item they do not have yet.
fn missing_item(items: &[String], i: usize) -> String {
    let base = ((member(i) - FIRST_USER) * 7) as usize;
    items[(base + ROWS_PER_MEMBER as usize + i % 20) % items.len()].clone()
}

/// Sets (or, with `None`, clears) a member's item, as `/done` and its undo do.
async fn mark(
    store: &Store,
    roadmap: &Roadmap,
    tz: &TimeZone,
    user: u64,
    item: &str,
    state: Option<State>,
) -> trilha::progress::change::Outcome {
    let change = Change {
        guild: GUILD,
        user,
        item_id: item,
        target: Target::Set(state),
        at: NOW,
        day: trilha::progress::streak::day_of(NOW, tz),
        appearance: None,
    };
    store
        .apply(&change, |input| {
            change_writes(roadmap, tz, NOW, item, input)
        })
        .await
        .unwrap()
}

/// `n` full `/done` replies (each a real change, put back afterwards), timed.
async fn done_commands(
    app: &App,
    lookups: &dyn trilha::lookups::Lookups,
    roadmap: &Roadmap,
    tz: &TimeZone,
    items: &[String],
    n: usize,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let (user, item) = (member(i), missing_item(items, i));
        let inv = invocation("done", user, vec![("item", Value::String(item.clone()))]);
        let t = Instant::now();
        let reply = trilha::commands::respond(app, lookups, &inv).await;
        samples.push(t.elapsed());
        assert!(
            reply.embeds[0].title.contains("✅"),
            "{:?}",
            reply.embeds[0].title
        );
        mark(&app.store, roadmap, tz, user, &item, None).await;
    }
    samples
}

/// One measured operation: its name and distribution.
type Measured = Vec<(String, timing::Stats)>;

/// Runs every measurement against one store, printing as it goes.
async fn measure(engine: &str, roadmap: &Arc<Roadmap>, store: Store) -> Measured {
    let items: Vec<String> = roadmap.items().map(|(_, i)| i.id.clone()).collect();
    let app = App::new(roadmap.clone(), store.clone(), Clock::Fixed(NOW));
    // The real start-up path: tallies are (re)built from progress when the roadmap changed.
    let started = Instant::now();
    trilha::app::reconcile(&app).await.unwrap();
    println!("[{engine}] start-up reconcile: {:.1?}", started.elapsed());
    let mut results = Measured::new();
    let mut record = |name: &str, samples: Vec<Duration>| {
        let stats = timing::stats(samples);
        // `/community`'s counts have no goal of their own (the heat map drawn from them is
        // cached); every other operation has the store's.
        let goal = (!name.contains("community")).then_some(GOAL);
        timing::report(&format!("[{engine}] {name}"), &stats, goal);
        results.push((name.to_string(), stats));
    };
    let tz = TimeZone::get("America/Sao_Paulo").unwrap();
    let n = 2000;
    // /done: a real change each time (an item the member does not have yet), then put back.
    let mut undo = Vec::with_capacity(n);
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let (user, item) = (member(i), missing_item(&items, i));
        let t = Instant::now();
        let outcome = mark(&store, roadmap, &tz, user, &item, Some(State::Done)).await;
        samples.push(t.elapsed());
        assert!(outcome.changed, "measured a real change");
        undo.push((user, item));
    }
    record("store: /done write (apply + tallies)", samples);
    for (user, item) in undo {
        mark(&store, roadmap, &tz, user, &item, None).await;
    }
    let samples = done_commands(&app, &trilha::lookups::Offline, roadmap, &tz, &items, n).await;
    record("command: /done kafka (full reply)", samples);

    // The same /done with 5 reward roles configured and the streak updated (inside the
    // change's transaction). The roles are given after the reply, on a background task, by a
    // Discord that takes 100 ms per role call: the reply must not wait for any of it.
    use trilha::recognition::Achievement;
    let achievements = [
        Achievement::Section("message-brokers".into()),
        Achievement::Milestone(roadmap.tracks()[0].id.clone()),
        Achievement::Items(15),
        Achievement::Items(25),
        Achievement::Streak(3),
    ];
    let mut reward_ids = Vec::new();
    for (n, achievement) in achievements.iter().enumerate() {
        let id = store
            .add_reward(GUILD, achievement, 900 + n as u64, false, 1, NOW)
            .await
            .unwrap();
        reward_ids.push(id);
    }
    let discord = SlowRoles::default();
    let samples = done_commands(&app, &discord, roadmap, &tz, &items, n).await;
    record("command: /done with 5 rewards (full reply)", samples);
    let started = Instant::now();
    while !app.background.is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let calls = discord.calls.load(std::sync::atomic::Ordering::Relaxed);
    assert!(calls > 0, "the rewards were applied");
    println!(
        "[{engine}]   role calls made after the replies: {calls} (100 ms each; the last finished {:.1?} after the last reply)",
        started.elapsed()
    );
    for id in reward_ids {
        store.remove_reward(GUILD, id).await.unwrap();
    }

    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let inv = invocation("progress", member(i), vec![]);
        let t = Instant::now();
        let reply = trilha::commands::respond(&app, &trilha::lookups::Offline, &inv).await;
        samples.push(t.elapsed());
        assert!(reply.embeds[0].description.contains("Progresso de"));
    }
    record("command: /progress (text and a new card)", samples);

    // What /community reads: active members, done per item, this week's movers (a scan of the
    // server's progress and of the week's events).
    let week = starts(Period::Week, NOW, &tz);
    let mut samples = Vec::with_capacity(50);
    for _ in 0..50 {
        let t = Instant::now();
        let counts = store.community(GUILD, week, NOW + 1).await.unwrap();
        samples.push(t.elapsed());
        assert!(counts.active > 0);
    }
    record("store: community counts", samples);

    for period in Period::ALL {
        let key = TallyKey {
            scope: String::new(),
            period,
            starts: starts(period, NOW, &tz),
        };
        let ranked = store.leaderboard_len(GUILD, &key).await.unwrap();
        println!(
            "[{engine}] period {}: {ranked} members ranked",
            period.as_str()
        );
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let page = store.leaderboard(GUILD, &key, 0, 10).await.unwrap();
            samples.push(t.elapsed());
            assert_eq!(page.len(), 10);
        }
        record(&format!("store: page 1 ({})", period.as_str()), samples);
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            let user = member(i);
            let t = Instant::now();
            let _ = store.leaderboard_rank(GUILD, &key, user).await.unwrap();
            samples.push(t.elapsed());
        }
        record(
            &format!("store: caller's rank ({})", period.as_str()),
            samples,
        );
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let _ = store.leaderboard_len(GUILD, &key).await.unwrap();
            samples.push(t.elapsed());
        }
        record(
            &format!("store: ranked count ({})", period.as_str()),
            samples,
        );
        let mut samples = Vec::with_capacity(n);
        for i in 0..n {
            let inv = invocation(
                "leaderboard",
                member(i),
                vec![("period", Value::String(period.as_str().into()))],
            );
            let t = Instant::now();
            let reply = trilha::commands::respond(&app, &trilha::lookups::Offline, &inv).await;
            samples.push(t.elapsed());
            assert!(
                reply.embeds[0].description.contains("🥇"),
                "{:?}",
                reply.embeds[0].description
            );
        }
        record(
            &format!("command: /leaderboard {}", period.as_str()),
            samples,
        );
    }
    store.close().await;
    results
}

const GOAL: Duration = Duration::from_millis(5);
const POSTGRES_NAME: &str = "trilha_bench_progress_v1";

/// The PostgreSQL copy of the bench data, made once with the real `migrate-data` copy.
async fn postgres_copy(admin: &str, sqlite: &std::path::Path) -> Database {
    let expected = (MEMBERS * ROWS_PER_MEMBER) as i64;
    if engines::postgres_exists(admin, POSTGRES_NAME).await {
        let database = engines::postgres_database(admin, POSTGRES_NAME);
        let store = Store::connect(&database).await.unwrap();
        let counts = store.table_counts().await.unwrap();
        store.close().await;
        if counts
            .iter()
            .any(|(t, n)| *t == "progress" && *n == expected)
        {
            return database;
        }
    }
    let database = engines::postgres_fresh(admin, POSTGRES_NAME).await;
    let started = Instant::now();
    let tables = trilha::store::copy::copy(
        &Database::Sqlite(sqlite.to_path_buf()),
        &database,
        &mut |_| {},
    )
    .await
    .expect("the bench data copies into PostgreSQL");
    let rows: u64 = tables.iter().map(|t| t.rows).sum();
    println!(
        "copied {rows} rows into PostgreSQL ({POSTGRES_NAME}) in {:.1?}",
        started.elapsed()
    );
    database
}

#[tokio::main]
async fn main() {
    let roadmap = Arc::new(
        trilha::roadmap::load_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("roadmap"))
            .unwrap(),
    );
    let items: Vec<String> = roadmap.items().map(|(_, i)| i.id.clone()).collect();
    let path = data_path();
    if !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        generate(&path, &items).await;
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "database: {} ({} MiB), {MEMBERS} members, {} progress rows\n",
        path.display(),
        size >> 20,
        MEMBERS * ROWS_PER_MEMBER
    );
    let sqlite = measure("sqlite", &roadmap, Store::open(&path).await.unwrap()).await;

    let Some(admin) = engines::postgres_admin_url() else {
        return;
    };
    let database = postgres_copy(&admin, &path).await;
    let started = Instant::now();
    engines::postgres_vacuum(&admin, POSTGRES_NAME).await;
    println!("[postgres] VACUUM ANALYZE: {:.1?}", started.elapsed());
    println!();
    let postgres = measure(
        "postgres",
        &roadmap,
        Store::connect(&database).await.unwrap(),
    )
    .await;

    println!(
        "\nside by side (median / p99; goal median ≤ {} and p99 ≤ 20 ms):",
        timing::fmt(GOAL)
    );
    println!("{:<44} {:>24} {:>24}", "operation", "SQLite", "PostgreSQL");
    for ((name, s), (_, p)) in sqlite.iter().zip(&postgres) {
        println!(
            "{name:<44} {:>24} {:>24}",
            format!("{} / {}", timing::fmt(s.median), timing::fmt(s.p99)),
            format!("{} / {}", timing::fmt(p.median), timing::fmt(p.p99)),
        );
    }
}
