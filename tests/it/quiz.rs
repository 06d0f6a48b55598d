//! The quiz on real databases (every engine), through the same dispatch the bot runs: rotation,
//! verification, the lock after a wrong answer, refused buttons, and answer buttons that reveal
//! nothing.

use std::sync::Arc;

use trilha::app::App;
use trilha::clock::Clock;
use trilha::commands::{self, Args, Caller, Invocation, Press, Value};
use trilha::component::ComponentId;
use trilha::i18n::Locale;
use trilha::lookups::Offline;
use trilha::reply::{ButtonAction, Reply};

use crate::engines::{TestDatabase, on_each_engine};
use crate::support::roadmap;

const GUILD: u64 = 5;
const T0: i64 = 1_795_000_000;

fn app(db_store: trilha::store::Store, now: i64) -> App {
    App::new(roadmap(), db_store, Clock::Fixed(now))
}

fn caller(user: u64) -> Caller {
    Caller {
        user_id: user,
        guild_id: Some(GUILD),
        channel_id: None,
        locale: Locale::PtBr,
        guild_locale: None,
        can_manage_guild: false,
        names: vec![],
        avatar: None,
    }
}

async fn quiz(app: &App, user: u64, topic: &str) -> Reply {
    let invocation = Invocation {
        command: commands::command("quiz").unwrap(),
        subcommand: None,
        args: Args(
            [("topic", Value::String(topic.into()))]
                .into_iter()
                .collect(),
        ),
        caller: caller(user),
    };
    commands::respond(app, &Offline, &invocation).await
}

async fn press(app: &App, user: u64, custom_id: &str) -> Reply {
    commands::press(
        app,
        &Offline,
        &Press {
            custom_id: custom_id.into(),
            caller: caller(user),
        },
    )
    .await
}

/// The four answer buttons' custom_ids, in order.
fn answer_ids(reply: &Reply) -> Vec<String> {
    reply.rows[0]
        .iter()
        .map(|b| match &b.action {
            ButtonAction::Custom(id) => id.clone(),
            ButtonAction::Link(_) => panic!("a link button"),
        })
        .collect()
}

fn ask_of(reply: &Reply) -> u64 {
    match ComponentId::parse(&answer_ids(reply)[0]) {
        Some(ComponentId::QuizAnswer { ask, .. }) => ask,
        other => panic!("not a question: {other:?}"),
    }
}

/// What an informed member presses: the right button (read from the database, as only the bot
/// can) or a wrong one.
async fn answer(app: &App, user: u64, question: &Reply, right: bool) -> Reply {
    let ask = app.store.quiz_ask(ask_of(question)).await.unwrap().unwrap();
    let slot = if right {
        ask.correct_slot()
    } else {
        (ask.correct_slot() + 1) % 4
    };
    press(app, user, &answer_ids(question)[usize::from(slot)]).await
}

fn text(reply: &Reply) -> String {
    let mut out = reply.content.clone().unwrap_or_default();
    for e in &reply.embeds {
        out.push_str(&e.title);
        out.push('\n');
        out.push_str(&e.description);
        for f in &e.fields {
            out.push_str(&f.value);
        }
    }
    out
}

