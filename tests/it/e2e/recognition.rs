//! Recognition through the local Discord: role rewards given and taken back, refused before
//! saving, paused when Discord later refuses; streak reminders sent once across a restart at
//! their minute, and turned off (with a notice) for a member whose DMs are closed.

use std::time::{Duration, Instant};

use local_discord::Context;

use super::scenario::{BotSettings, Player};

const WAIT: Duration = Duration::from_secs(10);

/// Waits until a member's roles satisfy `ok`, failing with what they are.
async fn wait_roles(player: &Player, member: &str, what: &str, ok: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let roles = player.discord.member_roles(member);
        if ok(&roles) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{member}: {what}; roles are {roles:?}\n{}",
            player.bot.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn has(role: &'static str) -> impl Fn(&[String]) -> bool {
    move |roles| roles.iter().any(|r| r == role)
}

fn lacks(role: &'static str) -> impl Fn(&[String]) -> bool {
    move |roles| roles.iter().all(|r| r != role)
}

/// A role request the bot made (PUT or DELETE on a member's role).
#[derive(Debug)]
struct RoleRequest {
    method: String,
    user: u64,
    role: u64,
    status: u16,
}

fn role_requests(player: &Player) -> Vec<RoleRequest> {
    player
        .discord
        .requests()
        .into_iter()
        .filter_map(|r| {
            // .../guilds/{guild}/members/{user}/roles/{role}
            let parts: Vec<&str> = r.path.split('/').collect();
            let at = parts.iter().position(|p| *p == "members")?;
            (parts.get(at + 2) == Some(&"roles")).then_some(())?;
            Some(RoleRequest {
                method: r.method.clone(),
                user: parts[at + 1].parse().ok()?,
                role: parts[at + 3].parse().ok()?,
                status: r.status,
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_section_gives_its_role_and_undo_takes_it_back_unless_kept() {
    let player = Player::launch(BotSettings::default()).await;
    let setup = player
        .command("ana", "/prompts setup channel:#estudos time:09:00")
        .await;
    assert!(
        setup.text().contains("Estudos configurados"),
        "{}",
        setup.text()
    );
    let added = player
        .command(
            "ana",
            "/rewards add kind:section role:@Mensageria section:message-brokers",
        )
        .await;
    assert!(added.ephemeral());
    assert!(
        added.text().contains("Recompensa **1**") && added.text().contains("Message brokers"),
        "{}",
        added.text()
    );
    let announce = player
        .command("ana", "/rewards announce enabled:true")
        .await;
    assert!(
        announce.text().contains("serão anunciadas"),
        "{}",
        announce.text()
    );

    // Kafka meets the section's requirement (one broker): the role comes after the reply.
    let done = player.command("bruno", "/done kafka").await;
    assert!(done.text().contains("Apache Kafka"), "{}", done.text());
    wait_roles(&player, "bruno", "gets Mensageria", has("Mensageria")).await;
    let brokers = player.discord.role_id("Mensageria");
    let put = player
        .discord
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT" && r.path.ends_with(&format!("/roles/{brokers}")))
        .expect("the role was given over REST");
    let reason = put
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-audit-log-reason"))
        .map(|(_, v)| v.clone())
        .expect("an audit-log reason");
    assert!(reason.contains("trilha"), "{reason}");
    // The milestone is announced in the prompts channel, mentioning only the member.
    let bruno = player.discord.user_id("bruno");
    let announcement = player
        .discord
        .wait_until("the announcement", WAIT, |w| {
            let channel = w.guilds[0]
                .channels
                .iter()
                .find(|c| c.name == "estudos")?
                .id;
            w.channel_messages(channel)
                .into_iter()
                .find(|m| {
                    m.body["embeds"][0]["description"]
                        .as_str()
                        .is_some_and(|c| c.contains("conquistou"))
                })
                .map(|m| m.body.clone())
        })
        .await
        .unwrap();
    assert!(
        announcement["content"]
            .as_str()
            .unwrap()
            .contains(&format!("<@{bruno}>"))
    );
    assert_eq!(
        announcement["allowed_mentions"]["users"],
        serde_json::json!([bruno.to_string()]),
        "{announcement}"
    );

    // A check of everyone (a new reward, a sync) gives roles but announces nothing: only a
    // member's own change does, so a sync never floods the channel.
    let announcements = |player: &Player| {
        player
            .discord
            .posts("estudos")
            .iter()
            .filter(|(_, body)| body.to_string().contains("conquistou"))
            .count()
    };
    let students = player
        .command(
            "ana",
            "/rewards add kind:items count:1 role:@Estudantes keep:true",
        )
        .await;
    assert!(
        students.text().contains("Recompensa **2**"),
        "{}",
        students.text()
    );
    let synced = player.command("ana", "/rewards sync").await;
    assert!(synced.text().contains("Sincronizado"), "{}", synced.text());
    let students_id = player.discord.role_id("Estudantes");
    assert!(
        role_requests(&player)
            .iter()
            .any(|r| r.method == "PUT" && r.role == students_id && r.user == bruno),
        "the sync gave the new reward's role"
    );
    assert_eq!(announcements(&player), 1, "the sync announced nothing");

    // Undo: no broker done, the role goes.
    player.command("bruno", "/undo kafka").await;
    wait_roles(&player, "bruno", "loses Mensageria", lacks("Mensageria")).await;

    // A kept reward stays through an undo: Mensageria for 1 item done, kept, for carla.
    let kept = player
        .command(
            "ana",
            "/rewards add kind:items count:1 role:@Mensageria keep:true",
        )
        .await;
    assert!(kept.text().contains("Recompensa **3**"), "{}", kept.text());
    player.command("carla", "/done redis").await;
    wait_roles(&player, "carla", "gets Mensageria", has("Mensageria")).await;
    let undo_checked = format!(
        "reward roles checked user_id={} trigger=MemberChange",
        player.discord.user_id("carla")
    );
    let checks = player.bot.log_count(&undo_checked);
    player.command("carla", "/undo redis").await;
    // The undo's own check has run (after its reply) before anything is concluded.
    player
        .bot
        .wait_log(&undo_checked, checks + 1, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    // A sync checks everyone after the undo (as the undo's own check does): the role stays.
    let synced = player.command("ana", "/rewards sync").await;
    assert!(
        synced
            .text()
            .contains("Sincronizado: 0 cargos dados e 0 retirados"),
        "{}",
        synced.text()
    );
    assert!(has("Mensageria")(&player.discord.member_roles("carla")));
    let carla = player.discord.user_id("carla");
    let taken: Vec<RoleRequest> = role_requests(&player)
        .into_iter()
        .filter(|r| r.method == "DELETE" && r.user == carla)
        .collect();
    assert!(taken.is_empty(), "a kept role is never removed: {taken:?}");
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewards_discord_would_refuse_are_refused_and_a_later_403_pauses_the_reward() {
    let player = Player::launch(BotSettings::allowing_errors()).await;
    // Veteranos sits above the bot's highest role: Discord would refuse it, so trilha does.
    let above = player
        .command("ana", "/rewards add kind:items count:1 role:@Veteranos")
        .await;
    assert!(
        above.text().contains("está acima do meu cargo mais alto"),
        "{}",
        above.text()
    );
    let everyone = player
        .command("ana", "/rewards add kind:items count:1 role:@everyone")
        .await;
    assert!(
        everyone.text().contains("@everyone não pode"),
        "{}",
        everyone.text()
    );
    let managed = player
        .command("ana", "/rewards add kind:items count:1 role:@trilha")
        .await;
    assert!(
        managed.text().contains("gerenciado por uma integração"),
        "{}",
        managed.text()
    );
    // Without Manage Roles the bot could give no role: said before anything is saved.
    let everyone = local_discord::world::permissions::EVERYONE;
    let manage_roles = local_discord::world::permissions::MANAGE_ROLES;
    player.discord.set_role_permissions("trilha", everyone);
    let unable = player
        .command("ana", "/rewards add kind:items count:1 role:@Mensageria")
        .await;
    assert!(
        unable
            .text()
            .contains("me falta a permissão **Gerenciar cargos**"),
        "{}",
        unable.text()
    );
    player
        .discord
        .set_role_permissions("trilha", everyone | manage_roles);
    // A role deleted between choosing it and sending the command: Discord still sends its id.
    let ctx = Context::default();
    let typed = "/rewards add kind:items count:1 role:@Mensageria";
    let gone = player
        .discord
        .slash_deformed("ana", typed, &ctx, |p| {
            for option in p["data"]["options"][0]["options"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                if option["name"] == "role" {
                    option["value"] = serde_json::json!("999999999999999999");
                }
            }
        })
        .unwrap();
    let gone = player.discord.answer(gone, WAIT).await.unwrap();
    assert!(
        gone.text()
            .contains("Não encontrei o cargo <@&999999999999999999>"),
        "{}",
        gone.text()
    );
    // The count is a Discord integer from 1 to 1000: the client refuses anything else, and a kind
    // that counts needs one.
    for (count, why) in [("muitos", "whole number"), ("0", "from 1 to 1000")] {
        let typed = format!("/rewards add kind:items count:{count} role:@Mensageria");
        let refused = player.discord.slash("ana", &typed, &ctx);
        assert!(
            refused.as_ref().is_err_and(|e| e.contains(why)),
            "{typed}: {refused:?}"
        );
    }
    let bad = player
        .command("ana", "/rewards add kind:items role:@Mensageria")
        .await;
    assert!(
        bad.text().contains("precisa de uma `quantidade`"),
        "{}",
        bad.text()
    );
    let listed = player.command("ana", "/rewards list").await;
    assert!(
        listed.text().contains("Nenhuma recompensa"),
        "{}",
        listed.text()
    );

    // A valid reward, then the bot loses Manage Roles: the next grant gets 403.
    let added = player
        .command("ana", "/rewards add kind:items count:1 role:@Mensageria")
        .await;
    assert!(
        added.text().contains("Recompensa **1**"),
        "{}",
        added.text()
    );
    player
        .discord
        .set_role_permissions("trilha", local_discord::world::permissions::EVERYONE);
    player.command("bruno", "/done kafka").await;
    let deadline = Instant::now() + WAIT;
    let listed = loop {
        let listed = player.command("ana", "/rewards list").await;
        if listed.text().contains("pausada") || Instant::now() > deadline {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        listed.text().contains("pausada: o Discord recusou (403)")
            && listed.text().contains("/recompensas sincronizar"),
        "{}",
        listed.text()
    );
    player
        .bot
        .wait_log(" ERROR ", 1, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    let brokers = player.discord.role_id("Mensageria");
    let attempts = || {
        role_requests(&player)
            .into_iter()
            .filter(|r| r.role == brokers)
            .collect::<Vec<_>>()
    };
    assert_eq!(attempts().len(), 1, "one refused attempt: {:?}", attempts());
    assert_eq!(attempts()[0].status, 403);
    // Paused means no retry loop: another member qualifying makes no request (once their check
    // has run).
    let carla_checked = format!(
        "reward roles checked user_id={} trigger=MemberChange",
        player.discord.user_id("carla")
    );
    let checks = player.bot.log_count(&carla_checked);
    player.command("carla", "/done redis").await;
    player
        .bot
        .wait_log(&carla_checked, checks + 1, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    assert_eq!(
        attempts().len(),
        1,
        "no retry while paused: {:?}",
        attempts()
    );
    assert!(
        player
            .discord
            .member_roles("carla")
            .iter()
            .all(|r| r != "Mensageria")
    );

    // The admin fixes the permission and syncs: the reward resumes and both members get it.
    player.discord.set_role_permissions(
        "trilha",
        local_discord::world::permissions::EVERYONE
            | local_discord::world::permissions::MANAGE_ROLES,
    );
    let synced = player.command("ana", "/rewards sync").await;
    assert!(
        synced.text().contains("2 cargos dados"),
        "{}",
        synced.text()
    );
    wait_roles(
        &player,
        "bruno",
        "gets Mensageria after the sync",
        has("Mensageria"),
    )
    .await;
    wait_roles(
        &player,
        "carla",
        "gets Mensageria after the sync",
        has("Mensageria"),
    )
    .await;
    let listed = player.command("ana", "/rewards list").await;
    assert!(!listed.text().contains("pausada"), "{}", listed.text());

    // The role is deleted in Discord: the next grant gets 404 (code 10011) and the reward pauses,
    // saying the role is gone.
    player.discord.with_world(|w| {
        for guild in &mut w.guilds {
            guild.roles.retain(|r| r.name != "Mensageria");
        }
    });
    let ana_checked = format!(
        "reward roles checked user_id={} trigger=MemberChange",
        player.discord.user_id("ana")
    );
    let checks = player.bot.log_count(&ana_checked);
    player.command("ana", "/done docker").await;
    player
        .bot
        .wait_log(&ana_checked, checks + 1, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    let refused: Vec<RoleRequest> = role_requests(&player)
        .into_iter()
        .filter(|r| r.role == brokers && r.status == 404)
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    let listed = player.command("ana", "/rewards list").await;
    assert!(
        listed
            .text()
            .contains("pausada: o cargo não existe mais (404)"),
        "{}",
        listed.text()
    );
    player.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streak_reminder_is_sent_once_across_a_restart_and_dms_closed_turn_it_off() {
    // Monday 09:00 in São Paulo
    let mut player = Player::launch(BotSettings::clocked("2026-11-16T12:00:00Z")).await;
    let reward = player
        .command("ana", "/rewards add kind:streak count:3 role:@Mensageria")
        .await;
    assert!(
        reward.text().contains("Recompensa **1**"),
        "{}",
        reward.text()
    );
    // Three study days in a row for bruno and carla: Nov 16, 17, 18.
    for (n, item) in ["kafka", "redis", "docker"].iter().enumerate() {
        if n > 0 {
            player.advance("24h");
        }
        player.command("bruno", &format!("/done {item}")).await;
        player.command("carla", &format!("/done {item}")).await;
    }
    wait_roles(
        &player,
        "bruno",
        "a 3-day streak earns Mensageria",
        has("Mensageria"),
    )
    .await;
    player.advance("24h"); // Thursday Nov 19, 09:00: not studied yet today.
    let on = player
        .command("bruno", "/streak reminder enabled:true time:20:00")
        .await;
    assert!(on.text().contains("Lembrete ligado"), "{}", on.text());
    let on = player
        .command("carla", "/streak reminder enabled:true time:21:00")
        .await;
    assert!(on.text().contains("Reminder on"), "{}", on.text());
    let view = player.command("bruno", "/streak view").await;
    assert!(
        view.text().contains("sequência de **3 dias**"),
        "{}",
        view.text()
    );
    player.discord.set_dms_open("carla", false);

    // 20:00: the DM goes out and Discord keeps it, but its answer is held while the bot is
    // killed, so the bot never learns it was sent. The new run must not send a second one.
    player
        .discord
        .hold("POST", "/api/v10/channels/", Duration::from_secs(30), 1);
    player.advance("11h");
    let deadline = Instant::now() + WAIT;
    while player.discord.dms("bruno").is_empty() {
        assert!(
            Instant::now() < deadline,
            "no reminder\n{}",
            player.bot.log_text()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    player.restart().await.unwrap();
    // The dead run's claim lapses after a minute; the reminder is taken up again.
    player.advance("90s");
    player.wait_scheduler_caught_up(0).await.unwrap();
    player
        .bot
        .wait_log("streak reminder sent", 1, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    let dms = player.discord.dms("bruno");
    assert_eq!(dms.len(), 1, "one reminder, not two: {dms:?}");
    let text = dms[0]["content"].as_str().unwrap();
    assert!(
        text.contains("3 dias") && text.contains("Comunidade Backend"),
        "{text}"
    );
    let dm_posts = player
        .discord
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "POST"
                && r.path.starts_with("/api/v10/channels/")
                && r.body.as_ref().is_some_and(|b| b["nonce"].is_string())
        })
        .count();
    assert_eq!(
        dm_posts, 2,
        "the new run sent it again, and Discord dropped the repeat by its nonce"
    );

    // 21:00: carla's DMs are closed; her reminder is turned off and she is told, once, in
    // her language, at her next command.
    player.advance("1h");
    player.wait_scheduler_caught_up(0).await.unwrap();
    player
        .bot
        .wait_log("does not accept DMs", 1, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", player.bot.log_text()));
    assert!(player.discord.dms("carla").is_empty());
    // A public reply never tells the channel about her DMs; the notice waits for a private one.
    let public = player.command("carla", "/leaderboard").await;
    assert!(!public.ephemeral());
    assert!(
        !public.text().contains("streak reminder"),
        "{}",
        public.text()
    );
    let next = player.command("carla", "/progress").await;
    assert!(next.ephemeral());
    assert!(
        next.text().contains("I turned your streak reminder off"),
        "{}",
        next.text()
    );
    let again = player.command("carla", "/progress").await;
    assert!(!again.text().contains("I turned your streak reminder off"));
    // Later days: bruno's reminder, already sent today, is not sent again; carla's is off.
    player.advance("2h");
    player.wait_scheduler_caught_up(0).await.unwrap();
    assert_eq!(player.discord.dms("bruno").len(), 1);
    // Nov 19 ended without study and no freeze was held: the streaks broke overnight, with no
    // change of theirs, and the hourly check takes the streak role back.
    assert!(has("Mensageria")(&player.discord.member_roles("carla")));
    player.advance("2h");
    wait_roles(
        &player,
        "bruno",
        "a broken streak loses its role",
        lacks("Mensageria"),
    )
    .await;
    wait_roles(
        &player,
        "carla",
        "a broken streak loses its role",
        lacks("Mensageria"),
    )
    .await;
    player.assert_no_violations();
}
