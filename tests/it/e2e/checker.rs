//! The local Discord refuses what Discord refuses, so a clean suite means something.

use local_discord::{Context, LocalDiscord, Options, TOKEN, client};
use serde_json::{Value, json};

#[tokio::test]
async fn an_uppercase_command_name_is_refused_with_invalid_form_body() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let app = discord.with_world(|w| w.application_id);
    let path = format!("/api/v10/applications/{app}/commands");
    let bad = json!([{"name": "Roadmap", "description": "Show the roadmap"}]);
    let (status, body) =
        client::request(&discord.base_url(), "PUT", &path, Some(TOKEN), Some(&bad))
            .await
            .unwrap();
    assert_eq!(status, 400);
    assert_eq!(body["code"], 50035);
    assert_eq!(body["message"], "Invalid Form Body");
    assert_eq!(
        body["errors"]["0"]["name"]["_errors"][0]["code"],
        "APPLICATION_COMMAND_INVALID_NAME"
    );
    assert_eq!(discord.violations().len(), 1);
    assert!(
        discord.with_world(|w| w.global_commands.is_empty()),
        "nothing was registered"
    );
}

#[tokio::test]
async fn an_oversized_embed_is_refused_and_recorded() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let app = discord.with_world(|w| w.application_id);
    let commands =
        json!([{"name": "roadmap", "description": "Show the roadmap", "contexts": [0, 1]}]);
    let (status, _) = client::request(
        &discord.base_url(),
        "PUT",
        &format!("/api/v10/applications/{app}/commands"),
        Some(TOKEN),
        Some(&commands),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let id = discord
        .slash("bruno", "/roadmap", &Context::default())
        .unwrap();
    let token = discord.with_world(|w| w.interactions[&id].token.clone());
    let callback = format!("/api/v10/interactions/{id}/{token}/callback");
    let fields: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("f{i}"), "value": "v".repeat(1024)}))
        .collect();
    let oversized = json!({"type": 4, "data": {"embeds": [{"title": "t", "fields": fields}]}});
    let (status, body) = client::request(
        &discord.base_url(),
        "POST",
        &callback,
        Some(TOKEN),
        Some(&oversized),
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    assert_eq!(body["code"], 50035);
    assert_eq!(
        body["errors"]["data"]["embeds"]["_errors"][0]["code"],
        "MAX_EMBED_SIZE_EXCEEDED"
    );
    assert_eq!(discord.violations().len(), 1);
    // A valid answer afterwards is accepted.
    let fine = json!({"type": 4, "data": {"content": "ok"}});
    let (status, _) = client::request(
        &discord.base_url(),
        "POST",
        &callback,
        Some(TOKEN),
        Some(&fine),
    )
    .await
    .unwrap();
    assert_eq!(status, 204);
}

#[tokio::test]
async fn a_late_answer_misses_the_three_second_deadline() {
    let discord = LocalDiscord::start(Options::default()).await.unwrap();
    let app = discord.with_world(|w| w.application_id);
    let commands = json!([{"name": "roadmap", "description": "Show the roadmap"}]);
    client::request(
        &discord.base_url(),
        "PUT",
        &format!("/api/v10/applications/{app}/commands"),
        Some(TOKEN),
        Some(&commands),
    )
    .await
    .unwrap();
    let id = discord
        .slash("bruno", "/roadmap", &Context::default())
        .unwrap();
    discord.with_world(|w| {
        let r = w.interactions.get_mut(&id).unwrap();
        r.sent_at -= std::time::Duration::from_secs(4);
    });
    let token = discord.with_world(|w| w.interactions[&id].token.clone());
    let (status, body) = client::request(
        &discord.base_url(),
        "POST",
        &format!("/api/v10/interactions/{id}/{token}/callback"),
        Some(TOKEN),
        Some(&json!({"type": 4, "data": {"content": "late"}})),
    )
    .await
    .unwrap();
    assert_eq!(status, 404);
    assert_eq!(body["code"], 10062);
    assert_eq!(
        discord.violations()[0].violation.code,
        "INTERACTION_TIMEOUT"
    );
}
