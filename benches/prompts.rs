//! Study prompts: 10 000 servers due in the same minute.
//!
//! Run: `cargo bench --bench prompts` (with `TRILHA_TEST_POSTGRES_URL` set, claims and the
//! scheduler's own work are measured on PostgreSQL too).
//!
//! Measures (1) the time to claim every slot, (2) the scheduler's own throughput with Discord
//! taken out (an instant poster, no pacing), and (3) the rate posts actually leave at under the
//! default pacing with a simulated 80 ms Discord round trip, from which the last server's delay
//! follows.

#[path = "engines.rs"]
mod engines;
#[path = "timing.rs"]
mod timing;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use trilha::app::App;
use trilha::clock::Clock;
use trilha::config::Database;
use trilha::prompts::records::PromptSchedule;
use trilha::reply::Reply;
use trilha::scheduler::{PostError, Poster, Scheduler, Settings};
use trilha::store::Store;

const SERVERS: u64 = 10_000;
/// Tuesday 2026-11-24 09:00 in São Paulo.
const NINE: i64 = 1_795_521_600;

struct Timed {
    latency: Duration,
    sent: Mutex<Vec<Instant>>,
}

#[async_trait]
impl Poster for Timed {
    async fn post(&self, _channel: u64, _message: &Reply, _nonce: &str) -> Result<u64, PostError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let mut sent = self.sent.lock().unwrap();
        sent.push(Instant::now());
        Ok(sent.len() as u64)
    }
    async fn open_thread(&self, _c: u64, _m: u64, _n: &str) -> Result<(), PostError> {
        Ok(())
    }
    async fn dm(&self, _user: u64, _message: &Reply, _nonce: &str) -> Result<u64, PostError> {
        Ok(0)
    }
}

/// Where a bench database is made: a file in a temporary folder, or fresh PostgreSQL databases.
enum Engine<'a> {
    Sqlite(&'a tempfile::TempDir),
    Postgres(&'a str),
}

impl Engine<'_> {
    fn name(&self) -> &'static str {
        match self {
            Engine::Sqlite(_) => "sqlite",
            Engine::Postgres(_) => "postgres",
        }
    }
}

async fn fresh(engine: &Engine<'_>, name: &str, servers: u64) -> App {
    let roadmap = Arc::new(
        trilha::roadmap::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("roadmap"),
        )
        .unwrap(),
    );
    let database = match engine {
        Engine::Sqlite(dir) => Database::Sqlite(dir.path().join(format!("{name}.db"))),
        Engine::Postgres(admin) => {
            engines::postgres_fresh(admin, &format!("trilha_bench_prompts_{name}")).await
        }
    };
    let store = Store::connect(&database).await.unwrap();
    for guild in 1..=servers {
        let schedule = PromptSchedule {
            guild,
            channel: 1_000_000 + guild,
            local_time: "09:00".into(),
            days: 0b111_1111,
            timezone: "America/Sao_Paulo".into(),
            role: None,
            section: None,
            thread: false,
            pause: None,
            next_due_at: Some(NINE),
            requested_at: None,
            created_by: 1,
            digest: false,
        };
        store.save_schedule(&schedule, NINE - 86_400).await.unwrap();
    }
    App::new(roadmap, store, Clock::Fixed(NINE))
}

/// Claims every due slot, then runs the scheduler with Discord taken out, on one engine.
async fn claims_and_work(engine: Engine<'_>) {
    let label = engine.name();
    // (1) Claiming every due slot, in the scheduler's batches.
    let app = fresh(&engine, "claims", SERVERS).await;
    let started = Instant::now();
    let mut claimed = 0;
    loop {
        let batch = app
            .store
            .claim_due("bench", NINE + 59, NINE + 120, 200)
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        claimed += batch.len();
    }
    let claim_time = started.elapsed();
    assert_eq!(claimed as u64, SERVERS);
    println!(
        "[{label}] claim every slot: {SERVERS} servers in {} ({:.0} claims/s)",
        timing::fmt(claim_time),
        SERVERS as f64 / claim_time.as_secs_f64()
    );

    // (2) The scheduler's own work per post (choice, post row, record, next slot), Discord removed.
    let app = fresh(&engine, "unpaced", SERVERS).await;
    let poster = Arc::new(Timed {
        latency: Duration::ZERO,
        sent: Mutex::new(Vec::new()),
    });
    let settings = Settings {
        posts_per_second: 1e9,
        ..Settings::default()
    };
    let scheduler = Arc::new(Scheduler::new(
        app.clone(),
        poster.clone(),
        "bench",
        settings,
    ));
    let started = Instant::now();
    let report = scheduler.tick(NINE + 59).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(report.posted as u64, SERVERS);
    println!(
        "[{label}] scheduler without Discord: {} posts in {} = {:.0} posts/s (the work is not the bottleneck)",
        report.posted,
        timing::fmt(elapsed),
        report.posted as f64 / elapsed.as_secs_f64()
    );
    app.store.close().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    claims_and_work(Engine::Sqlite(&dir)).await;
    if let Some(admin) = engines::postgres_admin_url() {
        claims_and_work(Engine::Postgres(&admin)).await;
        for name in ["claims", "unpaced"] {
            engines::postgres_drop(&admin, &format!("trilha_bench_prompts_{name}")).await;
        }
    }

    // (3) Under the default pacing (40 posts/s, below Discord's 50 requests/s global limit),
    // with an 80 ms round trip per post, 16 in flight.
    let sample: u64 = 1_000;
    let app = fresh(&Engine::Sqlite(&dir), "paced", sample).await;
    let poster = Arc::new(Timed {
        latency: Duration::from_millis(80),
        sent: Mutex::new(Vec::new()),
    });
    let settings = Settings::default();
    let rate_limit = settings.posts_per_second;
    let scheduler = Arc::new(Scheduler::new(
        app.clone(),
        poster.clone(),
        "bench",
        settings,
    ));
    let started = Instant::now();
    let report = scheduler.tick(NINE + 59).await.unwrap();
    assert_eq!(report.posted as u64, sample);
    let sent = poster.sent.lock().unwrap().clone();
    let span = *sent.last().unwrap() - sent[0];
    let rate = (sent.len() - 1) as f64 / span.as_secs_f64();
    // The busiest second of the run, to show the limit is never exceeded.
    let mut busiest = 0;
    for (i, at) in sent.iter().enumerate() {
        let within = sent[i..]
            .iter()
            .take_while(|t| **t - *at < Duration::from_secs(1))
            .count();
        busiest = busiest.max(within);
    }
    println!(
        "paced: {sample} posts in {} = {rate:.1} posts/s (pacer {rate_limit}/s spaces the starts; Discord's global limit is 50/s; busiest second of completions: {busiest})",
        timing::fmt(started.elapsed())
    );
    let last = SERVERS as f64 / rate;
    println!(
        "=> 10 000 servers due in one minute: the last post leaves {last:.0} s ({:.1} min) after the slot, well inside the 2 h grace window",
        last / 60.0
    );
    println!(
        "   per channel: one post per slot, far below Discord's 5 messages per 5 s per channel"
    );
}
