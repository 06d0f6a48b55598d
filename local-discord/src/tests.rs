//! The payloads deserialize with serenity's own models (a missing field would make a real bot
//! drop the event silently), and the servers behave as Discord does.

use serde_json::{Value, json};
use serenity::all::{CurrentApplicationInfo, GatewayEvent, Interaction, Message};
use serenity::model::event::Event;

use super::*;

fn world() -> World {
    let mut w = World::new(TOKEN.into());
    default_world(&mut w, "ws://127.0.0.1:1".into(), &Options::default());
    w
}

fn dispatch(_w: &mut World, name: &str, data: Value) -> Event {
    let frame = json!({"op": 0, "s": 1, "t": name, "d": data});
    match serde_json::from_value::<GatewayEvent>(frame).expect("gateway frame") {
        GatewayEvent::Dispatch(_, event) => event,
        other => panic!("not a dispatch: {other:?}"),
    }
}

#[test]
fn ready_and_guild_create_deserialize() {
    let mut w = world();
    let ids: Vec<u64> = w.guilds.iter().map(|g| g.id).collect();
    let ready = payloads::ready(&w.bot, &ids, "s", "ws://x", w.application_id, [0, 1]);
    assert!(matches!(dispatch(&mut w, "READY", ready), Event::Ready(_)));
    let g = w.guilds[0].clone();
    let gc = gateway::guild_create(&w, &g);
    match dispatch(&mut w, "GUILD_CREATE", gc.clone()) {
        Event::GuildCreate(e) => assert_eq!(e.guild.name, "Comunidade Backend"),
        Event::Unknown(_) => panic!(
            "GUILD_CREATE is unparseable: {:?}",
            serde_json::from_value::<serenity::all::Guild>(gc).err()
        ),
        other => panic!("{other:?}"),
    }
    let resumed = dispatch(&mut w, "RESUMED", json!({"_trace": []}));
    assert!(matches!(resumed, Event::Resumed(_)), "{resumed:?}");
}

#[test]
fn application_info_deserializes() {
    let w = world();
    let app = payloads::application(w.application_id, "trilha", &w.bot, &w.owner);
    let info: CurrentApplicationInfo = serde_json::from_value(app).expect("application");
    assert_eq!(info.id.get(), w.application_id);
}

fn place(w: &World, dm: bool) -> Place {
    let g = &w.guilds[0];
    let m = g.member_named("bruno").unwrap().clone();
    if dm {
        Place::Dm {
            channel_id: 7,
            user: m.user.clone(),
            locale: "pt-BR".into(),
        }
    } else {
        Place::Guild {
            guild_id: g.id,
            guild_locale: "pt-BR".into(),
            channel: g.channels[0].clone(),
            permissions: g.permissions_of(m.user.id),
            member: m,
        }
    }
}

fn parse_interaction(payload: Value) -> Interaction {
    let mut w = world();
    match dispatch(&mut w, "INTERACTION_CREATE", payload.clone()) {
        Event::InteractionCreate(e) => e.interaction,
        _ => panic!(
            "unparseable interaction: {:?}",
            serde_json::from_value::<Interaction>(payload).err()
        ),
    }
}

#[test]
fn interactions_deserialize_in_guilds_and_dms() {
    let w = world();
    for dm in [false, true] {
        let data = json!({"id": "1", "name": "roadmap", "type": 1, "options": [{"name": "topic", "type": 3, "value": "kafka"}]});
        let i = parse_interaction(payloads::interaction(
            5,
            w.application_id,
            2,
            "t",
            data,
            &place(&w, dm),
            0,
            None,
        ));
        let Interaction::Command(cmd) = i else {
            panic!("not a command")
        };
        assert_eq!(cmd.data.name, "roadmap");
        assert_eq!(cmd.guild_id.is_none(), dm);
        assert_eq!(cmd.user.name, "bruno");
        assert_eq!(cmd.locale, "pt-BR");

        let data = json!({"id": "1", "name": "roadmap", "type": 1, "options": [{"name": "topic", "type": 3, "value": "kaf", "focused": true}]});
        let i = parse_interaction(payloads::interaction(
            6,
            w.application_id,
            4,
            "t",
            data,
            &place(&w, dm),
            0,
            None,
        ));
        assert!(matches!(i, Interaction::Autocomplete(_)));
    }
    let body = json!({"embeds": [{"title": "t"}], "components": [{"type": 1, "components": [{"type": 2, "style": 2, "label": "Next", "custom_id": "x"}]}], "flags": 64});
    let message = payloads::message(
        9,
        w.guilds[0].channels[0].id,
        Some(w.guilds[0].id),
        &w.bot,
        &body,
        0,
        Some(w.application_id),
        None,
    );
    let m: Message = serde_json::from_value(message.clone()).expect("message");
    assert_eq!(m.embeds[0].title.as_deref(), Some("t"));
    let i = parse_interaction(payloads::interaction(
        7,
        w.application_id,
        3,
        "t",
        json!({"custom_id": "x", "component_type": 2}),
        &place(&w, false),
        0,
        Some(message),
    ));
    let Interaction::Component(c) = i else {
        panic!("not a component")
    };
    assert_eq!(c.data.custom_id, "x");
}

