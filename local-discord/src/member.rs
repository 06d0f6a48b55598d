//! What a member does in the Discord client, turned into interaction payloads: picking a
//! registered command and filling its options, typing into an autocomplete option, pressing a
//! button. Parsing follows the commands the bot registered, so a command that was registered
//! wrongly cannot be used here either.

use serde_json::{Map, Value, json};

use crate::world::{GuildInfo, World};

fn tokens(input: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in input.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut current));
                    started = false;
                }
            }
            c => {
                current.push(c);
                started = true;
            }
        }
    }
    if quoted {
        return Err("unbalanced quotes".into());
    }
    if started {
        out.push(current);
    }
    Ok(out)
}

/// A registered name matches what the member typed: its default or any localized name.
fn named(object: &Value, typed: &str) -> bool {
    object["name"]
        .as_str()
        .is_some_and(|n| n.eq_ignore_ascii_case(typed))
        || object["name_localizations"].as_object().is_some_and(|m| {
            m.values()
                .any(|v| v.as_str().is_some_and(|n| n.eq_ignore_ascii_case(typed)))
        })
}

fn snowflake_in(text: &str, prefixes: &[&str]) -> Option<u64> {
    let t = text.trim();
    for p in prefixes {
        if let Some(inner) = t.strip_prefix(p).and_then(|r| r.strip_suffix('>')) {
            return inner.parse().ok();
        }
    }
    t.parse().ok()
}

/// The command data for a typed command, and whether it is a guild command.
pub(crate) struct Typed {
    pub data: Value,
    pub default_member_permissions: Option<u64>,
}

/// Where a command is run from, as Discord checks it against the command's registration.
#[derive(Clone, Copy, Debug)]
pub struct Reach {
    /// The interaction context: 0 a server, 1 the bot's DM, 2 another private channel.
    pub context: u64,
    /// Through the member's own install of the app rather than the server's.
    pub user_install: bool,
}

