//! Study streaks on every engine: days in the server's time zone (DST and zones far from UTC),
//! freezes earned and spent, the streak board, a roadmap change, and a randomized comparison of
//! the summary kept one change at a time with a recomputation from the event log.

use std::sync::Arc;

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use trilha::progress::State;
use trilha::progress::change::{Change, Target};
use trilha::progress::streak::{Streak, day_number, day_of};
use trilha::progress::tally::{all_rows, change_writes};
use trilha::roadmap::Roadmap;
use trilha::store::Store;

use crate::engines::{TestDatabase, on_each_engine};
use crate::support::{generated_roadmap, roadmap};

struct Env {
    store: Store,
    roadmap: Arc<Roadmap>,
    _db: TestDatabase,
}

/// An instant given as a wall-clock time in a zone ("2026-03-08T00:30").
fn at(tz: &TimeZone, local: &str) -> i64 {
    let civil: DateTime = local.parse().expect("a civil date-time");
    civil.to_zoned(tz.clone()).unwrap().timestamp().as_second()
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

const ITEMS: [&str; 6] = ["kafka", "rabbitmq", "redis", "docker", "git", "postgresql"];

impl Env {
    async fn on(db: TestDatabase) -> Env {
        Env {
            store: db.store().await,
            roadmap: roadmap(),
            _db: db,
        }
    }

    /// A member's change at `at`, in a server whose time zone is `tz`.
    async fn mark(
        &self,
        guild: u64,
        user: u64,
        item: &str,
        target: Target,
        at: i64,
        tz: &TimeZone,
    ) -> bool {
        let change = Change {
            guild,
            user,
            item_id: item,
            target,
            at,
            day: day_of(at, tz),
            appearance: None,
        };
        self.store
            .apply(&change, |input| {
                change_writes(&self.roadmap, tz, at, item, input)
            })
            .await
            .expect("applies")
            .changed
    }

    /// Marks a different item done (or learning) each time, so every call changes something.
    async fn study(&self, guild: u64, user: u64, n: usize, at: i64, tz: &TimeZone) {
        let state = if (n / ITEMS.len()).is_multiple_of(2) {
            State::Learning
        } else {
            State::Done
        };
        let item = ITEMS[n % ITEMS.len()];
        assert!(
            self.mark(guild, user, item, Target::Set(Some(state)), at, tz)
                .await,
            "{item} -> {state:?} changes something"
        );
    }

    async fn streak(&self, guild: u64, user: u64) -> Streak {
        self.store
            .streak(guild, user)
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// The streak recomputed from the event log, as a restart or a migration would.
    async fn recomputed(&self, guild: u64, user: u64, tz: &TimeZone) -> Streak {
        let times = self.store.study_times(guild, user).await.unwrap();
        Streak::from_times(&times, tz)
    }
}

#[tokio::test]
async fn a_study_day_is_the_servers_calendar_day_not_utcs() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let (sao_paulo, kiritimati) = (zone("America/Sao_Paulo"), zone("Pacific/Kiritimati"));
        // 2026-03-01 02:00 and 04:00 UTC: 23:00 on Feb 28 and 01:00 on Mar 1 in São Paulo (two
        // days); 16:00 and 18:00 on Mar 1 in Kiritimati (one day).
        let early = [
            at(&TimeZone::UTC, "2026-03-01T02:00"),
            at(&TimeZone::UTC, "2026-03-01T04:00"),
        ];
        // 09:00 and 11:00 UTC: 06:00 and 08:00 in São Paulo (one day); 23:00 on Mar 1 and 01:00
        // on Mar 2 in Kiritimati (two days).
        let late = [
            at(&TimeZone::UTC, "2026-03-01T09:00"),
            at(&TimeZone::UTC, "2026-03-01T11:00"),
        ];
        for (guild, tz) in [(1, &sao_paulo), (2, &kiritimati)] {
            for (n, &t) in early.iter().enumerate() {
                env.study(guild, 10, n, t, tz).await;
            }
            for (n, &t) in late.iter().enumerate() {
                env.study(guild, 20, n, t, tz).await;
            }
        }
        let current = |s: Streak| (s.current, s.longest);
        assert_eq!(
            current(env.streak(1, 10).await),
            (2, 2),
            "São Paulo: Feb 28 and Mar 1"
        );
        assert_eq!(
            current(env.streak(1, 20).await),
            (1, 1),
            "São Paulo: both on Mar 1"
        );
        assert_eq!(
            current(env.streak(2, 10).await),
            (1, 1),
            "Kiritimati: both on Mar 1"
        );
        assert_eq!(
            current(env.streak(2, 20).await),
            (2, 2),
            "Kiritimati: Mar 1 and Mar 2"
        );
        let day = |tz: &TimeZone, t: i64| day_of(t, tz);
        assert_eq!(
            env.streak(2, 20).await.last_day,
            Some(day_number(Date::constant(2026, 3, 2)))
        );
        assert_eq!(
            day(&sao_paulo, early[0]),
            day_number(Date::constant(2026, 2, 28))
        );
        // The summaries agree with the event log read in each zone.
        for (guild, tz) in [(1, &sao_paulo), (2, &kiritimati)] {
            for user in [10, 20] {
                assert_eq!(
                    env.streak(guild, user).await,
                    env.recomputed(guild, user, tz).await
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn days_stay_whole_across_daylight_saving_changes() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        // New York springs forward on 2026-03-08 (a 23-hour day) and falls back on 2026-11-01
        // (a 25-hour day). Studying at 00:30 and 23:30 local around both: a fixed offset, or
        // 86 400-second days, would merge two days or skip one.
        let ny = zone("America/New_York");
        let spring = [
            "2026-03-06T23:30",
            "2026-03-07T23:30",
            "2026-03-08T00:30", // before the change, same day as 23:30 after it
            "2026-03-08T23:30",
            "2026-03-09T00:30",
        ];
        for (n, local) in spring.iter().enumerate() {
            env.study(1, 7, n, at(&ny, local), &ny).await;
        }
        let s = env.streak(1, 7).await;
        assert_eq!(
            (s.current, s.last_day),
            (4, Some(day_number(Date::constant(2026, 3, 9))))
        );
        let autumn = [
            "2026-10-31T23:30",
            "2026-11-01T00:30",
            "2026-11-01T01:30", // the first 01:30 (EDT)
            "2026-11-01T23:30", // 25 hours after midnight, still November 1
            "2026-11-02T00:30",
        ];
        for (n, local) in autumn.iter().enumerate() {
            env.study(1, 8, n, at(&ny, local), &ny).await;
        }
        let s = env.streak(1, 8).await;
        assert_eq!(s.current, 3, "Oct 31, Nov 1, Nov 2");
        assert_eq!(env.streak(1, 8).await, env.recomputed(1, 8, &ny).await);
        // São Paulo kept DST until 2019: the 2018-11-04 change (midnight skipped to 01:00) is
        // one day, not a gap.
        let sp = zone("America/Sao_Paulo");
        for (n, local) in ["2018-11-03T23:30", "2018-11-04T01:10", "2018-11-05T00:10"]
            .iter()
            .enumerate()
        {
            env.study(2, 9, n, at(&sp, local), &sp).await;
        }
        assert_eq!(env.streak(2, 9).await.current, 3);
    })
    .await;
}

#[tokio::test]
async fn seven_days_earn_a_freeze_that_keeps_the_streak_through_a_missed_day() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let tz = zone("America/Sao_Paulo");
        let day = |d: u32| at(&tz, &format!("2026-06-{d:02}T19:00"));
        for d in 1..=7 {
            env.study(1, 5, d as usize, day(d), &tz).await;
        }
        let s = env.streak(1, 5).await;
        assert_eq!((s.current, s.freezes), (7, 1), "a week earns one freeze");
        // June 8 missed: on June 9 the streak is alive (frozen), and the board still ranks it.
        let june9 = day_number(Date::constant(2026, 6, 9));
        assert_eq!(s.as_of(june9).current, 7);
        assert_eq!(s.as_of(june9).freezes, 0, "the freeze covers June 8");
        let board = env.store.streak_page(1, june9, 0, 10).await.unwrap();
        assert_eq!(
            board
                .iter()
                .map(|r| (r.user_id, r.done))
                .collect::<Vec<_>>(),
            [(5, 7)]
        );
        // Studying on June 9 continues it; the covered day did not count.
        env.study(1, 5, 8, day(9), &tz).await;
        let s = env.streak(1, 5).await;
        assert_eq!((s.current, s.freezes, s.longest), (8, 0, 8));
        // Two missed days with no freeze left break it: June 12 starts over.
        env.study(1, 5, 9, day(12), &tz).await;
        let s = env.streak(1, 5).await;
        assert_eq!((s.current, s.longest), (1, 8));
        // A second member holds two freezes at most, after 21 days, and spends both on a
        // two-day gap.
        for d in 1..=21 {
            env.study(1, 6, d as usize, day(d), &tz).await;
        }
        assert_eq!(env.streak(1, 6).await.freezes, 2);
        let june25 = day_number(Date::constant(2026, 6, 25));
        assert_eq!(
            env.store.streak_len(1, june25).await.unwrap(),
            0,
            "22-24 missed: broken"
        );
        let june24 = day_number(Date::constant(2026, 6, 24));
        assert_eq!(
            env.store.streak_len(1, june24).await.unwrap(),
            1,
            "22-23 covered"
        );
        env.study(1, 6, 22, day(24), &tz).await;
        let s = env.streak(1, 6).await;
        assert_eq!((s.current, s.freezes), (22, 0));
        for user in [5, 6] {
            assert_eq!(
                env.streak(1, user).await,
                env.recomputed(1, user, &tz).await
            );
        }
    })
    .await;
}

