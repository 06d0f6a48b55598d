//! Pictures through the local Discord: the card on `/progress` (a multipart response with the
//! PNG the embed shows), sharing it in public, the heat map on `/community`, and a card that
//! cannot be drawn leaving the text answer to go alone.

use local_discord::{Context, Response};
use serde_json::Value;

use super::scenario::{BotSettings, Player};
use crate::support::generated_roadmap;

/// The PNG a response's message carries, and the message as Discord stored it.
fn picture_of(player: &Player, response: &Response) -> (Vec<u8>, Value) {
    let message = response.message.expect("the response created a message");
    let files = player.discord.message_files(message);
    assert_eq!(files.len(), 1, "one file: {files:?}");
    let (name, png) = files.into_iter().next().unwrap();
    assert_eq!(name, "trilha-roadmap.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    (png, player.discord.message_body(message).unwrap())
}

fn png_size(png: &[u8]) -> (u32, u32) {
    let reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .expect("a PNG");
    let info = reader.info();
    (info.width, info.height)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_shows_the_card_and_its_owner_shares_it_in_public() {
    let player = Player::launch(BotSettings::default()).await;
    // A display name in a script the fonts lack: the card shows the username.
    player.discord.with_world(|w| {
        let carla = w.guilds[0]
            .members
            .iter_mut()
            .find(|m| m.user.username == "carla")
            .unwrap();
        carla.user.global_name = Some("田中".into());
    });
    player.command("carla", "/done kafka").await;
    player.command("carla", "/learning redis").await;
    let progress = player.command("carla", "/progress").await;
    assert!(progress.ephemeral());
    assert_eq!(progress.image(), Some("attachment://trilha-roadmap.png"));
    let (png, stored) = picture_of(&player, &progress);
    assert_eq!(png_size(&png).0, 1200);
    let attachment = &stored["attachments"][0];
    let alt = attachment["description"].as_str().unwrap();
    // Carla's Discord speaks English: her card does too.
    assert!(alt.contains("carla") && alt.contains("1 done"), "{alt}");
    assert!(
        stored["embeds"][0]["image"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://cdn.discordapp.com/attachments/")),
        "the embed shows the uploaded file: {stored}"
    );
    assert!(progress.text().contains("Progress"), "the text stays");

    // The owner shares it: a public message with the card, in the server's language, pinging
    // nobody.
    let ctx = Context::default();
    let press = player
        .discord
        .press("carla", progress.message.unwrap(), "Share", &ctx)
        .unwrap();
    let shared = player
        .discord
        .answer(press, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert!(!shared.ephemeral(), "{:?}", shared.body);
    assert_eq!(shared.kind(), 4);
    assert!(shared.text().contains("compartilhou"), "{}", shared.text());
    let mentions = &shared.body["data"]["allowed_mentions"];
    assert_eq!(mentions["parse"], serde_json::json!([]), "{mentions}");
    assert_eq!(mentions["users"], serde_json::json!([]), "{mentions}");
    let (shared_png, _) = picture_of(&player, &shared);
    assert_eq!(png_size(&shared_png).0, 1200);
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn community_shows_the_heat_map() {
    let player = Player::launch(BotSettings::default()).await;
    player.command("bruno", "/done kafka").await;
    player.command("carla", "/done kafka").await;
    player.command("carla", "/learning docker").await;
    let community = player.command("bruno", "/community").await;
    let text = community.text();
    assert!(text.contains("2** membros ativos"), "{text}");
    assert!(text.contains("Apache Kafka (100%)"), "{text}");
    assert!(
        text.contains("Docker (básico) (+1)"),
        "this week's start: {text}"
    );
    let message = community.message.unwrap();
    let files = player.discord.message_files(message);
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].0, "trilha-community.png");
    assert_eq!(png_size(&files[0].1).0, 1200);
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_cannot_be_drawn_leaves_the_text_answer_to_go_alone() {
    // 2 000 items: the card would be taller than any picture trilha draws.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.toml"), generated_roadmap(40, 50)).unwrap();
    let mut settings = BotSettings::default();
    settings
        .env
        .insert("ROADMAP_DIR".into(), dir.path().display().to_string());
    let player = Player::launch(settings).await;
    player.command("bruno", "/done s0-n1").await;
    let progress = player.command("bruno", "/progress").await;
    assert!(progress.text().contains("Progresso"), "{}", progress.text());
    assert_eq!(progress.image(), None);
    assert!(
        player
            .discord
            .message_files(progress.message.unwrap())
            .is_empty()
    );
    assert_eq!(
        player
            .bot
            .log_count("picture left out; the text answer goes alone"),
        1
    );
    let metrics = player.metrics().await;
    assert!(
        metrics.contains("trilha_pictures_total{picture=\"card\",outcome=\"failed\"} 1"),
        "{metrics}"
    );
    player.assert_no_violations();
}
