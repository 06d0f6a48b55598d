//! Slash-command registration, built from [`crate::commands::CATALOG`].
//!
//! At start-up (once per process, never from the Ready handler) trilha fetches what Discord
//! has registered and overwrites it only when it differs from what this release declares:
//! bulk overwrites count against a daily quota, and needless ones would churn every client's
//! command cache.

use serde_json::{Map, Value};
use serenity::all::{
    CommandOptionType, CreateCommand, CreateCommandOption, GuildId, Http, InstallationContext,
    InteractionContext, Permissions,
};

use crate::commands::{CATALOG, CommandSpec, OptionKind, OptionSpec};
use crate::i18n::Locale;
use crate::reply::limits;

fn localized(key: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    let (en_name, en_description) = Locale::En.command_texts().get(key).unwrap_or(("?", "?"));
    let (pt_name, pt_description) = Locale::PtBr.command_texts().get(key).unwrap_or(("?", "?"));
    (en_name, en_description, pt_name, pt_description)
}

fn option(path: &str, spec: &OptionSpec) -> CreateCommandOption {
    let key = format!("{path}.{}", spec.key);
    let (name, description, pt_name, pt_description) = localized(&key);
    let kind = match spec.kind {
        OptionKind::String => CommandOptionType::String,
        OptionKind::Integer => CommandOptionType::Integer,
        OptionKind::Boolean => CommandOptionType::Boolean,
        OptionKind::User => CommandOptionType::User,
        OptionKind::Channel => CommandOptionType::Channel,
        OptionKind::Role => CommandOptionType::Role,
    };
    let mut out = CreateCommandOption::new(kind, name, description)
        .name_localized(Locale::PtBr.discord_tag(), pt_name)
        .description_localized(Locale::PtBr.discord_tag(), pt_description)
        .required(spec.required)
        .set_autocomplete(spec.autocomplete());
    if let Some((min, max)) = spec.range {
        // Every range trilha declares is of counts and numbers, from 1 up.
        let bound = |n: i64| u64::try_from(n).unwrap_or(0);
        out = out.min_int_value(bound(min)).max_int_value(bound(max));
    }
    for choice in spec.choices {
        let (en, _, pt, _) = localized(&format!("{key}.{choice}"));
        out = out.add_string_choice_localized(en, *choice, [(Locale::PtBr.discord_tag(), pt)]);
    }
    out
}

/// The registration payload of one command.
pub fn build(spec: &CommandSpec) -> CreateCommand {
    let (name, description, pt_name, pt_description) = localized(spec.key);
    let mut out = CreateCommand::new(name)
        .description(description)
        .name_localized(Locale::PtBr.discord_tag(), pt_name)
        .description_localized(Locale::PtBr.discord_tag(), pt_description)
        .integration_types(if spec.anywhere {
            vec![InstallationContext::Guild, InstallationContext::User]
        } else {
            vec![InstallationContext::Guild]
        })
        .contexts(if spec.anywhere {
            vec![
                InteractionContext::Guild,
                InteractionContext::BotDm,
                InteractionContext::PrivateChannel,
            ]
        } else if spec.in_dms {
            vec![InteractionContext::Guild, InteractionContext::BotDm]
        } else {
            vec![InteractionContext::Guild]
        });
    if spec.manage_guild {
        out = out.default_member_permissions(Permissions::MANAGE_GUILD);
    }
    for sub in spec.subcommands {
        let key = format!("{}.{}", spec.key, sub.key);
        let (name, description, pt_name, pt_description) = localized(&key);
        let mut subcommand =
            CreateCommandOption::new(CommandOptionType::SubCommand, name, description)
                .name_localized(Locale::PtBr.discord_tag(), pt_name)
                .description_localized(Locale::PtBr.discord_tag(), pt_description);
        for o in sub.handler.options {
            subcommand = subcommand.add_sub_option(option(&key, o));
        }
        out = out.add_option(subcommand);
    }
    for o in spec.options() {
        out = out.add_option(option(spec.key, o));
    }
    out
}

/// Every command's registration payload, in catalog order.
pub fn all() -> Vec<CreateCommand> {
    CATALOG.iter().map(|c| build(c)).collect()
}

const COMPARED_KEYS: &[&str] = &[
    "type",
    "name",
    "name_localizations",
    "description",
    "description_localizations",
    "options",
    "required",
    "autocomplete",
    "choices",
    "value",
    "min_value",
    "max_value",
    "default_member_permissions",
    "contexts",
    "integration_types",
];