#[tokio::test]
async fn what_is_not_a_study_day_and_a_roadmap_change_that_keeps_the_days() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let tz = zone("America/Sao_Paulo");
        let day = |d: u32| at(&tz, &format!("2026-07-{d:02}T10:00"));
        env.study(1, 3, 0, day(1), &tz).await;
        env.study(1, 3, 1, day(2), &tz).await;
        // Marking what is already marked changes nothing, and an undo is not study.
        assert!(
            !env.mark(
                1,
                3,
                "rabbitmq",
                Target::Set(Some(State::Learning)),
                day(3),
                &tz
            )
            .await
        );
        assert!(env.mark(1, 3, "rabbitmq", Target::Undo, day(3), &tz).await);
        assert_eq!(
            env.streak(1, 3).await.last_day,
            Some(day_number(Date::constant(2026, 7, 2)))
        );
        env.study(1, 3, 2, day(4), &tz).await;
        let s = env.streak(1, 3).await;
        assert_eq!((s.current, s.longest), (1, 2), "July 3 had no study");
        // The roadmap changes (to one without any of these items): a start-up after the change
        // recomputes the leaderboards and, when their rules change, the streaks from the log.
        // Days studied on items that left the roadmap stay study days.
        let before = env.streak(1, 3).await;
        let other = trilha::roadmap::load_str(&[("other.toml".into(), generated_roadmap(2, 3))])
            .expect("a generated roadmap");
        let now = day(5);
        env.store
            .rebuild_guild(1, |marks| all_rows(&other, &tz, now, marks))
            .await
            .unwrap();
        assert_eq!(
            env.streak(1, 3).await,
            before,
            "a roadmap change keeps the streak"
        );
        env.store
            .rebuild_streaks(1, |t| day_of(t, &tz))
            .await
            .unwrap();
        assert_eq!(
            env.streak(1, 3).await,
            before,
            "and so does a recomputation"
        );
        // A time zone change moves the days: 10:00 in São Paulo is 03:00 the next day in
        // Kiritimati, so July 1, 2 and 4 become July 2, 3 and 5.
        let kiri = zone("Pacific/Kiritimati");
        env.store
            .rebuild_streaks(1, |t| day_of(t, &kiri))
            .await
            .unwrap();
        let moved = env.streak(1, 3).await;
        assert_eq!(moved.last_day, Some(day_number(Date::constant(2026, 7, 5))));
        assert_eq!((moved.current, moved.longest), (1, 2));
    })
    .await;
}

