//! The store on real SQLite files with the real migrations.

use std::sync::Arc;

use jiff::tz::TimeZone;
use trilha::progress::change::{Change, Outcome, Target};
use trilha::progress::periods::{Period, starts};
use trilha::progress::tally::{TallyKey, all_rows, all_writes, change_writes};
use trilha::progress::{Mark, State};
use trilha::roadmap::Roadmap;
use trilha::store::Store;

use crate::engines::{Engine, TestDatabase, on_each_engine};
use crate::support::{Sandbox, roadmap};

/// A store on a fresh database, with the shipped roadmap and a server time zone.
struct Env {
    store: Store,
    roadmap: Arc<Roadmap>,
    tz: TimeZone,
    /// Kept alive (and dropped, with a PostgreSQL database) with the store.
    _db: TestDatabase,
}

const NOW: i64 = 1_795_000_000; // 2026-11-18, a Wednesday

impl Env {
    async fn on(db: TestDatabase) -> Env {
        Env {
            store: db.store().await,
            roadmap: roadmap(),
            tz: TimeZone::get("America/Sao_Paulo").unwrap(),
            _db: db,
        }
    }

    async fn apply(&self, guild: u64, user: u64, item: &str, target: Target, at: i64) -> Outcome {
        let change = Change {
            guild,
            user,
            item_id: item,
            target,
            at,
            day: trilha::progress::streak::day_of(at, &self.tz),
            appearance: None,
        };
        self.store
            .apply(&change, |input| {
                change_writes(&self.roadmap, &self.tz, at, item, input)
            })
            .await
            .expect("applies")
    }

    async fn set(&self, guild: u64, user: u64, item: &str, state: State, at: i64) -> Outcome {
        self.apply(guild, user, item, Target::Set(Some(state)), at)
            .await
    }

    fn key(&self, period: Period, at: i64) -> TallyKey {
        TallyKey {
            scope: String::new(),
            period,
            starts: starts(period, at, &self.tz),
        }
    }

    async fn board(&self, guild: u64, period: Period, at: i64) -> Vec<(u64, i64)> {
        self.store
            .leaderboard(guild, &self.key(period, at), 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.user_id, r.done))
            .collect()
    }
}

#[tokio::test]
async fn marking_done_twice_is_one_completion_that_keeps_the_first_time() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let first = env.set(1, 42, "kafka", State::Done, NOW).await;
        assert!(first.changed);
        let second = env.set(1, 42, "kafka", State::Done, NOW + 3600).await;
        assert!(!second.changed);
        assert_eq!(
            second.current.as_ref().unwrap().since,
            NOW,
            "the first time is kept"
        );
        let marks = env.store.member_marks(1, 42).await.unwrap();
        assert_eq!(
            marks,
            vec![Mark {
                item_id: "kafka".into(),
                state: State::Done,
                since: NOW
            }]
        );
        assert_eq!(env.board(1, Period::All, NOW).await, vec![(42, 1)]);
        assert_eq!(
            env.store.item_counts(1).await.unwrap(),
            vec![("kafka".to_string(), 0, 1)]
        );
    })
    .await;
}

#[tokio::test]
async fn every_state_transition_is_recorded_and_counted() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let states = [
            Some(State::Learning),
            Some(State::Done),
            Some(State::Skipped),
            Some(State::Done),
            Some(State::Learning),
            None,
            Some(State::Done),
        ];
        let mut previous = None;
        for (i, to) in states.iter().enumerate() {
            let at = NOW + i as i64 * 60;
            let outcome = env.apply(1, 42, "redis", Target::Set(*to), at).await;
            assert!(outcome.changed, "step {i}");
            assert_eq!(
                outcome.previous.as_ref().map(|m| m.state),
                previous,
                "step {i}"
            );
            assert_eq!(outcome.current.as_ref().map(|m| m.state), *to, "step {i}");
            let done_now = usize::from(*to == Some(State::Done));
            assert_eq!(
                env.board(1, Period::All, at).await.len(),
                done_now,
                "step {i}: ranked only while done"
            );
            let counts = env.store.item_counts(1).await.unwrap();
            let (learning, done) = counts.first().map_or((0, 0), |(_, l, d)| (*l, *d));
            assert_eq!(
                (learning, done),
                (u64::from(*to == Some(State::Learning)), done_now as u64),
                "step {i}"
            );
            previous = *to;
        }
    })
    .await;
}