#[tokio::test]
async fn two_right_answers_in_a_row_on_different_questions_verify_the_item() {
    on_each_engine(|db: TestDatabase| async move {
        let app = app(db.store().await, T0);
        let first = quiz(&app, 1, "kafka").await;
        assert!(
            text(&first).contains("Quiz: Apache Kafka"),
            "{}",
            text(&first)
        );
        assert!(first.violations().is_empty(), "{:?}", first.violations());
        let verdict = answer(&app, 1, &first, true).await;
        assert!(text(&verdict).contains("Certo"), "{}", text(&verdict));
        assert!(text(&verdict).contains("Acerte mais uma pergunta diferente"));
        assert!(app.store.verified_items(GUILD, 1).await.unwrap().is_empty());

        // The next question is another one (rotation), and a second right answer verifies.
        let second = quiz(&app, 1, "kafka").await;
        let (a, b) = (
            app.store.quiz_ask(ask_of(&first)).await.unwrap().unwrap(),
            app.store.quiz_ask(ask_of(&second)).await.unwrap().unwrap(),
        );
        assert_ne!(a.question, b.question);
        let verdict = answer(&app, 1, &second, true).await;
        assert!(text(&verdict).contains("verificado"), "{}", text(&verdict));
        let verified = app.store.verified_items(GUILD, 1).await.unwrap();
        assert_eq!(verified, vec![("kafka".to_string(), T0)]);

        // A wrong answer in between breaks the run: right, wrong, (lock over) right is not enough.
        let q = quiz(&app, 2, "redis").await;
        answer(&app, 2, &q, true).await;
        let q = quiz(&app, 2, "redis").await;
        answer(&app, 2, &q, false).await;
        let later = self::app(db.store().await, T0 + 31 * 60);
        let q = quiz(&later, 2, "redis").await;
        answer(&later, 2, &q, true).await;
        assert!(
            later
                .store
                .verified_items(GUILD, 2)
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_wrong_answer_locks_the_items_quiz_for_thirty_minutes() {
    on_each_engine(|db| async move {
        let app = app(db.store().await, T0);
        let q = quiz(&app, 1, "docker").await;
        let verdict = answer(&app, 1, &q, false).await;
        assert!(
            text(&verdict).contains("Não foi dessa vez"),
            "{}",
            text(&verdict)
        );
        let until = T0 + 30 * 60;
        assert!(
            text(&verdict).contains(&format!("<t:{until}:R>")),
            "{}",
            text(&verdict)
        );
        let next = verdict.rows[1][0].clone();
        assert!(next.disabled, "no next question while locked");

        let soon = self::app(db.store().await, T0 + 29 * 60);
        let locked = quiz(&soon, 1, "docker").await;
        assert!(
            text(&locked).contains(&format!("<t:{until}:R>")),
            "{}",
            text(&locked)
        );
        assert!(locked.rows.is_empty(), "no question while locked");
        // Other items are not locked.
        assert!(text(&quiz(&soon, 1, "git").await).contains("Quiz: Git"));
        let after = self::app(db.store().await, T0 + 30 * 60 + 1);
        assert!(text(&quiz(&after, 1, "docker").await).contains("Quiz: Docker"));
    })
    .await;
}

#[tokio::test]
async fn replayed_forged_tampered_and_old_buttons_are_refused_and_change_nothing() {
    on_each_engine(|db| async move {
        let app = app(db.store().await, T0);
        let q = quiz(&app, 1, "kafka").await;
        let ids = answer_ids(&q);
        let ask = ask_of(&q);
        // Forged: another member presses the first member's buttons.
        let forged = press(&app, 2, &ids[0]).await;
        assert!(
            text(&forged).contains("é de outra pessoa"),
            "{}",
            text(&forged)
        );
        // Tampered: an id no question has.
        let tampered = press(&app, 1, &format!("v1|qz|{}|0", ask ^ 1)).await;
        assert!(
            text(&tampered).contains("Não encontrei esta pergunta"),
            "{}",
            text(&tampered)
        );
        assert_eq!(
            press(&app, 1, "v1|qz|x|0").await.embeds.len(),
            1,
            "garbage is stale"
        );
        let untouched = app.store.quiz_ask(ask).await.unwrap().unwrap();
        assert_eq!(untouched.answer, None, "nothing answered the question");
        // Old: past the time to answer.
        let late = self::app(db.store().await, T0 + 16 * 60);
        let old = press(&late, 1, &ids[0]).await;
        assert!(text(&old).contains("expirou"), "{}", text(&old));
        assert_eq!(
            late.store.quiz_ask(ask).await.unwrap().unwrap().answer,
            None
        );
        // Replayed: answered once, the same press again is refused and the first answer stays.
        let q = quiz(&app, 1, "kafka").await;
        let first = answer(&app, 1, &q, true).await;
        assert!(text(&first).contains("Certo"));
        let recorded = app
            .store
            .quiz_ask(ask_of(&q))
            .await
            .unwrap()
            .unwrap()
            .answer;
        for id in answer_ids(&q) {
            let replay = press(&app, 1, &id).await;
            assert!(
                text(&replay).contains("já foi respondida"),
                "{}",
                text(&replay)
            );
        }
        assert_eq!(
            app.store
                .quiz_ask(ask_of(&q))
                .await
                .unwrap()
                .unwrap()
                .answer,
            recorded
        );
        assert!(app.store.verified_items(GUILD, 1).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn every_question_of_an_item_is_asked_before_any_repeats() {
    on_each_engine(|db| async move {
        let app = app(db.store().await, T0);
        let roadmap = roadmap();
        for item in ["kafka", "postgresql", "singleton"] {
            let count = roadmap
                .questions_of(roadmap.item_by_id(item).unwrap())
                .count();
            assert!(count >= 3);
            let mut asked = Vec::new();
            for _ in 0..count * 3 {
                let q = quiz(&app, 7, item).await;
                asked.push(
                    app.store
                        .quiz_ask(ask_of(&q))
                        .await
                        .unwrap()
                        .unwrap()
                        .question,
                );
            }
            for round in asked.chunks(count) {
                let distinct: std::collections::BTreeSet<_> = round.iter().collect();
                assert_eq!(
                    distinct.len(),
                    count,
                    "{item}: a round repeats a question: {asked:?}"
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn the_right_button_is_uniform_and_the_four_ids_differ_only_by_their_letter() {
    on_each_engine(|db| async move {
        let app = Arc::new(app(db.store().await, T0));
        let mut right = [0u32; 4];
        let mut agrees_with_id = 0;
        let n = 800;
        for i in 0..n {
            let q = quiz(&app, 100 + i, "kafka").await;
            let ids = answer_ids(&q);
            let ask = ask_of(&q);
            // Nothing but the letter varies between the four ids of a question.
            let expected: Vec<String> = (0..4).map(|slot| format!("v1|qz|{ask}|{slot}")).collect();
            assert_eq!(ids, expected);
            let labels: Vec<&str> = q.rows[0].iter().map(|b| b.label.as_str()).collect();
            assert_eq!(labels, ["A", "B", "C", "D"]);
            let slot = app
                .store
                .quiz_ask(ask)
                .await
                .unwrap()
                .unwrap()
                .correct_slot();
            right[usize::from(slot)] += 1;
            agrees_with_id += u32::from(ask % 4 == u64::from(slot));
        }
        // Chi-square against uniform, 3 degrees of freedom: 16.27 is the 0.1% critical value.
        let expected = f64::from(n as u32) / 4.0;
        let chi: f64 = right
            .iter()
            .map(|&o| (f64::from(o) - expected).powi(2) / expected)
            .sum();
        assert!(
            chi < 16.27,
            "the right answer is not uniform over the buttons: {right:?} (χ² {chi:.1})"
        );
        // The random id says nothing about the right button either.
        let share = f64::from(agrees_with_id) / n as f64;
        assert!((0.19..0.31).contains(&share), "{share}");
    })
    .await;
}

#[test]
fn every_shipped_item_has_three_questions_and_every_view_fits_discords_limits() {
    use trilha::quiz::records::Ask;
    use trilha::render::quiz::{Verdict, question, verdict};
    let roadmap = roadmap();
    for (item, it) in roadmap.items() {
        assert!(
            roadmap.questions_of(item).count() >= 3,
            "{} has fewer than 3 questions",
            it.id
        );
    }
    assert!(roadmap.questions().len() >= 3 * roadmap.item_count());
    for q in roadmap.questions() {
        let ask = Ask {
            id: u64::MAX >> 2,
            guild: 1,
            user: 1,
            item_id: roadmap.item(q.item).id.clone(),
            question: q.key.clone(),
            order: [3, 1, 0, 2],
            asked_at: 0,
            answer: None,
        };
        for locale in Locale::ALL {
            let asked = question(&roadmap, q, &ask, locale);
            let judged = verdict(
                &roadmap,
                q,
                &ask,
                &Verdict {
                    slot: 0,
                    correct: false,
                    verified_now: false,
                    verified_before: false,
                    locked_until: Some(1_800_000_000),
                },
                locale,
            );
            for reply in [asked, judged] {
                assert!(
                    reply.violations().is_empty(),
                    "{}: {:?}",
                    q.key,
                    reply.violations()
                );
                let body =
                    serde_json::to_value(trilha::discord::convert::response(&reply)).unwrap();
                let refused = local_discord::rules::interaction_response(&body);
                assert!(refused.is_empty(), "{}: {refused:?}", q.key);
            }
        }
    }
}

#[test]
fn broken_quiz_files_are_reported_with_file_line_and_field() {
    let roadmap_file =
        std::fs::read_to_string(crate::support::repo().join("roadmap/backend.toml")).unwrap();
    let quiz = r#"[[question]]
item = "kafka"
question.pt-BR = "P?"
question.en = "Q?"
answer.pt-BR = "A"
answer.en = "A"
wrong.pt-BR = ["B", "C"]
wrong.en = ["B", "C", "D"]
explanation.pt-BR = "E."
explanation.en = "E."

[[question]]
item = "kafkaa"
question.pt-BR = "P2?"
question.en = "Q2?"
answer.pt-BR = "Igual"
answer.en = "A"
wrong.pt-BR = ["igual", "C", "D"]
wrong.en = ["B", "C", "D"]
explanation = "Same in both"
"#;
    let errors = trilha::roadmap::load_str_with_quiz(
        &[("backend.toml".into(), roadmap_file)],
        &[("quiz/broken.toml".into(), quiz.into())],
    )
    .expect_err("broken")
    .to_string();
    assert!(
        errors.contains(
            "quiz/broken.toml:7:1: question on \"kafka\": field `wrong.pt-BR`: has 2 answers"
        ),
        "{errors}"
    );
    assert!(errors.contains("quiz/broken.toml:13:8: question on \"kafkaa\": field `item`: no item has the id `kafkaa`"), "{errors}");
    assert!(
        errors.contains("field `answer.pt-BR`: the four answers must all differ"),
        "{errors}"
    );
    assert!(
        errors.contains("field `explanation`: needs a translation per language"),
        "{errors}"
    );
}
