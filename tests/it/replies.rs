//! Every view, in both languages, as the exact JSON `trilha ask --json` prints (the same body
//! the bot sends), checked against Discord's rules by an independent checker.

use serde_json::Value;

use trilha::i18n::Locale;

use crate::support::{Sandbox, json, roadmap};

fn assert_valid(what: &str, body: &Value) {
    let violations = local_discord::rules::interaction_response(body);
    assert!(
        violations.is_empty(),
        "{what} breaks Discord's rules:\n{violations:#?}\n{body:#}"
    );
    // No template left a `{placeholder}` unfilled anywhere in the body.
    let text = body.to_string();
    let unfilled = text.match_indices('{').find(|(at, _)| {
        let rest = &text[at + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(0);
        end > 0 && rest[end..].starts_with('}')
    });
    assert!(
        unfilled.is_none(),
        "{what} shows an unfilled placeholder: {body:#}"
    );
}

/// The custom_ids of a reply's buttons that lead to another page of the same view.
fn page_ids(body: &Value) -> Vec<String> {
    body.pointer("/data/components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["disabled"] != Value::Bool(true))
        .filter_map(|b| b["custom_id"].as_str().map(str::to_string))
        .collect()
}

/// Checks a view and the pages its buttons lead to; returns the view's body.
fn check_view(sandbox: &Sandbox, what: &str, args: &[&str]) -> Value {
    let out = sandbox.ask(args);
    assert!(out.status.success(), "{what}: {:?}", out);
    let body = json(&out);
    assert_eq!(body["type"], 4, "{what}");
    assert_valid(what, &body);
    // Every page reachable by the buttons is valid too.
    let node = args[0].trim_start_matches("/roadmap").trim();
    for id in page_ids(&body) {
        if !id.contains(&format!("|{node}|")) {
            continue; // suggestion buttons lead to other views, checked on their own
        }
        let mut press = vec!["--press", &id, "--json"];
        press.extend_from_slice(&args[2..]);
        let out = sandbox.ask(&press);
        let page = json(&out);
        assert_eq!(page["type"], 7, "{what}: pressing {id} updates the message");
        assert_valid(&format!("{what} via {id}"), &page);
    }
    body
}

#[test]
fn every_section_group_and_item_in_both_languages_fits_discords_limits() {
    let roadmap = roadmap();
    let sandbox = Sandbox::new();
    let mut ids: Vec<String> = vec![String::new()];
    ids.extend(roadmap.sections().map(|(_, s)| s.id.clone()));
    ids.extend(roadmap.groups().map(|(_, g)| g.id.clone()));
    ids.extend(roadmap.items().map(|(_, i)| i.id.clone()));
    for id in &ids {
        for (locale, tag) in [(Locale::PtBr, "pt-BR"), (Locale::En, "en-US")] {
            let command = format!("/roadmap {id}");
            let body = check_view(
                &sandbox,
                &format!("{command} ({tag})"),
                &[command.as_str(), "--json", "--locale", tag],
            );
            // The view is the one asked for, in the language asked for.
            let name = match roadmap.node(id) {
                Some(node) => roadmap.node_name(node, locale).to_string(),
                None => roadmap.tracks()[0].name.get(locale).to_string(),
            };
            let title = body["data"]["embeds"][0]["title"]
                .as_str()
                .unwrap_or_default();
            assert!(
                title.contains(&name),
                "{command} ({tag}): title `{title}` does not name `{name}`"
            );
        }
    }
}

#[test]
fn not_found_and_autocomplete_replies_fit_too() {
    let sandbox = Sandbox::new();
    for locale in ["pt-BR", "en-US"] {
        for query in ["xyzzy", "kafak", &"z".repeat(300)] {
            let command = format!("/roadmap {query}");
            let out = sandbox.ask(&[&command, "--json", "--locale", locale]);
            assert_valid(&command, &json(&out));
        }
        for partial in ["", "k", "data", "ç", &"a".repeat(100)] {
            let command = format!("/roadmap {partial}");
            let out = sandbox.ask(&["--autocomplete", &command, "--json", "--locale", locale]);
            let body = json(&out);
            assert_eq!(body["type"], 8);
            assert_valid(&format!("autocomplete {partial:?}"), &body);
        }
    }
}

#[test]
fn a_forced_small_page_budget_paginates_instead_of_truncating() {
    // The shipped sections fit one page; a synthetic one with many long items must not.
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("big");
    std::fs::create_dir_all(&dir).unwrap();
    let mut source = String::from(
        "id = \"big\"\nname = { pt-BR = \"Grande\", en = \"Big\" }\nmilestone = { pt-BR = \"M\", en = \"M\" }\nintro = { pt-BR = \"i\", en = \"i\" }\n\n[[section]]\nid = \"huge\"\nname = { pt-BR = \"Enorme\", en = \"Huge\" }\nintro = { pt-BR = \"i\", en = \"i\" }\npick = 1\n",
    );
    for i in 0..120 {
        let text = format!(
            "Item number {i} has a long description. {}",
            "word ".repeat(60)
        );
        source.push_str(&format!(
            "\n[[section.item]]\nid = \"item-{i}\"\nname = \"Item {i} with a fairly long name to fill the page\"\ndescription = {{ pt-BR = \"{text}\", en = \"{text}\" }}\nwhy = {{ pt-BR = \"w\", en = \"w\" }}\nprompts = {{ pt-BR = [\"p\"], en = [\"p\"] }}\n"
        ));
    }
    std::fs::write(dir.join("big.toml"), source).unwrap();
    let mut seen_items = std::collections::BTreeSet::new();
    let mut id = None::<String>;
    let mut pages = 0;
    loop {
        let mut command = sandbox.trilha();
        command.env("ROADMAP_DIR", &dir).arg("ask").arg("--json");
        match &id {
            None => command.arg("/roadmap huge"),
            Some(id) => command.args(["--press", id]),
        };
        let body = json(&command.output().unwrap());
        assert_valid("big section", &body);
        pages += 1;
        for field in body
            .pointer("/data/embeds/0/fields")
            .and_then(Value::as_array)
            .unwrap()
        {
            for line in field["value"].as_str().unwrap().lines() {
                let name = line.split("**").nth(1).unwrap().to_string();
                seen_items.insert(name);
            }
        }
        let next = body.pointer("/data/components/0/components/1").cloned();
        match next {
            Some(b) if b["disabled"] != Value::Bool(true) => {
                id = Some(b["custom_id"].as_str().unwrap().to_string())
            }
            _ => break,
        }
        assert!(pages < 50, "pagination does not end");
    }
    assert!(pages > 1, "a 120-item section needs several pages");
    assert_eq!(seen_items.len(), 120, "every item appears on some page");
}

#[test]
fn picture_replies_and_the_digest_settings_fit_in_both_languages() {
    let sandbox = Sandbox::new();
    for command in ["/done kafka", "/learning redis", "/skip ruby"] {
        assert!(sandbox.ask(&[command, "--guild", "5"]).status.success());
    }
    let admin = ["--guild", "5", "--admin"];
    for setup in [
        "/prompts setup channel:<#9> time:9h",
        "/prompts digest enabled:true",
    ] {
        let out = sandbox.ask(&[&[setup][..], &admin[..]].concat());
        assert!(out.status.success(), "{setup}: {out:?}");
    }
    for tag in ["pt-BR", "en-US"] {
        // How each shows its picture: as the embed's image, or leading as a file of its own.
        for (command, admin, picture) in [
            ("/progress", false, Some(("trilha-summary.png", false))),
            (
                "/leaderboard",
                false,
                Some(("trilha-leaderboard.png", false)),
            ),
            ("/card", false, Some(("trilha-summary.png", false))),
            ("/community", false, Some(("trilha-community.png", true))),
            ("/prompts status", true, None),
            ("/prompts digest enabled:false", true, None),
        ] {
            let mut args = vec![command, "--json", "--locale", tag, "--guild", "5"];
            if admin {
                args.push("--admin");
            }
            let out = sandbox.ask(&args);
            assert!(out.status.success(), "{command}: {out:?}");
            let body = json(&out);
            assert_valid(&format!("{command} ({tag})"), &body);
            let Some((name, in_embed)) = picture else {
                continue;
            };
            let image = body
                .pointer("/data/embeds/0/image/url")
                .and_then(Value::as_str);
            let file = &body["data"]["attachments"][0];
            assert_eq!(file["filename"], name, "{command} ({tag}): {body:#}");
            let alt = file["description"].as_str().unwrap_or_default();
            assert!(
                (1..=1024).contains(&alt.chars().count()),
                "{command} ({tag}): alt text `{alt}`"
            );
            let expected = format!("attachment://{name}");
            assert_eq!(
                image,
                in_embed.then_some(expected.as_str()),
                "{command} ({tag}) shows its picture: {body:#}"
            );
        }
    }
}

#[test]
fn streak_and_reward_views_fit_in_both_languages_with_roles_as_ids() {
    let sandbox = Sandbox::new();
    for command in ["/done kafka", "/learning redis", "/skip ruby"] {
        assert!(sandbox.ask(&[command, "--guild", "5"]).status.success());
    }
    let admin = ["--guild", "5", "--admin"];
    for add in [
        "/rewards add kind:items count:1 role:<@&77>",
        "/rewards add kind:section role:78 section:databases",
        "/rewards add kind:streak count:500 role:<@&79> keep:true",
        "/rewards add kind:milestone role:80",
    ] {
        let out = sandbox.ask(&[&[add, "--json"][..], &admin[..]].concat());
        assert!(out.status.success(), "{add}: {out:?}");
        let body = json(&out);
        assert_valid(add, &body);
        let text = body.to_string();
        // Offline nothing can be checked with Discord: the reward is saved and says so.
        assert!(
            text.contains("Recompensa") && text.contains("conferir"),
            "{add}: {text}"
        );
    }
    for tag in ["pt-BR", "en-US"] {
        for (command, admin) in [
            ("/streak view", false),
            ("/streak reminder enabled:true time:21h", false),
            ("/streak reminder enabled:false", false),
            ("/streak reminder enabled:true time:25:99", false),
            ("/leaderboard kind:streak", false),
            ("/rewards list", true),
            ("/rewards sync", true),
            ("/rewards announce enabled:true", true),
            ("/rewards remove id:99", true),
            ("/rewards add kind:items role:81", true),
            ("/rewards add kind:section role:81", true),
        ] {
            let mut args = vec![command, "--json", "--locale", tag, "--guild", "5"];
            if admin {
                args.push("--admin");
            }
            let out = sandbox.ask(&args);
            assert!(out.status.success(), "{command}: {out:?}");
            let body = json(&out);
            assert_valid(&format!("{command} ({tag})"), &body);
        }
    }
    // A count is a Discord integer from 1 to 1000: the client (here, the console) refuses the rest.
    for count in ["muitos", "0", "1001"] {
        let add = format!("/rewards add kind:items count:{count} role:81");
        let out = sandbox.ask(&[&add, "--guild", "5", "--admin"]);
        assert_eq!(out.status.code(), Some(2), "{add}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("from 1 to 1000"), "{add}: {stderr}");
    }
    let list = json(&sandbox.ask(&["/rewards list", "--json", "--guild", "5", "--admin"]));
    let text = list.to_string();
    for role in ["<@&77>", "<@&78>", "<@&79>", "<@&80>"] {
        assert!(text.contains(role), "{role} listed: {text}");
    }
    let view = json(&sandbox.ask(&["/streak view", "--json", "--guild", "5"])).to_string();
    assert!(view.contains("sequência de **1 dia**"), "{view}");
}