#[tokio::test]
async fn undo_reverts_the_last_change_then_clears_and_then_has_nothing_to_undo() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        env.set(1, 42, "docker", State::Learning, NOW).await;
        env.set(1, 42, "docker", State::Done, NOW + 10).await;
        let undo = env.apply(1, 42, "docker", Target::Undo, NOW + 20).await;
        assert_eq!(
            undo.current.map(|m| m.state),
            Some(State::Learning),
            "back to what it was"
        );
        assert!(
            env.board(1, Period::All, NOW).await.is_empty(),
            "an undone completion is not ranked"
        );
        let again = env.apply(1, 42, "docker", Target::Undo, NOW + 30).await;
        assert_eq!(again.current, None, "undoing an undo clears the item");
        let nothing = env.apply(1, 42, "docker", Target::Undo, NOW + 40).await;
        assert!(nothing.nothing_to_undo && !nothing.changed);
        let never = env.apply(1, 42, "kafka", Target::Undo, NOW).await;
        assert!(
            never.nothing_to_undo,
            "an item never marked has nothing to undo"
        );
    })
    .await;
}

#[tokio::test]
async fn weekly_and_monthly_boards_follow_the_servers_time_zone() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        // Sunday 2026-11-29 23:50 in São Paulo (UTC-3) = Monday 02:50 UTC.
        let sunday_night = "2026-11-30T02:50:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        // Monday 2026-11-30 00:10 in São Paulo.
        let monday_morning = "2026-11-30T03:10:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        env.set(1, 1, "kafka", State::Done, sunday_night).await;
        env.set(1, 2, "kafka", State::Done, monday_morning).await;
        assert_eq!(
            env.board(1, Period::Week, sunday_night).await,
            vec![(1, 1)],
            "Sunday night is the old week"
        );
        assert_eq!(
            env.board(1, Period::Week, monday_morning).await,
            vec![(2, 1)],
            "Monday morning is the new week"
        );
        // Both are in November in São Paulo, though member 2's UTC date is already the 30th.
        let end_of_month = "2026-12-01T02:30:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second(); // Nov 30, 23:30 local
        env.set(1, 3, "kafka", State::Done, end_of_month).await;
        assert_eq!(
            env.board(1, Period::Month, end_of_month).await.len(),
            3,
            "all three in November, local time"
        );
        let december = "2026-12-01T03:30:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second(); // Dec 1, 00:30 local
        env.set(1, 4, "kafka", State::Done, december).await;
        assert_eq!(env.board(1, Period::Month, december).await, vec![(4, 1)]);
    })
    .await;
}

#[tokio::test]
async fn ties_go_to_who_got_there_first() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        env.set(1, 10, "kafka", State::Done, NOW).await;
        env.set(1, 10, "redis", State::Done, NOW + 500).await; // reached 2 at +500
        env.set(1, 20, "kafka", State::Done, NOW + 100).await;
        env.set(1, 20, "redis", State::Done, NOW + 200).await; // reached 2 at +200: first
        env.set(1, 30, "git", State::Done, NOW + 50).await; // 1 only
        env.set(1, 5, "kafka", State::Done, NOW + 500).await;
        env.set(1, 5, "redis", State::Done, NOW + 500).await; // 2 at +500, same second as user 10: smaller id first
        assert_eq!(
            env.board(1, Period::All, NOW).await,
            vec![(20, 2), (5, 2), (10, 2), (30, 1)]
        );
        let key = env.key(Period::All, NOW);
        for (user, rank) in [(20, 1), (5, 2), (10, 3), (30, 4)] {
            assert_eq!(
                env.store
                    .leaderboard_rank(1, &key, user)
                    .await
                    .unwrap()
                    .unwrap()
                    .rank,
                rank,
                "user {user}"
            );
        }
        assert_eq!(env.store.leaderboard_rank(1, &key, 99).await.unwrap(), None);
        assert_eq!(env.store.leaderboard_len(1, &key).await.unwrap(), 4);
        let page2: Vec<u64> = env
            .store
            .leaderboard(1, &key, 2, 2)
            .await
            .unwrap()
            .iter()
            .map(|r| r.rank)
            .collect();
        assert_eq!(page2, vec![3, 4]);
    })
    .await;
}

