//! The prompt scheduler against real databases (every engine), with a recording poster.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use trilha::app::App;
use trilha::clock::Clock;
use trilha::prompts::records::{Pause, PauseReason, PromptSchedule};
use trilha::reply::Reply;
use trilha::scheduler::{PostError, Poster, Scheduler, Settings};

use crate::engines::{TestDatabase, on_each_engine};
use crate::support::roadmap;

/// Records every post, keyed by nonce, like Discord with `enforce_nonce`: the same nonce twice
/// returns the first message.
#[derive(Default)]
struct Recorder {
    posts: Mutex<Vec<(u64, String)>>,
    messages: Mutex<Vec<Reply>>,
    by_nonce: Mutex<BTreeMap<String, u64>>,
    /// Direct messages: (user, nonce, text).
    dms: Mutex<Vec<(u64, String, String)>>,
    /// Users who do not accept direct messages.
    closed: Mutex<Vec<u64>>,
}

#[async_trait]
impl Poster for Recorder {
    async fn post(&self, channel: u64, message: &Reply, nonce: &str) -> Result<u64, PostError> {
        // Let the other instance interleave.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        self.posts
            .lock()
            .unwrap()
            .push((channel, nonce.to_string()));
        self.messages.lock().unwrap().push(message.clone());
        let mut by_nonce = self.by_nonce.lock().unwrap();
        let next = by_nonce.len() as u64 + 1;
        Ok(*by_nonce.entry(nonce.to_string()).or_insert(next))
    }

    async fn open_thread(
        &self,
        _channel: u64,
        _message: u64,
        _name: &str,
    ) -> Result<(), PostError> {
        Ok(())
    }

    async fn dm(&self, user: u64, message: &Reply, nonce: &str) -> Result<u64, PostError> {
        if self.closed.lock().unwrap().contains(&user) {
            return Err(PostError::DmClosed);
        }
        self.dms.lock().unwrap().push((
            user,
            nonce.to_string(),
            message.content.clone().unwrap_or_default(),
        ));
        let mut by_nonce = self.by_nonce.lock().unwrap();
        let next = by_nonce.len() as u64 + 1;
        Ok(*by_nonce.entry(nonce.to_string()).or_insert(next))
    }
}

/// Tuesday 2026-11-24 09:00 in São Paulo.
const NINE: i64 = 1_795_521_600;

fn schedule(guild: u64) -> PromptSchedule {
    PromptSchedule {
        guild,
        channel: 10_000 + guild,
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
    }
}

async fn app(db: &TestDatabase) -> App {
    App::new(roadmap(), db.store().await, Clock::Fixed(NINE))
}