/// Reduces a command (as sent or as Discord returns it) to the parts we declare, with
/// defaults dropped, so that equal declarations compare equal.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                if !COMPARED_KEYS.contains(&key.as_str()) {
                    continue;
                }
                // A localization map is data (`pt-BR` -> text): compared whole, not filtered.
                let v = if key.ends_with("_localizations") {
                    v.clone()
                } else {
                    canonical(v)
                };
                let is_default = match &v {
                    Value::Null | Value::Bool(false) => true,
                    Value::Array(a) => a.is_empty(),
                    Value::Object(o) => o.is_empty(),
                    _ => false,
                };
                // A command's type 1 (chat input) is Discord's default.
                if is_default || (key == "type" && v == 1 && map.contains_key("contexts")) {
                    continue;
                }
                // Discord returns permissions as a string, serenity may send a number.
                let v = match (key.as_str(), v) {
                    ("default_member_permissions", Value::Number(n)) => {
                        Value::String(n.to_string())
                    }
                    (_, v) => v,
                };
                out.insert(key.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn canonical_set(commands: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = commands.iter().map(canonical).collect();
    out.sort_by_key(|c| {
        c.get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    });
    out
}

/// Whether Discord already holds exactly what this release declares.
pub fn up_to_date(registered: &[Value], desired: &[CreateCommand]) -> bool {
    let desired: Vec<Value> = desired
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
        .collect();
    canonical_set(registered) == canonical_set(&desired)
}

/// Where commands are registered.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    Global,
    Guild(u64),
}

/// Makes Discord's registered commands match the catalog; returns whether it had to write.
pub async fn sync(http: &Http, scope: Scope) -> Result<bool, serenity::Error> {
    let desired = all();
    let registered = match scope {
        Scope::Global => http.get_global_commands_with_localizations().await?,
        Scope::Guild(id) => {
            http.get_guild_commands_with_localizations(GuildId::new(id))
                .await?
        }
    };
    let registered: Vec<Value> = registered
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
        .collect();
    if up_to_date(&registered, &desired) {
        tracing::info!(
            ?scope,
            commands = desired.len(),
            "slash commands already up to date"
        );
        return Ok(false);
    }
    match scope {
        Scope::Global => http.create_global_commands(&desired).await?,
        Scope::Guild(id) => {
            http.create_guild_commands(GuildId::new(id), &desired)
                .await?
        }
    };
    tracing::info!(
        ?scope,
        commands = desired.len(),
        "slash commands registered"
    );
    Ok(true)
}

/// Discord's rule for command, option and choice *names*: 1-32 characters, letters (any
/// script), digits, `-` and `_`, lowercase wherever a letter has a lowercase form.
pub fn valid_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=crate::reply::limits::COMMAND_NAME).contains(&n)
        && name.chars().all(|c| {
            (c == '-' || c == '_' || c.is_alphanumeric()) && c.to_lowercase().eq(std::iter::once(c))
        })
}

/// Every way the declared commands break Discord's registration rules; empty when valid.
pub fn catalog_violations() -> Vec<String> {
    let mut out = Vec::new();
    if CATALOG.len() > 100 {
        out.push("more than 100 commands".into());
    }
    for spec in CATALOG {
        check_texts(spec.key, &mut out);
        if !spec.subcommands.is_empty() && !spec.options().is_empty() {
            out.push(format!(
                "{}: options and subcommands cannot be combined",
                spec.key
            ));
        }
        check_options(spec.key, spec.options(), &mut out);
        for sub in spec.subcommands {
            let key = format!("{}.{}", spec.key, sub.key);
            check_texts(&key, &mut out);
            check_options(&key, sub.handler.options, &mut out);
        }
    }
    out
}

/// A command's, subcommand's or option's name and description, in every language.
fn check_texts(key: &str, out: &mut Vec<String>) {
    for locale in Locale::ALL {
        let tag = locale.discord_tag();
        let Some((name, description)) = locale.command_texts().get(key) else {
            out.push(format!("{key}: no {tag} name/description"));
            continue;
        };
        if !valid_name(name) {
            out.push(format!(
                "{key}: {tag} name `{name}` breaks Discord's naming rule"
            ));
        }
        let n = description.chars().count();
        if !(1..=limits::COMMAND_DESCRIPTION).contains(&n) {
            out.push(format!(
                "{key}: {tag} description is {n} characters (1-100)"
            ));
        }
    }
    if Locale::En
        .command_texts()
        .get(key)
        .is_some_and(|(name, _)| !key.ends_with(name))
    {
        out.push(format!("{key}: the English name must equal the key"));
    }
}