#[tokio::test]
async fn two_servers_never_see_each_others_data() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        env.set(100, 42, "kafka", State::Done, NOW).await;
        env.set(100, 43, "redis", State::Learning, NOW).await;
        env.set(200, 42, "git", State::Done, NOW).await;
        assert_eq!(env.board(100, Period::All, NOW).await, vec![(42, 1)]);
        assert_eq!(env.board(200, Period::All, NOW).await, vec![(42, 1)]);
        assert_eq!(
            env.store.member_marks(100, 42).await.unwrap()[0].item_id,
            "kafka"
        );
        assert_eq!(
            env.store.member_marks(200, 42).await.unwrap()[0].item_id,
            "git"
        );
        assert!(env.store.member_marks(200, 43).await.unwrap().is_empty());
        let counts_b = env.store.item_counts(200).await.unwrap();
        assert_eq!(counts_b, vec![("git".to_string(), 0, 1)]);
        let undo_in_b = env.apply(200, 42, "kafka", Target::Undo, NOW).await;
        assert!(
            undo_in_b.nothing_to_undo,
            "server B cannot undo server A's mark"
        );
        assert_eq!(env.board(100, Period::All, NOW).await, vec![(42, 1)]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_done_for_one_member_make_exactly_one_completion() {
    on_each_engine(|db| async move {
        let env = Arc::new(Env::on(db).await);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let env = env.clone();
            tasks.push(tokio::spawn(async move {
                env.set(1, 42, "kafka", State::Done, NOW + i).await
            }));
        }
        let mut changed = 0;
        for t in tasks {
            changed += usize::from(t.await.unwrap().changed);
        }
        assert_eq!(changed, 1, "exactly one of the 50 writes changed anything");
        assert_eq!(env.board(1, Period::All, NOW).await, vec![(42, 1)]);
        assert_eq!(
            env.store.item_counts(1).await.unwrap(),
            vec![("kafka".to_string(), 0, 1)]
        );
        // The event log holds one change.
        let again = env.apply(1, 42, "kafka", Target::Undo, NOW + 100).await;
        assert_eq!(again.current, None, "the only event was pending -> done");
    })
    .await;
}

#[tokio::test]
async fn rows_written_by_a_process_that_is_gone_are_all_there() {
    on_each_engine(|db| async move {
        for item in ["kafka", "redis", "git"] {
            let out = db.ask(&[&format!("/done {item}"), "--guild", "7", "--user", "42"]);
            assert!(out.status.success(), "{out:?}");
        }
        let out = db.ask(&["/learning docker", "--guild", "7", "--user", "43"]);
        assert!(out.status.success());
        // Every `trilha ask` process has exited; open the database fresh.
        let store = db.store().await;
        let marks: Vec<(String, State)> = store
            .member_marks(7, 42)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.item_id, m.state))
            .collect();
        assert_eq!(
            marks,
            vec![
                ("git".into(), State::Done),
                ("kafka".into(), State::Done),
                ("redis".into(), State::Done)
            ]
        );
        assert_eq!(
            store.member_marks(7, 43).await.unwrap()[0].state,
            State::Learning
        );
        let key = TallyKey {
            scope: String::new(),
            period: Period::All,
            starts: 0,
        };
        assert_eq!(
            store
                .leaderboard_rank(7, &key, 42)
                .await
                .unwrap()
                .unwrap()
                .done,
            3
        );
    })
    .await;
}

#[tokio::test]
async fn members_who_leave_are_not_ranked_and_count_again_when_they_return() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        env.set(1, 42, "kafka", State::Done, NOW).await;
        env.set(1, 43, "kafka", State::Done, NOW).await;
        env.store.member_left(1, 43, NOW + 10).await.unwrap();
        assert_eq!(env.board(1, Period::All, NOW).await, vec![(42, 1)]);
        assert_eq!(
            env.store.member_marks(1, 43).await.unwrap().len(),
            1,
            "their progress is kept"
        );
        let rejoined = env
            .store
            .member_present(1, 43, NOW + 20, &Default::default(), |marks| {
                all_writes(&env.roadmap, &env.tz, NOW + 20, marks)
            })
            .await
            .unwrap();
        assert!(rejoined);
        assert_eq!(
            env.board(1, Period::All, NOW).await.len(),
            2,
            "counted again"
        );
        assert_eq!(
            env.store
                .members_to_check(1, &[42, 43, 44], NOW)
                .await
                .unwrap(),
            vec![42, 43, 44],
            "44 was never seen; 42 and 43 were, but nobody saw their names yet"
        );
        let named = |name: &str| trilha::guild::Appearance {
            name: Some(name.into()),
            avatar_hash: None,
        };
        env.store
            .members_confirmed(1, &[(42, named("Ana")), (43, named("Bia"))], NOW + 30)
            .await
            .unwrap();
        assert_eq!(
            env.store
                .members_to_check(1, &[42, 43, 44], NOW)
                .await
                .unwrap(),
            vec![44],
            "44 was never seen"
        );
    })
    .await;
}

