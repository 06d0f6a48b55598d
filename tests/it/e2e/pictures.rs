//! Pictures through the local Discord: the summary card leading `/progress` (a file of its own,
//! with the member's avatar and the server's icon from the CDN), sharing it in public and
//! opening the full card, faces that cannot be had in time, the leaderboard's picture redrawn
//! by its page buttons, the heat map on `/community`, `/card` anywhere through a user install,
//! and a card that cannot be drawn leaving the rest to go on.

use std::time::Duration;

use local_discord::cdn::CdnFault;
use local_discord::{Context, Response};
use serde_json::Value;
use trilha::picture::scene::Rgb;

use super::scenario::{BotSettings, Player};
use crate::pictures::{decode, near};
use crate::support::generated_roadmap;

const WAIT: Duration = Duration::from_secs(10);

/// The one PNG a response's message carries, by name, and the message as Discord stored it.
fn picture_of(player: &Player, response: &Response, name: &str) -> (Vec<u8>, Value) {
    let message = response.message.expect("the response created a message");
    let files = player.discord.message_files(message);
    assert_eq!(files.len(), 1, "one file: {files:?}");
    let (file, png) = files.into_iter().next().unwrap();
    assert_eq!(file, name);
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

/// The colour at the centre of the summary's avatar (a 120 px circle at 40, 40).
fn avatar_colour(png: &[u8]) -> Rgb {
    decode(png).at(100.0, 100.0)
}

fn colour(rgb: [u8; 3]) -> Rgb {
    Rgb(rgb[0], rgb[1], rgb[2])
}

/// A member's avatar hash in the local Discord.
fn avatar_of(player: &Player, name: &str) -> Option<String> {
    player.discord.with_world(|w| {
        w.guilds[0]
            .member_named(name)
            .and_then(|m| m.user.avatar.clone())
    })
}

async fn press(player: &Player, user: &str, response: &Response, button: &str) -> Response {
    let id = player
        .discord
        .press(user, response.message.unwrap(), button, &Context::default())
        .unwrap();
    player.discord.answer(id, WAIT).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_leads_with_the_summary_which_its_owner_shares_or_opens_in_full() {
    let player = Player::launch(BotSettings::default()).await;
    // A display name in a script the fonts lack: the summary shows the username.
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
    assert_eq!(
        progress.image(),
        None,
        "a file of its own, not the embed's image"
    );
    let (png, stored) = picture_of(&player, &progress, "trilha-summary.png");
    assert_eq!(png_size(&png), (1200, 600));
    let alt = stored["attachments"][0]["description"].as_str().unwrap();
    // Carla's Discord speaks English: her summary does too.
    assert!(
        alt.contains("carla") && alt.contains("1 done") && alt.contains("#1 this week"),
        "{alt}"
    );
    let cyan = local_discord::cdn::colour_of(&avatar_of(&player, "carla").unwrap());
    assert!(
        near(avatar_colour(&png), colour(cyan)),
        "her avatar, from the CDN: {:?} (asked: {:?})\n{}",
        avatar_colour(&png),
        player.discord.cdn_requests(),
        player.bot.log_text()
    );
    let fetched = player.discord.cdn_requests();
    assert!(
        fetched.iter().any(|p| p.starts_with("/avatars/")),
        "{fetched:?}"
    );
    assert!(
        fetched.iter().any(|p| p.starts_with("/icons/")),
        "the server's icon: {fetched:?}"
    );
    assert!(
        progress.text().contains("Progress"),
        "the text stays, as the caption"
    );
    let labels: Vec<String> = progress.buttons().into_iter().map(|b| b.0).collect();
    assert!(labels.iter().any(|l| l.contains("Full map")), "{labels:?}");
    assert!(labels.iter().any(|l| l.contains("Share")), "{labels:?}");

    // The same summary again: its faces come from the cache, not the CDN.
    let again = player.command("carla", "/progress").await;
    picture_of(&player, &again, "trilha-summary.png");
    assert_eq!(player.discord.cdn_requests().len(), fetched.len(), "cached");

    // The owner shares it: a public message with the summary, in the server's language,
    // pinging nobody.
    let shared = press(&player, "carla", &progress, "Share").await;
    assert!(!shared.ephemeral(), "{:?}", shared.body);
    assert_eq!(shared.kind(), 4);
    assert!(shared.text().contains("compartilhou"), "{}", shared.text());
    let mentions = &shared.body["data"]["allowed_mentions"];
    assert_eq!(mentions["parse"], serde_json::json!([]), "{mentions}");
    assert_eq!(mentions["users"], serde_json::json!([]), "{mentions}");
    let (shared_png, _) = picture_of(&player, &shared, "trilha-summary.png");
    assert_eq!(png_size(&shared_png), (1200, 600));

    // One press away: the full per-item card, privately.
    let full = press(&player, "carla", &progress, "Full map").await;
    assert!(full.ephemeral());
    let (full_png, stored) = picture_of(&player, &full, "trilha-roadmap.png");
    let (width, height) = png_size(&full_png);
    assert!(width == 1200 && height > 1200, "{width}×{height}");
    let alt = stored["attachments"][0]["description"].as_str().unwrap();
    assert!(alt.contains("1 done"), "{alt}");
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_face_the_cdn_cannot_give_in_time_is_initials_and_the_reply_is_on_time() {
    let player = Player::launch(BotSettings::default()).await;
    player.command("ana", "/done kafka").await;
    let faults = [
        ("slow", CdnFault::Slow(Duration::from_secs(2))),
        ("missing", CdnFault::NotFound),
        ("50 MB", CdnFault::Huge),
        ("malformed", CdnFault::Malformed),
    ];
    for (n, (what, fault)) in faults.into_iter().enumerate() {
        // A new avatar each time: a face that could not be had is not asked for again soon.
        let hash = format!("00e5ff{n:026x}");
        player.discord.with_world(|w| {
            let ana = w.guilds[0]
                .members
                .iter_mut()
                .find(|m| m.user.username == "ana");
            ana.unwrap().user.avatar = Some(hash.clone());
        });
        player.discord.set_cdn_fault(fault);
        let progress = player.command("ana", "/progress").await;
        assert_eq!(progress.kind(), 4, "{what}: answered at once, not deferred");
        assert!(
            progress.latency < Duration::from_millis(1500),
            "{what}: {:?}",
            progress.latency
        );
        let (png, _) = picture_of(&player, &progress, "trilha-summary.png");
        let seen = avatar_colour(&png);
        assert!(
            !near(seen, Rgb(0x00, 0xe5, 0xff)),
            "{what}: initials, not the avatar: {seen:?}"
        );
        assert!(
            player
                .discord
                .cdn_requests()
                .iter()
                .any(|p| p.contains(&hash)),
            "{what}: the CDN was asked"
        );
    }
    let metrics = player.metrics().await;
    for outcome in ["late", "failed"] {
        assert!(
            metrics.contains(&format!(
                "trilha_picture_faces_total{{outcome=\"{outcome}\"}}"
            )),
            "{outcome}: {metrics}"
        );
    }
    // The slow fetch went on after the picture stopped waiting, and what it fetched is kept:
    // with the CDN healed, the first avatar shows (once the 2 s answer is in) without the CDN
    // being asked for it again.
    player.discord.set_cdn_fault(CdnFault::None);
    let first = format!("00e5ff{:026x}", 0);
    player.discord.with_world(|w| {
        let ana = w.guilds[0]
            .members
            .iter_mut()
            .find(|m| m.user.username == "ana");
        ana.unwrap().user.avatar = Some(first.clone());
    });
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let progress = player.command("ana", "/progress").await;
        let (png, _) = picture_of(&player, &progress, "trilha-summary.png");
        if near(avatar_colour(&png), Rgb(0x00, 0xe5, 0xff)) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slow avatar never showed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let asked = player
        .discord
        .cdn_requests()
        .iter()
        .filter(|p| p.contains(&first))
        .count();
    assert_eq!(
        asked, 1,
        "fetched once, by the picture that could not wait for it"
    );
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaderboard_leads_with_a_picture_of_its_page_that_its_buttons_redraw() {
    let player = Player::launch(BotSettings::default()).await;
    player.discord.add_members(11);
    for n in 1..=11 {
        player.command(&format!("m{n:02}"), "/done kafka").await;
    }
    player.command("bruno", "/done kafka").await;
    player.command("bruno", "/done redis").await;
    let board = player.command("bruno", "/leaderboard").await;
    assert!(!board.ephemeral());
    let (png, stored) = picture_of(&player, &board, "trilha-leaderboard.png");
    assert_eq!(png_size(&png), (1200, 600));
    let alt = stored["attachments"][0]["description"].as_str().unwrap();
    // The server speaks Portuguese; names as Discord showed them.
    assert!(
        alt.contains("1º Bruno, 2 ✅") && alt.contains("Membro 1"),
        "{alt}"
    );
    assert!(
        board.text().contains("Ranking"),
        "the text stays, as the caption"
    );
    let next = board
        .buttons()
        .into_iter()
        .find(|(label, _, _)| label.contains('▶'))
        .expect("a next page");
    let paged = press(&player, "bruno", &board, &next.1).await;
    assert_eq!(paged.kind(), 7, "in place");
    let (page_two, stored) = picture_of(&player, &paged, "trilha-leaderboard.png");
    assert_ne!(png, page_two, "redrawn");
    let alt = stored["attachments"][0]["description"].as_str().unwrap();
    assert!(alt.contains("11º") && !alt.contains("1º Bruno"), "{alt}");
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
async fn card_works_anywhere_through_a_user_install_and_shows_only_the_callers_own_servers() {
    let player = Player::launch(BotSettings::default()).await;
    player.command("carla", "/done kafka").await;
    let guild = player.discord.guild_id();
    let group_dm = Context {
        user_install: true,
        group_dm: true,
        ..Context::default()
    };
    // Only what is registered for user installs can be run where the bot is not.
    assert!(
        player
            .discord
            .slash("carla", "/progress", &group_dm)
            .is_err()
    );

    let id = player
        .discord
        .autocomplete("carla", "/card server:comu", &group_dm)
        .unwrap();
    let choices = player.discord.answer(id, WAIT).await.unwrap().choices();
    assert_eq!(
        choices,
        vec![("Comunidade Backend".to_string(), guild.to_string())]
    );
    let id = player
        .discord
        .slash("carla", &format!("/card server:{guild}"), &group_dm)
        .unwrap();
    let card = player.discord.answer(id, WAIT).await.unwrap();
    assert!(!card.ephemeral(), "shown where it is used");
    assert!(
        card.text().contains("Comunidade Backend"),
        "{}",
        card.text()
    );
    let (png, stored) = picture_of(&player, &card, "trilha-summary.png");
    assert_eq!(png_size(&png), (1200, 600));
    let alt = stored["attachments"][0]["description"].as_str().unwrap();
    assert!(alt.contains("Carla") && alt.contains("1 done"), "{alt}");

    // In a server without trilha, with no server named: the one she was last seen in.
    let elsewhere = Context {
        user_install: true,
        foreign_guild: Some((424_242_424_242, "Outro servidor".into())),
        ..Context::default()
    };
    let id = player.discord.slash("carla", "/card", &elsewhere).unwrap();
    let card = player.discord.answer(id, WAIT).await.unwrap();
    assert!(
        card.text().contains("Comunidade Backend"),
        "{}",
        card.text()
    );
    picture_of(&player, &card, "trilha-summary.png");

    // Someone else's server, or none at all: a private explanation, nothing revealed.
    let id = player
        .discord
        .slash("carla", "/card server:424242424242", &elsewhere)
        .unwrap();
    let refused = player.discord.answer(id, WAIT).await.unwrap();
    assert!(refused.ephemeral());
    assert!(
        refused.text().contains("not one of your servers"),
        "{}",
        refused.text()
    );
    assert!(
        player
            .discord
            .message_files(refused.message.unwrap())
            .is_empty()
    );
    let id = player.discord.slash("ana", "/card", &group_dm).unwrap();
    let nothing = player.discord.answer(id, WAIT).await.unwrap();
    assert!(nothing.ephemeral());
    assert!(
        nothing.text().contains("nenhum servidor"),
        "{}",
        nothing.text()
    );
    // Through the bot's own DM, installed to her account.
    let dm = Context {
        user_install: true,
        dm: true,
        ..Context::default()
    };
    let id = player.discord.slash("carla", "/card", &dm).unwrap();
    picture_of(
        &player,
        &player.discord.answer(id, WAIT).await.unwrap(),
        "trilha-summary.png",
    );
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_that_cannot_be_drawn_leaves_the_summary_and_the_text_to_go_on() {
    // 2 000 items: the full card would be taller than any picture trilha draws.
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
    // The summary still fits: 40 sections show as 23 bars and "+17 seções".
    picture_of(&player, &progress, "trilha-summary.png");
    let full = press(&player, "bruno", &progress, "Mapa completo").await;
    assert!(full.ephemeral());
    assert!(full.text().contains("Não consegui"), "{}", full.text());
    assert!(
        player
            .discord
            .message_files(full.message.unwrap())
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