/// The options of one command or subcommand: how many, their order, choices and texts.
fn check_options(path: &str, options: &[OptionSpec], out: &mut Vec<String>) {
    if options.len() > limits::COMMAND_OPTIONS {
        out.push(format!("{path}: {} options (limit 25)", options.len()));
    }
    let mut seen_optional = false;
    for o in options {
        let key = format!("{path}.{}", o.key);
        check_texts(&key, out);
        if o.required && seen_optional {
            out.push(format!(
                "{key}: required options must come before optional ones"
            ));
        }
        seen_optional |= !o.required;
        if o.choices.len() > limits::CHOICES {
            out.push(format!("{key}: {} choices (limit 25)", o.choices.len()));
        }
        if o.autocomplete() && !o.choices.is_empty() {
            out.push(format!(
                "{key}: autocomplete and fixed choices cannot be combined"
            ));
        }
        if let Some((min, max)) = o.range
            && (min < 0 || min > max)
        {
            out.push(format!("{key}: the range {min}..={max} is not a count"));
        }
        for choice in o.choices {
            check_choice(&format!("{key}.{choice}"), out);
        }
    }
}

/// A choice's name, in every language.
fn check_choice(choice_key: &str, out: &mut Vec<String>) {
    for locale in Locale::ALL {
        match locale.command_texts().get(choice_key) {
            Some((name, _)) if (1..=limits::CHOICE_NAME).contains(&name.chars().count()) => {}
            _ => out.push(format!(
                "{choice_key}: missing or over-long {} choice name",
                locale.discord_tag()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_follows_discords_rules() {
        assert_eq!(catalog_violations(), Vec::<String>::new());
    }

    #[test]
    fn names_follow_discords_pattern() {
        assert!(valid_name("roadmap"));
        assert!(valid_name("tópico"));
        assert!(valid_name("próximo"));
        assert!(!valid_name("Roadmap"));
        assert!(!valid_name("two words"));
        assert!(!valid_name(""));
        assert!(!valid_name(&"a".repeat(33)));
    }

    /// What Discord's `GET .../commands?with_localizations=true` returns for what was sent: the
    /// same commands with the fields Discord adds (ids, version, type, contexts...), read through
    /// serenity's model exactly as [`sync`] reads them.
    fn as_discord_returns(sent: &[Value]) -> Vec<Value> {
        sent.iter()
            .enumerate()
            .map(|(i, command)| {
                let mut returned = command.clone();
                let extra = serde_json::json!({
                    "id": (1_000 + i).to_string(),
                    "application_id": "42",
                    "version": "1300000000000000000",
                    "type": 1,
                    "nsfw": false,
                    "integration_types": [0],
                });
                for (k, v) in extra.as_object().unwrap() {
                    // Discord echoes what was sent, and fills in what was not.
                    if returned.get(k).is_none_or(Value::is_null) {
                        returned[k] = v.clone();
                    }
                }
                let model: serenity::all::Command =
                    serde_json::from_value(returned).expect("serenity reads it");
                serde_json::to_value(model).unwrap()
            })
            .collect()
    }

    #[test]
    fn what_discord_returns_for_our_commands_counts_as_up_to_date_and_a_change_does_not() {
        let desired = all();
        let sent: Vec<Value> = desired
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect();
        let mut registered = as_discord_returns(&sent);
        registered.reverse(); // Discord's order is its own.
        assert!(up_to_date(&registered, &desired));
        for change in [
            ("/0/description", Value::from("something else")),
            ("/1/name_localizations/pt-BR", Value::from("outro")),
        ] {
            let mut changed = Value::Array(registered.clone());
            *changed.pointer_mut(change.0).unwrap() = change.1.clone();
            let changed = changed.as_array().unwrap().clone();
            assert!(!up_to_date(&changed, &desired), "{change:?} is a change");
        }
        assert!(
            !up_to_date(&registered[1..], &desired),
            "a missing command is a change"
        );
    }
}