#[tokio::test]
async fn how_members_appear_is_kept_for_pictures_and_follows_their_changes() {
    use trilha::guild::Appearance;
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let ana = Appearance {
            name: Some("Ana 🇧🇷".into()),
            avatar_hash: Some("a_1f2e".into()),
        };
        let present = |user: u64, at: i64, appearance: Appearance| {
            let env = &env;
            async move {
                env.store
                    .member_present(1, user, at, &appearance, |marks| {
                        all_writes(&env.roadmap, &env.tz, at, marks)
                    })
                    .await
                    .unwrap()
            }
        };
        present(42, NOW, ana.clone()).await;
        assert_eq!(
            env.store.member_seen_since(1, 42, NOW).await.unwrap(),
            Some(ana.clone()),
            "seen now, as they appeared"
        );
        assert_eq!(
            env.store.member_seen_since(1, 42, NOW + 1).await.unwrap(),
            None
        );
        let renamed = Appearance {
            name: Some("Ana Souza".into()),
            avatar_hash: None,
        };
        present(42, NOW + 10, renamed.clone()).await;
        // A look-up confirms another member, as Discord shows them; one never seen has no row.
        let bia = Appearance {
            name: Some("Bia".into()),
            avatar_hash: Some("b2".into()),
        };
        env.store
            .members_confirmed(1, &[(43, bia.clone())], NOW + 20)
            .await
            .unwrap();
        let mut seen = env.store.appearances(1, &[42, 43, 44]).await.unwrap();
        seen.sort_by_key(|(user, _)| *user);
        assert_eq!(seen, vec![(42, renamed), (43, bia)]);
        assert!(
            env.store.appearances(2, &[42]).await.unwrap().is_empty(),
            "another server knows nothing of them"
        );
    })
    .await;
}

#[tokio::test]
async fn an_item_that_leaves_the_roadmap_counts_nowhere_and_counts_again_when_it_returns() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        env.set(1, 42, "kafka", State::Done, NOW).await;
        env.set(1, 42, "redis", State::Done, NOW).await;
        // The same roadmap without Kafka.
        let source =
            std::fs::read_to_string(crate::support::repo().join("roadmap/backend.toml")).unwrap();
        let start = source.find("  id = \"kafka\"").unwrap();
        let block_start = source[..start].rfind("[[section.item]]").unwrap();
        let block_end = start + source[start..].find("[[section.item]]").unwrap();
        let without = format!("{}{}", &source[..block_start], &source[block_end..])
            .replace("related = [\"kafka\"]", "");
        let smaller =
            trilha::roadmap::load_str(&[("backend.toml".into(), without)]).expect("still valid");
        assert!(smaller.item_by_id("kafka").is_none());
        env.store
            .rebuild_guild(1, |marks| all_rows(&smaller, &env.tz, NOW, marks))
            .await
            .unwrap();
        assert_eq!(
            env.board(1, Period::All, NOW).await,
            vec![(42, 1)],
            "only redis counts"
        );
        assert_eq!(
            env.store.member_marks(1, 42).await.unwrap().len(),
            2,
            "the kafka row is kept"
        );
        env.store
            .rebuild_guild(1, |marks| all_rows(&env.roadmap, &env.tz, NOW, marks))
            .await
            .unwrap();
        assert_eq!(
            env.board(1, Period::All, NOW).await,
            vec![(42, 2)],
            "kafka counts again"
        );
    })
    .await;
}