#[tokio::test]
async fn the_summary_kept_change_by_change_equals_a_recomputation_from_the_log() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let mut rng = StdRng::seed_from_u64(0x005E_ED15);
        for (guild, name) in [
            (1, "America/Sao_Paulo"),
            (2, "Pacific/Kiritimati"),
            (3, "Europe/Lisbon"),
        ] {
            let tz = zone(name);
            // Changes in time order over ~150 days (spanning Lisbon's DST end), with gaps of
            // minutes to days, so streaks grow, freeze, break and restart.
            let mut t = at(&tz, "2026-08-01T08:00");
            let mut events = 0;
            for user in 1..=6u64 {
                let mut now = t + rng.random_range(0..86_400);
                for _ in 0..rng.random_range(20..60) {
                    let item = ITEMS[rng.random_range(0..ITEMS.len())];
                    let target = match rng.random_range(0..10) {
                        0 => Target::Undo,
                        1..=4 => Target::Set(Some(State::Done)),
                        5..=7 => Target::Set(Some(State::Learning)),
                        _ => Target::Set(Some(State::Skipped)),
                    };
                    env.mark(guild, user, item, target, now, &tz).await;
                    events += 1;
                    now += match rng.random_range(0..10) {
                        0..=3 => rng.random_range(60..7_200),
                        4..=7 => rng.random_range(70_000..100_000),
                        8 => rng.random_range(150_000..260_000),
                        _ => rng.random_range(300_000..900_000),
                    };
                }
                t += 3_600;
            }
            assert!(events > 100);
            let mut fast = Vec::new();
            for user in 1..=6 {
                let kept = env.streak(guild, user).await;
                let recomputed = env.recomputed(guild, user, &tz).await;
                assert_eq!(kept, recomputed, "{name}, member {user}");
                fast.push(kept);
            }
            assert!(fast.iter().any(|s| s.longest >= 3), "{fast:?}");
            // The server-wide rebuild (start-up, migration) gives the same rows.
            env.store
                .rebuild_streaks(guild, |at| day_of(at, &tz))
                .await
                .unwrap();
            for user in 1..=6 {
                assert_eq!(env.streak(guild, user).await, fast[user as usize - 1]);
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_streak_board_ranks_live_streaks_and_ties_go_to_who_got_there_first() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let tz = zone("America/Sao_Paulo");
        let day = |d: u32, h: u32| at(&tz, &format!("2026-09-{d:02}T{h:02}:00"));
        // Member 1: Sept 1-3 at 20:00; member 2: Sept 1-3 at 09:00 (reached 3 first);
        // member 3: Sept 1-4; member 4: Sept 1 only.
        for d in 1..=3 {
            env.study(1, 1, d as usize, day(d, 20), &tz).await;
            env.study(1, 2, d as usize, day(d, 9), &tz).await;
        }
        for d in 1..=4 {
            env.study(1, 3, d as usize, day(d, 12), &tz).await;
        }
        env.study(1, 4, 0, day(1, 12), &tz).await;
        // On Sept 4, members 1 and 2 studied yesterday; member 4 missed Sept 2 and 3.
        let sept4 = day_number(Date::constant(2026, 9, 4));
        let board: Vec<(u64, i64)> = env
            .store
            .streak_page(1, sept4, 0, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.user_id, r.done))
            .collect();
        assert_eq!(board, [(3, 4), (2, 3), (1, 3)]);
        assert_eq!(env.store.streak_len(1, sept4).await.unwrap(), 3);
        assert_eq!(
            env.store
                .streak_rank(1, sept4, 1)
                .await
                .unwrap()
                .unwrap()
                .rank,
            3
        );
        assert!(env.store.streak_rank(1, sept4, 4).await.unwrap().is_none());
    })
    .await;
}