#[test]
fn members_with_a_user_option_carry_resolved_data() {
    let mut w = world();
    w.global_commands.push(json!({"id": "1", "name": "progress", "type": 1, "contexts": [0, 1], "options": [{"name": "member", "type": 6, "description": "d"}]}));
    let g = w.guilds[0].clone();
    let typed = member::command_data(
        &w,
        Some(&g),
        "/progress @carla",
        false,
        member::Reach {
            context: 0,
            user_install: false,
        },
    )
    .expect("parses");
    let carla = g.member_named("carla").unwrap().user.id.to_string();
    assert_eq!(typed.data["options"][0]["value"], carla.as_str());
    let i = parse_interaction(payloads::interaction(
        8,
        w.application_id,
        2,
        "t",
        typed.data,
        &place(&w, false),
        0,
        None,
    ));
    let Interaction::Command(cmd) = i else {
        panic!()
    };
    assert!(
        cmd.data
            .resolved
            .users
            .contains_key(&serenity::all::UserId::new(carla.parse().unwrap()))
    );
}

#[tokio::test]
async fn unknown_routes_get_discords_404_and_missing_auth_a_401() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let client = reqwest_free_get(&discord.base_url(), "/api/v10/nothing/here", Some(TOKEN)).await;
    assert_eq!(client.0, 404);
    assert_eq!(client.1["message"], "404: Not Found");
    let unauth = reqwest_free_get(&discord.base_url(), "/api/v10/gateway", None).await;
    assert_eq!(unauth.0, 401);
    assert_eq!(
        discord.violations().len(),
        1,
        "a call without the token is a violation"
    );
    let gw = reqwest_free_get(&discord.base_url(), "/api/v10/gateway", Some(TOKEN)).await;
    assert_eq!(gw.1["url"], discord.gateway_url());
    assert_eq!(discord.requests().len(), 3, "every request is recorded");
}

async fn reqwest_free_get(base: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    client::request(base, "GET", path, token, None)
        .await
        .unwrap()
}

/// serenity's own HTTP client, pointed at the local Discord the way trilha points it.
fn serenity_http(discord: &LocalDiscord) -> serenity::all::Http {
    serenity::all::HttpBuilder::new(TOKEN)
        .proxy(discord.base_url())
        .ratelimiter_disabled(true)
        .build()
}

fn tiny_png() -> Vec<u8> {
    // The 8-byte signature and an IHDR chunk declaring 3×2: all `files` reads of it.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&3u32.to_be_bytes());
    png.extend_from_slice(&2u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png
}

#[tokio::test]
async fn a_message_with_a_file_is_stored_and_its_embed_shows_it() {
    use serenity::all::{ChannelId, CreateAttachment, CreateEmbed, CreateMessage};
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let http = serenity_http(&discord);
    let channel = ChannelId::new(discord.channel_id("estudos"));
    let sent = channel
        .send_message(
            &http,
            CreateMessage::new()
                .embed(
                    CreateEmbed::new()
                        .title("card")
                        .image("attachment://card.png"),
                )
                .add_file(CreateAttachment::bytes(tiny_png(), "card.png").description("a card")),
        )
        .await
        .expect("Discord takes a message with a file");
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(sent.attachments[0].filename, "card.png");
    assert_eq!(sent.attachments[0].width, Some(3));
    assert_eq!(sent.attachments[0].description.as_deref(), Some("a card"));
    let image = sent.embeds[0]
        .image
        .as_ref()
        .expect("the embed shows the file");
    assert_eq!(image.url, sent.attachments[0].url);
    let files = discord.message_files(sent.id.get());
    assert_eq!(files, vec![("card.png".to_string(), tiny_png())]);
    let request = discord.requests().pop().unwrap();
    assert_eq!(
        request.files,
        vec![("files[0]".into(), "card.png".into(), tiny_png().len())]
    );
    assert!(
        discord.violations().is_empty(),
        "{:?}",
        discord.violations()
    );
}

#[tokio::test]
async fn an_embed_showing_a_file_that_was_not_sent_and_an_oversized_file_are_refused() {
    use serenity::all::{ChannelId, CreateAttachment, CreateEmbed, CreateMessage};
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let http = serenity_http(&discord);
    let channel = ChannelId::new(discord.channel_id("estudos"));
    let missing = channel
        .send_message(
            &http,
            CreateMessage::new()
                .embed(
                    CreateEmbed::new()
                        .title("card")
                        .image("attachment://other.png"),
                )
                .add_file(CreateAttachment::bytes(tiny_png(), "card.png")),
        )
        .await;
    assert!(missing.is_err());
    assert!(
        discord
            .violations()
            .iter()
            .any(|v| v.violation.code == "EMBED_ATTACHMENT_MISSING"),
        "{:?}",
        discord.violations()
    );
    let oversized = channel
        .send_message(
            &http,
            CreateMessage::new()
                .content("big")
                .add_file(CreateAttachment::bytes(
                    vec![0; files::MAX_FILE_BYTES + 1],
                    "big.png",
                )),
        )
        .await;
    let error = oversized
        .expect_err("a file over 10 MiB is refused")
        .to_string();
    assert!(error.contains("Request entity too large"), "{error}");
}