#[tokio::test]
async fn changing_the_time_zone_moves_completions_between_weeks() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        // Monday 2026-11-30 01:00 UTC: still Sunday in São Paulo, already Monday in Lisbon (UTC+0).
        let at = "2026-11-30T01:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        env.set(1, 42, "kafka", State::Done, at).await;
        let lisbon = TimeZone::get("Europe/Lisbon").unwrap();
        let monday_lisbon = TallyKey {
            scope: String::new(),
            period: Period::Week,
            starts: starts(Period::Week, at, &lisbon),
        };
        assert!(
            env.store
                .leaderboard(1, &monday_lisbon, 0, 10)
                .await
                .unwrap()
                .is_empty()
        );
        env.store
            .set_timezone(1, "Europe/Lisbon", at, |marks| {
                all_rows(&env.roadmap, &lisbon, at, marks)
            })
            .await
            .unwrap();
        assert_eq!(
            env.store.guild_settings(1).await.unwrap().timezone,
            "Europe/Lisbon"
        );
        assert_eq!(
            env.store
                .leaderboard(1, &monday_lisbon, 0, 10)
                .await
                .unwrap()
                .len(),
            1,
            "now in Lisbon's new week"
        );
    })
    .await;
}

#[tokio::test]
async fn sizes_and_ranks_stay_exact_through_any_sequence_of_changes() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let items = [
            "kafka",
            "redis",
            "git",
            "docker",
            "postgresql",
            "mongodb",
            "java",
            "rest",
        ];
        let targets = [
            Target::Set(Some(State::Done)),
            Target::Set(Some(State::Learning)),
            Target::Set(Some(State::Skipped)),
            Target::Set(None),
            Target::Undo,
        ];
        // A small deterministic generator (no extra crate for one test).
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut tz = env.tz.clone();
        // Who has left the server (not ranked), as the sequence goes.
        let mut left = std::collections::BTreeSet::new();
        for step in 0..200 {
            let user = 1 + next(12);
            let at = NOW + step * 3600; // across several days, weeks and months
            match next(20) {
                0 => {
                    env.store.member_left(1, user, at).await.unwrap();
                    left.insert(user);
                }
                1 => {
                    left.remove(&user);
                    env.store
                        .member_present(1, user, at, &Default::default(), |marks| {
                            all_writes(&env.roadmap, &tz, at, marks)
                        })
                        .await
                        .unwrap();
                }
                2 if step == 120 => {
                    tz = TimeZone::get("Asia/Kathmandu").unwrap(); // +05:45
                    let zone = tz.clone();
                    env.store
                        .set_timezone(1, "Asia/Kathmandu", at, |marks| {
                            all_rows(&env.roadmap, &zone, at, marks)
                        })
                        .await
                        .unwrap();
                }
                3 if step == 160 => {
                    env.store
                        .rebuild_guild(1, |marks| all_rows(&env.roadmap, &tz, at, marks))
                        .await
                        .unwrap();
                }
                _ => {
                    let item = items[next(items.len() as u64) as usize];
                    let target = targets[next(targets.len() as u64) as usize];
                    let change = Change {
                        guild: 1,
                        user,
                        item_id: item,
                        target,
                        at,
                        day: trilha::progress::streak::day_of(at, &tz),
                        appearance: None,
                    };
                    let outcome = env
                        .store
                        .apply(&change, |input| {
                            change_writes(&env.roadmap, &tz, at, item, input)
                        })
                        .await
                        .unwrap();
                    if outcome.changed {
                        left.remove(&user); // acting in the server means being in it
                    }
                }
            }
        }
        let end = NOW + 199 * 3600;
        let mut boards = 0;
        for scope in ["", "message-brokers", "databases", "version-control"] {
            for period in Period::ALL {
                let key = TallyKey {
                    scope: scope.into(),
                    period,
                    starts: starts(period, end, &tz),
                };
                let all = env.store.leaderboard(1, &key, 0, 1000).await.unwrap();
                // The oracle: the same board computed from the progress rows alone.
                let mut expected = Vec::new();
                for user in (1..=12u64).filter(|u| !left.contains(u)) {
                    let marks = env.store.member_marks(1, user).await.unwrap();
                    let counted: Vec<&Mark> = marks
                        .iter()
                        .filter(|m| m.state == State::Done)
                        .filter(|m| {
                            env.roadmap.item_by_id(&m.item_id).is_some_and(|i| {
                                scope.is_empty()
                                    || env.roadmap.section(env.roadmap.item(i).section).id == scope
                            })
                        })
                        .filter(|m| period == Period::All || m.since >= key.starts)
                        .collect();
                    if let Some(reached_at) = counted.iter().map(|m| m.since).max() {
                        expected.push((counted.len() as i64, reached_at, user));
                    }
                }
                expected.sort_by_key(|&(done, reached_at, user)| (-done, reached_at, user));
                let found: Vec<(i64, i64, u64)> = all
                    .iter()
                    .map(|r| (r.done, r.reached_at, r.user_id))
                    .collect();
                assert_eq!(found, expected, "{key:?} against the progress rows");
                assert_eq!(
                    env.store.leaderboard_len(1, &key).await.unwrap(),
                    all.len() as u64,
                    "size of {key:?}"
                );
                for (position, row) in all.iter().enumerate() {
                    let rank = env
                        .store
                        .leaderboard_rank(1, &key, row.user_id)
                        .await
                        .unwrap()
                        .unwrap();
                    assert_eq!(
                        rank.rank,
                        position as u64 + 1,
                        "rank of {} in {key:?}",
                        row.user_id
                    );
                    assert_eq!(rank.done, row.done);
                }
                boards += usize::from(!all.is_empty());
            }
        }
        assert!(
            boards >= 6,
            "the sequence left several non-empty boards ({boards})"
        );
    })
    .await;
}

