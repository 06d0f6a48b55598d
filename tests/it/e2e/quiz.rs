//! The quiz through the local Discord: a question and its verdict, "Next question" in place,
//! "Quiz me" under a study prompt, and a leaderboard counting verified items only.

use std::time::Duration;

use local_discord::{Context, Response};

use super::scenario::{BotSettings, Player};

const WAIT: Duration = Duration::from_secs(10);

/// The ask id the answer buttons of a reply carry.
fn ask_of(response: &Response) -> u64 {
    let (_, id, _) = response
        .buttons()
        .into_iter()
        .next()
        .expect("answer buttons");
    id.split('|').nth(2).unwrap().parse().unwrap()
}

/// The label of the right button, read from the bot's database (as only the bot can).
async fn right_label(player: &Player, response: &Response) -> String {
    let store = trilha::store::Store::open_read_only(&player.sandbox().database())
        .await
        .unwrap();
    let ask = store.quiz_ask(ask_of(response)).await.unwrap().unwrap();
    store.close().await;
    ["A", "B", "C", "D"][usize::from(ask.correct_slot())].to_string()
}

async fn press(player: &Player, user: &str, on: &Response, label: &str) -> Response {
    let id = player
        .discord
        .press(user, on.message.unwrap(), label, &Context::default())
        .unwrap();
    player.discord.answer(id, WAIT).await.unwrap()
}

/// Answers right, twice, on different questions: the item is verified.
async fn verify(player: &Player, user: &str, item: &str) {
    for _ in 0..2 {
        let question = player.command(user, &format!("/quiz {item}")).await;
        let label = right_label(player, &question).await;
        let verdict = press(player, user, &question, &label).await;
        assert!(verdict.text().contains("Certo"), "{}", verdict.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_its_verdict_and_the_next_one_in_place() {
    let player = Player::launch(BotSettings::default()).await;
    let question = player.command("bruno", "/quiz kafka").await;
    assert!(question.ephemeral());
    assert!(question.title().unwrap().contains("Quiz: Apache Kafka"));
    let labels: Vec<String> = question.buttons().into_iter().map(|b| b.0).collect();
    assert_eq!(labels, ["A", "B", "C", "D"]);
    let label = right_label(&player, &question).await;
    let verdict = press(&player, "bruno", &question, &label).await;
    assert_eq!(verdict.kind(), 7, "the verdict replaces the question");
    let text = verdict.text();
    assert!(
        text.contains("Certo") && text.contains("Resposta certa") && text.contains("Por quê"),
        "{text}"
    );
    assert!(
        text.contains("Acerte mais uma pergunta diferente"),
        "{text}"
    );
    let next = press(&player, "bruno", &verdict, "Próxima pergunta").await;
    assert_eq!(next.kind(), 7, "the next question replaces the verdict");
    assert!(next.title().unwrap().contains("Quiz: Apache Kafka"));
    assert_ne!(ask_of(&next), ask_of(&question));
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiz_me_under_a_study_prompt_asks_whoever_presses_it() {
    // Wednesday 08:00 in São Paulo
    let mut player = Player::launch(BotSettings::clocked("2026-11-18T11:00:00Z")).await;
    let setup = player
        .command("ana", "/prompts setup channel:#estudos time:09:00")
        .await;
    assert!(
        setup.text().contains("Estudos configurados"),
        "{}",
        setup.text()
    );
    player.advance("1h");
    let post = player
        .discord
        .wait_until("a prompt", WAIT, |w| {
            let channel = w.guilds[0]
                .channels
                .iter()
                .find(|c| c.name == "estudos")?
                .id;
            w.channel_messages(channel)
                .last()
                .map(|m| (m.id, m.body.clone()))
        })
        .await
        .unwrap();
    let title = post.1["embeds"][0]["title"].as_str().unwrap().to_string();
    let item = title.trim_start_matches("📚 Estudo do dia: ").to_string();
    let id = player
        .discord
        .press("carla", post.0, "Me teste", &Context::default())
        .unwrap();
    let question = player.discord.answer(id, WAIT).await.unwrap();
    assert_eq!(
        question.kind(),
        4,
        "a new message, not an edit of the public post"
    );
    assert!(question.ephemeral());
    // Carla's Discord speaks English.
    assert!(
        question.title().unwrap().contains("Quiz: "),
        "{:?}",
        question.title()
    );
    assert_eq!(question.buttons().len(), 4);
    let store = trilha::store::Store::open_read_only(&player.sandbox().database())
        .await
        .unwrap();
    let ask = store.quiz_ask(ask_of(&question)).await.unwrap().unwrap();
    store.close().await;
    let roadmap = crate::support::roadmap();
    let asked = roadmap.item(roadmap.item_by_id(&ask.item_id).unwrap());
    assert_eq!(
        asked.name.pt_br, item,
        "the question is on the prompt's item"
    );
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_can_rank_verified_items_only() {
    let player = Player::launch(BotSettings::default()).await;
    let on = player
        .command("ana", "/config verified-only enabled:true")
        .await;
    assert!(on.text().contains("só itens verificados"), "{}", on.text());
    player.command("carla", "/done docker").await;
    player.command("bruno", "/done kafka").await;
    verify(&player, "bruno", "kafka").await;
    let board = player.command("bruno", "/leaderboard period:all").await;
    let text = board.text();
    assert!(text.contains("Ranking de verificados"), "{text}");
    assert!(text.contains("**1** 🏅"), "{text}");
    let carla = player.discord.user_id("carla");
    assert!(
        !text.contains(&format!("<@{carla}>")),
        "carla verified nothing: {text}"
    );
    let progress = player.command("bruno", "/progress").await;
    assert!(
        progress.text().contains("1 verificado"),
        "{}",
        progress.text()
    );
    player.assert_no_violations();
}