fn settings() -> Settings {
    Settings {
        posts_per_second: 10_000.0,
        batch: 7,
        ..Settings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_schedulers_on_one_database_post_each_slot_exactly_once() {
    on_each_engine(|db| async move {
        // Two apps, two connection pools on the same file: as two processes would have.
        let a = app(&db).await;
        let b = app(&db).await;
        for guild in 1..=60 {
            a.store
                .save_schedule(&schedule(guild), NINE - 3600)
                .await
                .unwrap();
        }
        let recorder = Arc::new(Recorder::default());
        let one = Arc::new(Scheduler::new(a, recorder.clone(), "one", settings()));
        let two = Arc::new(Scheduler::new(b, recorder.clone(), "two", settings()));
        let (r1, r2) = tokio::join!(one.tick(NINE + 5), two.tick(NINE + 5));
        let (r1, r2) = (r1.unwrap(), r2.unwrap());
        let posts = recorder.posts.lock().unwrap().clone();
        assert_eq!(
            posts.len(),
            60,
            "one post per server ({} + {} claimed)",
            r1.claimed,
            r2.claimed
        );
        let channels: std::collections::BTreeSet<u64> = posts.iter().map(|p| p.0).collect();
        assert_eq!(channels.len(), 60, "every server got its post, none twice");
        assert_eq!(r1.posted + r2.posted, 60);
        // However the two interleaved (one may well have claimed everything first), every server
        // was claimed exactly once between them.
        assert_eq!(r1.claimed + r2.claimed, 60, "no server claimed twice");

        // The slot is recorded: ticking again, by either, posts nothing more.
        let (again1, again2) = tokio::join!(one.tick(NINE + 10), two.tick(NINE + 10));
        assert_eq!(again1.unwrap().posted + again2.unwrap().posted, 0);
        assert_eq!(recorder.posts.lock().unwrap().len(), 60);
        // And the next slot is tomorrow at 09:00.
        let store = db.store().await;
        assert_eq!(
            store.schedule(7).await.unwrap().unwrap().next_due_at,
            Some(NINE + 86_400)
        );
    })
    .await;
}

#[tokio::test]
async fn a_slot_past_the_grace_window_is_skipped_and_never_posted_late() {
    on_each_engine(|db| async move {
        let app = app(&db).await;
        app.store
            .save_schedule(&schedule(1), NINE - 3600)
            .await
            .unwrap();
        let recorder = Arc::new(Recorder::default());
        let scheduler = Arc::new(Scheduler::new(
            app.clone(),
            recorder.clone(),
            "one",
            settings(),
        ));
        // Three days later at 12:00: every 09:00 since is more than 2 h old.
        let report = scheduler.tick(NINE + 3 * 86_400 + 3 * 3600).await.unwrap();
        assert_eq!((report.posted, report.skipped), (0, 1));
        assert!(recorder.posts.lock().unwrap().is_empty());
        assert_eq!(
            app.store.schedule(1).await.unwrap().unwrap().next_due_at,
            Some(NINE + 4 * 86_400)
        );
    })
    .await;
}

#[tokio::test]
async fn a_transient_failure_is_retried_with_the_same_nonce_and_a_lost_channel_pauses() {
    on_each_engine(|db| async move {
        struct Flaky {
            calls: Mutex<Vec<String>>,
            outcomes: Mutex<Vec<Result<u64, PostError>>>,
        }
        #[async_trait]
        impl Poster for Flaky {
            async fn post(
                &self,
                _channel: u64,
                _message: &Reply,
                nonce: &str,
            ) -> Result<u64, PostError> {
                self.calls.lock().unwrap().push(nonce.to_string());
                self.outcomes.lock().unwrap().remove(0)
            }
            async fn open_thread(&self, _c: u64, _m: u64, _n: &str) -> Result<(), PostError> {
                Ok(())
            }
            async fn dm(&self, _u: u64, _m: &Reply, _n: &str) -> Result<u64, PostError> {
                Err(PostError::Transient("no DMs here".into()))
            }
        }
        let app = app(&db).await;
        app.store
            .save_schedule(&schedule(1), NINE - 3600)
            .await
            .unwrap();
        app.store
            .save_schedule(&schedule(2), NINE - 3600)
            .await
            .unwrap();
        let poster = Arc::new(Flaky {
            calls: Mutex::new(Vec::new()),
            outcomes: Mutex::new(vec![
                Err(PostError::Transient("502 Bad Gateway".into())),
                Err(PostError::Gone {
                    status: 403,
                    code: 50013,
                    detail: "Missing Permissions".into(),
                }),
                Ok(77),
                Ok(78),
            ]),
        });
        let scheduler = Arc::new(Scheduler::new(
            app.clone(),
            poster.clone(),
            "one",
            Settings {
                batch: 1,
                ..settings()
            },
        ));
        let first = scheduler.tick(NINE).await.unwrap();
        assert_eq!((first.retrying, first.paused), (1, 1));
        assert_eq!(
            app.store.schedule(2).await.unwrap().unwrap().pause,
            Some(Pause {
                reason: PauseReason::Forbidden,
                discord_code: Some(50013)
            }),
            "a 403 pauses the server, and says why"
        );
        // Nothing before the backoff has passed.
        assert_eq!(scheduler.tick(NINE + 5).await.unwrap().posted, 0);
        let retry = scheduler.tick(NINE + 20).await.unwrap();
        assert_eq!(retry.posted, 1);
        let calls = poster.calls.lock().unwrap().clone();
        assert_eq!(
            calls[0], calls[2],
            "the retry carries the first attempt's nonce"
        );
        // The paused server is never retried: the next day only server 1 posts.
        let next_day = scheduler.tick(NINE + 86_400).await.unwrap();
        assert_eq!(
            (next_day.claimed, next_day.posted, next_day.paused),
            (1, 1, 0),
            "only server 1 (its next day)"
        );
        assert_eq!(
            poster.calls.lock().unwrap().len(),
            4,
            "server 2 was not tried again"
        );
        assert!(poster.outcomes.lock().unwrap().is_empty());
    })
    .await;
}

/// Digests among the recorded posts: those with the heat map attached.
fn digests(recorder: &Recorder) -> Vec<Reply> {
    recorder
        .messages
        .lock()
        .unwrap()
        .iter()
        .filter(|m| !m.attachments.is_empty())
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_weekly_digest_is_posted_once_per_week_with_the_heat_map_even_by_two_schedulers() {
    use trilha::progress::State;
    use trilha::progress::change::{Change, Target};
    use trilha::progress::tally::change_writes;
    on_each_engine(|db| async move {
        let a = app(&db).await;
        let b = app(&db).await;
        for guild in 1..=3 {
            a.store
                .save_schedule(&schedule(guild), NINE - 3600)
                .await
                .unwrap();
            assert!(
                a.store
                    .set_digest(guild, guild != 3, NINE - 3600)
                    .await
                    .unwrap()
            );
        }
        // Guild 1 studied last week (Tuesday 17 November).
        let tz = jiff::tz::TimeZone::get("America/Sao_Paulo").unwrap();
        let last_week = NINE - 7 * 86_400;
        for (user, item) in [(5, "kafka"), (6, "kafka"), (6, "redis")] {
            let change = Change {
                guild: 1,
                user,
                item_id: item,
                target: Target::Set(Some(State::Done)),
                at: last_week,
                day: trilha::progress::streak::day_of(last_week, &tz),
                appearance: None,
            };
            a.store
                .apply(&change, |input| {
                    change_writes(&a.roadmap, &tz, last_week, item, input)
                })
                .await
                .unwrap();
        }
        let recorder = Arc::new(Recorder::default());
        let one = Arc::new(Scheduler::new(
            a.clone(),
            recorder.clone(),
            "one",
            settings(),
        ));
        let two = Arc::new(Scheduler::new(b, recorder.clone(), "two", settings()));
        let (r1, r2) = tokio::join!(one.tick(NINE + 5), two.tick(NINE + 5));
        let (r1, r2) = (r1.unwrap(), r2.unwrap());
        assert_eq!(r1.posted + r2.posted, 3, "every server's prompt");
        assert_eq!(r1.digests + r2.digests, 2, "a digest where it is on, once");
        let sent = digests(&recorder);
        assert_eq!(sent.len(), 2);
        for digest in &sent {
            assert!(!digest.ephemeral);
            assert_eq!(digest.attachments[0].name, "trilha-community.png");
            assert_eq!(
                digest.embeds[0].image.as_deref(),
                Some("attachment://trilha-community.png")
            );
            assert_eq!(&digest.attachments[0].data[..8], b"\x89PNG\r\n\x1a\n");
            assert!(digest.violations().is_empty(), "{:?}", digest.violations());
            assert!(
                digest.embeds[0].title.contains("16 de novembro de 2026")
                    && digest.embeds[0].title.contains("22 de novembro de 2026"),
                "the week before: {}",
                digest.embeds[0].title
            );
        }
        let studied = sent
            .iter()
            .find(|d| d.embeds[0].description.contains("**2** membros ativos"))
            .expect("guild 1's digest counts its two members");
        let moved: String = studied.embeds[0]
            .fields
            .iter()
            .map(|f| f.value.clone())
            .collect();
        assert!(
            moved.contains("Apache Kafka (+2)") && moved.contains("Redis (+1)"),
            "{moved}"
        );

        // The rest of the week: prompts every day, no second digest, whatever restarts.
        for day in 1..=5 {
            let again = Arc::new(Scheduler::new(
                a.clone(),
                recorder.clone(),
                format!("restart-{day}"),
                settings(),
            ));
            let report = again.tick(NINE + day * 86_400 + 5).await.unwrap();
            assert_eq!((report.posted, report.digests), (3, 0), "day {day}");
        }
        // Monday brings the next week's digest.
        let monday = Arc::new(Scheduler::new(
            a.clone(),
            recorder.clone(),
            "monday",
            settings(),
        ));
        let report = monday.tick(NINE + 6 * 86_400 + 5).await.unwrap();
        assert_eq!(report.digests, 2);
        let nonces: std::collections::BTreeSet<String> = recorder
            .posts
            .lock()
            .unwrap()
            .iter()
            .map(|(_, n)| n.clone())
            .collect();
        assert_eq!(
            nonces.len(),
            recorder.posts.lock().unwrap().len(),
            "no nonce twice"
        );
        let last = a.store.last_digest(1).await.unwrap().unwrap();
        assert_eq!(last.status, trilha::outbox::SendStatus::Sent);
    })
    .await;
}

#[tokio::test]
async fn a_digest_caught_between_sent_and_recorded_is_retried_with_its_nonce() {
    on_each_engine(|db| async move {
        let app = app(&db).await;
        app.store
            .save_schedule(&schedule(1), NINE - 3600)
            .await
            .unwrap();
        app.store.set_digest(1, true, NINE - 3600).await.unwrap();
        // A crash after Discord created the digest but before it was recorded: the row is
        // still "sending", and Discord knows the nonce.
        let week = 1_794_798_000; // Monday 16 November 2026, 00:00 in São Paulo
        let nonce = trilha::outbox::digest_nonce(1, week);
        app.store
            .begin_digest(1, week, 10_001, &nonce, NINE - 60)
            .await
            .unwrap();
        let recorder = Arc::new(Recorder::default());
        recorder.by_nonce.lock().unwrap().insert(nonce.clone(), 77);
        let scheduler = Arc::new(Scheduler::new(
            app.clone(),
            recorder.clone(),
            "one",
            settings(),
        ));
        let report = scheduler.tick(NINE + 5).await.unwrap();
        assert_eq!(report.digests, 1);
        let posted: Vec<String> = recorder
            .posts
            .lock()
            .unwrap()
            .iter()
            .map(|p| p.1.clone())
            .collect();
        assert!(
            posted.contains(&nonce),
            "the same nonce, so Discord returns its message"
        );
        let last = app.store.last_digest(1).await.unwrap().unwrap();
        assert_eq!((last.week_start, last.message_id), (week, Some(77)));
    })
    .await;
}