/// A downgrade: the database was migrated by a newer trilha. The older build must refuse it and
/// say what to do, and leave the data as it was.
#[tokio::test]
async fn a_database_from_a_newer_trilha_is_refused_with_what_to_do() {
    on_each_engine(|db| async move {
        db.store().await.close().await;
        // What a newer release's migration leaves behind, written the way sqlx records it.
        let checksum = match db.engine {
            Engine::Sqlite => "x'00'",
            Engine::Postgres => "decode('00', 'hex')",
        };
        db.execute(&format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (9001, 'from the future', TRUE, {checksum}, 0)"
        ))
        .await;
        let error = trilha::store::Store::connect(&db.database())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("was upgraded by a newer trilha")
                && error.contains("migration 9001")
                && error.contains("restore the backup"),
            "{error}"
        );
    })
    .await;
}

/// A 0-byte file where the database should be is a failed restore or copy, not a new community:
/// refused with what to do, and left exactly as it was.
#[tokio::test]
async fn an_empty_database_file_is_refused_instead_of_starting_an_empty_community() {
    let sandbox = Sandbox::new();
    let path = sandbox.database();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"").unwrap();
    let error = Store::open(&path).await.unwrap_err().to_string();
    assert!(
        error.contains("is empty (0 bytes)")
            && error.contains("Restore it from a backup")
            && error.contains("delete the file to start fresh"),
        "{error}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "left untouched");
    // The bot refuses to start on it too, with the same explanation.
    let out = sandbox.ask(&["/progress", "--guild", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        crate::support::stderr(&out).contains("is empty (0 bytes)"),
        "{out:?}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Progress and member ids are nobody else's business: the database and its `-wal` and `-shm`
/// are readable by their owner only, including a database an older release created 0644.
#[tokio::test]
async fn database_files_are_private_to_their_owner() {
    let sandbox = Sandbox::new();
    let path = sandbox.database();
    let store = Store::open(&path).await.unwrap();
    store.set_meta("probe", "1").await.unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    assert_eq!(
        mode(path.parent().unwrap()),
        0o700,
        "the folder trilha made"
    );
    store.close().await;

    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::open(&path).await.unwrap();
    assert_eq!(mode(&path), 0o600, "an existing database is made private");
    store.close().await;
}

/// "Popular here" and the heat map count members still in the server, like the leaderboards:
/// leaving takes a member's marks out of the counts once, coming back (by acting, or by Discord
/// saying they joined) puts them back, and a rebuild agrees.
#[tokio::test]
async fn item_counts_are_of_members_still_in_the_server() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        env.set(1, 1, "kafka", State::Done, NOW).await;
        env.set(1, 1, "redis", State::Learning, NOW).await;
        env.set(1, 2, "kafka", State::Done, NOW).await;
        let counts = |env: &Env| {
            let store = env.store.clone();
            async move {
                let mut c = store.item_counts(1).await.unwrap();
                c.sort();
                c
            }
        };
        let both = vec![("kafka".to_string(), 0, 2), ("redis".to_string(), 1, 0)];
        assert_eq!(counts(&env).await, both);
        env.store.member_left(1, 1, NOW + 10).await.unwrap();
        env.store.member_left(1, 1, NOW + 20).await.unwrap();
        assert_eq!(
            counts(&env).await,
            vec![("kafka".to_string(), 0, 1)],
            "once"
        );
        // Back by marking something: their marks count again, with the new one.
        env.set(1, 1, "git", State::Done, NOW + 30).await;
        let back = vec![
            ("git".to_string(), 0, 1),
            ("kafka".to_string(), 0, 2),
            ("redis".to_string(), 1, 0),
        ];
        assert_eq!(counts(&env).await, back);
        // Back by Discord's word (presence), after leaving again.
        env.store.member_left(1, 2, NOW + 40).await.unwrap();
        assert_eq!(counts(&env).await[1], ("kafka".to_string(), 0, 1));
        env.store
            .member_present(1, 2, NOW + 50, &Default::default(), |marks| {
                all_writes(&env.roadmap, &env.tz, NOW + 50, marks)
            })
            .await
            .unwrap();
        assert_eq!(counts(&env).await, back);
        // A rebuild from the progress rows agrees.
        env.store.member_left(1, 2, NOW + 60).await.unwrap();
        let before = counts(&env).await;
        env.store
            .rebuild_guild(1, |marks| all_rows(&env.roadmap, &env.tz, NOW + 60, marks))
            .await
            .unwrap();
        assert_eq!(counts(&env).await, before);
        assert_eq!(before[1], ("kafka".to_string(), 0, 1));
    })
    .await;
}