pub(crate) fn command_data(
    world: &World,
    guild: Option<&GuildInfo>,
    text: &str,
    focused: bool,
    reach: Reach,
) -> Result<Typed, String> {
    let mut words = tokens(text.trim())?;
    if words.is_empty() {
        return Err("empty command".into());
    }
    let name = words.remove(0);
    let name = name.trim_start_matches('/');
    let commands = world.commands_for(guild.map(|g| g.id));
    if commands.is_empty() {
        return Err("the bot has not registered any command (is it running and connected?)".into());
    }
    let command = commands.iter().find(|c| named(c, name)).ok_or_else(|| {
        format!(
            "no registered command /{name} (registered: {})",
            commands
                .iter()
                .filter_map(|c| c["name"].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let contexts: Vec<u64> = command["contexts"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_else(|| vec![0, 1, 2]);
    if !contexts.contains(&reach.context) {
        return Err(match reach.context {
            0 => format!("/{name} is not available in servers"),
            1 => format!("/{name} is not available in DMs"),
            _ => format!("/{name} is not available in group DMs"),
        });
    }
    let installs: Vec<u64> = command["integration_types"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_else(|| vec![0]);
    if reach.user_install && !installs.contains(&1) {
        return Err(format!(
            "/{name} cannot be installed to a user (integration_types {installs:?})"
        ));
    }
    let mut options: Vec<Value> = command["options"].as_array().cloned().unwrap_or_default();
    let mut sub: Option<Value> = None;
    if options.iter().any(|o| o["type"] == 1) {
        let typed = if words.is_empty() {
            String::new()
        } else {
            words.remove(0)
        };
        let chosen = options
            .iter()
            .find(|o| o["type"] == 1 && named(o, &typed))
            .cloned()
            .ok_or_else(|| format!("/{name} needs a subcommand, got `{typed}`"))?;
        options = chosen["options"].as_array().cloned().unwrap_or_default();
        sub = Some(chosen);
    }

    // Named `option:value` first, then positional words fill the rest in order.
    let mut given: Vec<(Value, String)> = Vec::new();
    let mut positional = Vec::new();
    for word in words {
        match word.split_once(':').and_then(|(n, v)| {
            options
                .iter()
                .find(|o| named(o, n))
                .map(|o| (o.clone(), v.to_string()))
        }) {
            Some(pair) => given.push(pair),
            None => positional.push(word),
        }
    }
    let mut free: Vec<Value> = options
        .iter()
        .filter(|o| given.iter().all(|(g, _)| g["name"] != o["name"]))
        .cloned()
        .collect();
    let mut rest = positional.into_iter().peekable();
    while rest.peek().is_some() {
        if free.is_empty() {
            return Err(format!(
                "too many words: {}",
                rest.collect::<Vec<_>>().join(" ")
            ));
        }
        let option = free.remove(0);
        let value = if free.is_empty() {
            rest.by_ref().collect::<Vec<_>>().join(" ")
        } else {
            rest.next().unwrap_or_default()
        };
        given.push((option, value));
    }
    if focused
        && given.is_empty()
        && let Some(o) = options.iter().find(|o| o["autocomplete"] == true)
    {
        given.push((o.clone(), String::new()));
    }

    let mut resolved = Map::new();
    let mut out = Vec::new();
    let last = given.len().saturating_sub(1);
    for (i, (option, raw)) in given.iter().enumerate() {
        let kind = option["type"].as_u64().unwrap_or(3);
        let option_name = option["name"].as_str().unwrap_or_default();
        if focused && i == last {
            if option["autocomplete"] != true {
                return Err(format!("option `{option_name}` has no autocomplete"));
            }
            out.push(json!({"name": option_name, "type": kind, "value": raw, "focused": true}));
            continue;
        }
        let value = match kind {
            3 => match option["choices"].as_array().filter(|c| !c.is_empty()) {
                Some(choices) => choices
                    .iter()
                    .find(|c| {
                        named(c, raw)
                            || c["value"]
                                .as_str()
                                .is_some_and(|v| v.eq_ignore_ascii_case(raw))
                    })
                    .map(|c| c["value"].clone())
                    .ok_or_else(|| format!("`{raw}` is not a choice of `{option_name}`"))?,
                None => {
                    let len = raw.chars().count();
                    if len > 6000 {
                        return Err("string too long".into());
                    }
                    json!(raw)
                }
            },
            4 => {
                // The Discord client refuses a number outside the option's range.
                let n = raw
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| format!("`{option_name}` needs a whole number"))?;
                let min = option["min_value"].as_i64().unwrap_or(i64::MIN);
                let max = option["max_value"].as_i64().unwrap_or(i64::MAX);
                if !(min..=max).contains(&n) {
                    return Err(format!("`{option_name}` must be from {min} to {max}"));
                }
                json!(n)
            }
            10 => json!(
                raw.trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{option_name}` needs a number"))?
            ),
            5 => json!(matches!(
                raw.trim().to_lowercase().as_str(),
                "true" | "sim" | "yes"
            )),
            6 => {
                let guild = guild.ok_or("user options need a server here")?;
                let member = snowflake_in(raw, &["<@!", "<@"])
                    .and_then(|id| guild.member(id))
                    .or_else(|| guild.member_named(raw.trim_start_matches('@')))
                    .ok_or_else(|| format!("no member `{raw}`"))?;
                let users = resolved.entry("users").or_insert_with(|| json!({}));
                users[member.user.id.to_string()] = crate::payloads::user(&member.user);
                let members = resolved.entry("members").or_insert_with(|| json!({}));
                let mut m =
                    crate::payloads::member(member, Some(guild.permissions_of(member.user.id)));
                m.as_object_mut().map(|o| o.remove("user"));
                members[member.user.id.to_string()] = m;
                json!(member.user.id.to_string())
            }
            7 => {
                let guild = guild.ok_or("channel options need a server here")?;
                let channel = snowflake_in(raw, &["<#"])
                    .and_then(|id| guild.channels.iter().find(|c| c.id == id))
                    .or_else(|| guild.channel_named(raw))
                    .ok_or_else(|| format!("no channel `{raw}`"))?;
                let channels = resolved.entry("channels").or_insert_with(|| json!({}));
                let perms = guild.permissions_of(world.bot.id);
                channels[channel.id.to_string()] = json!({"id": channel.id.to_string(), "name": channel.name, "type": 0, "permissions": perms.to_string(), "guild_id": guild.id.to_string(), "parent_id": null, "thread_metadata": null, "flags": 0});
                json!(channel.id.to_string())
            }
            8 => {
                let guild = guild.ok_or("role options need a server here")?;
                let role = snowflake_in(raw, &["<@&"])
                    .and_then(|id| guild.roles.iter().find(|r| r.id == id))
                    .or_else(|| {
                        guild.roles.iter().find(|r| {
                            // "@everyone" is a role's own name; others are typed "@Name".
                            r.name.eq_ignore_ascii_case(raw)
                                || r.name.eq_ignore_ascii_case(raw.trim_start_matches('@'))
                        })
                    })
                    .ok_or_else(|| format!("no role `{raw}`"))?;
                let roles = resolved.entry("roles").or_insert_with(|| json!({}));
                roles[role.id.to_string()] = crate::payloads::role(role);
                json!(role.id.to_string())
            }
            other => return Err(format!("option type {other} is not supported here")),
        };
        out.push(json!({"name": option_name, "type": kind, "value": value}));
    }
    if !focused {
        for o in &options {
            if o["required"] == true && given.iter().all(|(g, _)| g["name"] != o["name"]) {
                return Err(format!(
                    "option `{}` is required",
                    o["name"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    let options = match &sub {
        Some(s) => vec![json!({"name": s["name"], "type": 1, "options": out})],
        None => out,
    };
    let mut data =
        json!({"id": command["id"], "name": command["name"], "type": 1, "options": options});
    if let Some(g) = command.get("guild_id").filter(|g| !g.is_null()) {
        data["guild_id"] = g.clone();
    }
    if !resolved.is_empty() {
        data["resolved"] = Value::Object(resolved);
    }
    let default_member_permissions = command["default_member_permissions"]
        .as_str()
        .and_then(|p| p.parse().ok());
    Ok(Typed {
        data,
        default_member_permissions,
    })
}

/// The buttons of a message body: (label, custom_id, disabled).
pub fn buttons(body: &Value) -> Vec<(String, String, bool)> {
    body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter(|b| b["type"] == 2)
        .map(|b| {
            (
                b["label"].as_str().unwrap_or_default().to_string(),
                b["custom_id"].as_str().unwrap_or_default().to_string(),
                b["disabled"] == true,
            )
        })
        .collect()
}