#[tokio::test]
async fn a_role_given_for_a_reward_removed_meanwhile_leaves_no_record() {
    on_each_engine(|db| async move {
        let env = Env::on(db).await;
        let reward = trilha::recognition::Achievement::Items(1);
        let id = env
            .store
            .add_reward(1, &reward, 500, false, 9, NOW)
            .await
            .unwrap();
        env.store.record_reward(1, 42, id, true, NOW).await.unwrap();
        assert_eq!(env.store.member_rewards(1, 42).await.unwrap(), [id]);
        // Removed while a check was talking to Discord: its late record is dropped, so a new
        // reward that reuses the id is not mistaken for given.
        assert!(env.store.remove_reward(1, id).await.unwrap());
        env.store.record_reward(1, 43, id, true, NOW).await.unwrap();
        assert!(env.store.member_rewards(1, 43).await.unwrap().is_empty());
        let again = env
            .store
            .add_reward(1, &reward, 501, false, 9, NOW)
            .await
            .unwrap();
        assert!(
            !env.store
                .member_rewards(1, 43)
                .await
                .unwrap()
                .contains(&again)
        );
        assert!(env.store.member_rewards(1, 42).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_upkeep_runs_in_one_process_at_a_time_and_never_keeps_the_lock() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    on_each_engine(|db| async move {
        // Two stores on one database: two processes starting together.
        let (a, b) = (db.store().await, db.store().await);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let work = || {
            let (running, most, done) = (running.clone(), most.clone(), done.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            }
        };
        let (x, y) = tokio::join!(a.exclusively(7, work()), b.exclusively(7, work()));
        x.unwrap();
        y.unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 2, "both ran");
        if db.engine == Engine::Postgres {
            assert_eq!(
                most.load(Ordering::SeqCst),
                1,
                "one at a time across processes"
            );
        }
        // The lock was released: a third taker gets it at once.
        let third = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            a.exclusively(7, async { 3 }),
        )
        .await
        .expect("the lock is free")
        .unwrap();
        assert_eq!(third, 3);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_waits_for_the_start_up_lock_longer_than_a_members_write_would() {
    on_each_engine(|db| async move {
        // Members' writes give up on a lock after 5 s; the start-up and IDENTIFY turns hold
        // theirs longer (all of a process's shards connecting), and the others must wait. On
        // SQLite there is one process and nothing to wait for.
        let (a, b) = (db.store().await, db.store().await);
        let (held, waited) = tokio::join!(
            a.exclusively(9, tokio::time::sleep(std::time::Duration::from_secs(6))),
            async {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                let asked = std::time::Instant::now();
                b.exclusively(9, async move { asked.elapsed() }).await
            }
        );
        held.unwrap();
        let waited = waited.expect("the second taker waits instead of failing");
        match db.engine {
            Engine::Postgres => assert!(
                waited > std::time::Duration::from_secs(5),
                "it got the lock after the holder: {waited:?}"
            ),
            Engine::Sqlite => assert!(
                waited < std::time::Duration::from_secs(1),
                "one process: no lock to wait for: {waited:?}"
            ),
        }
    })
    .await;
}
