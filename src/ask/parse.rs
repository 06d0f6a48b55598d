//! Parsing a slash command typed as text, as `trilha ask` receives it:
//! `/roadmap message brokers`, `/leaderboard period:week`, `/ranking período:semana`.
//!
//! Command, subcommand, option and choice names are accepted in English or Portuguese, exactly
//! as Discord shows them to members. `name:value` sets an option by name; other words fill the
//! remaining options in order, the last one taking all remaining words.

use crate::commands::{
    Args, AutocompleteRequest, CATALOG, Caller, CommandSpec, Invocation, OptionKind, OptionSpec,
    Person, SubcommandSpec, Value,
};
use crate::config::parse_snowflake;
use crate::i18n::Locale;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("type a slash command, like \"/roadmap kafka\"")]
    Empty,
    #[error("there is no command /{0} (commands: {1})")]
    UnknownCommand(String, String),
    #[error("/{0} needs a subcommand: {1}")]
    MissingSubcommand(String, String),
    #[error("/{0} has no subcommand `{1}` (subcommands: {2})")]
    UnknownSubcommand(String, String, String),
    #[error("/{0} has no option `{1}` (options: {2})")]
    UnknownOption(String, String, String),
    #[error("option `{0}` is missing")]
    MissingOption(String),
    #[error("option `{0}`: {1}")]
    BadValue(String, String),
    #[error("too many words: `{0}` does not belong to any option")]
    Extra(String),
    #[error("unbalanced quotes")]
    Quotes,
}

/// Splits on whitespace, keeping "quoted text" together.
fn tokens(input: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut has_token = false;
    for c in input.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' && current.is_empty() => {
                quote = Some(c);
                has_token = true;
            }
            None if c.is_whitespace() => {
                if has_token || !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                has_token = false;
            }
            None => {
                current.push(c);
                has_token = true;
            }
        }
    }
    if quote.is_some() {
        return Err(ParseError::Quotes);
    }
    if has_token || !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

/// Matches a typed name against a key's English and Portuguese names, ignoring case.
fn names_match(key_path: &str, typed: &str) -> bool {
    Locale::ALL.iter().any(|l| {
        l.command_texts()
            .get(key_path)
            .is_some_and(|(name, _)| name.eq_ignore_ascii_case(typed))
    }) || key_path
        .rsplit('.')
        .next()
        .is_some_and(|k| k.eq_ignore_ascii_case(typed))
}

fn find_command(typed: &str) -> Option<&'static CommandSpec> {
    CATALOG.iter().copied().find(|c| names_match(c.key, typed))
}

struct Parsed {
    command: &'static CommandSpec,
    subcommand: Option<&'static SubcommandSpec>,
    args: Args,
    /// The option the last word belongs to (for autocomplete), and its raw text.
    last: Option<(&'static OptionSpec, String)>,
}

fn parse(input: &str, complete: bool) -> Result<Parsed, ParseError> {
    let trailing_space = input.ends_with(char::is_whitespace);
    let mut words = tokens(input.trim())?.into_iter();
    let first = words.next().ok_or(ParseError::Empty)?;
    let name = first.trim_start_matches('/');
    let command = find_command(name).ok_or_else(|| {
        ParseError::UnknownCommand(
            name.to_string(),
            CATALOG
                .iter()
                .map(|c| format!("/{}", c.key))
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let target = Target::of(command, &mut words)?;
    let mut raw = target.assign(words)?;
    if complete && trailing_space && raw.is_empty() {
        // "/roadmap " with nothing typed yet: complete the first option that autocompletes.
        if let Some(option) = target.options.iter().find(|o| o.autocomplete()) {
            raw.push((option, String::new()));
        }
    }
    let last = raw.last().cloned();
    // While completing, the option being typed is partial text: it is not parsed yet.
    let typing = last.as_ref().filter(|_| complete).map(|(o, _)| o.key);
    let mut args = Args::default();
    for (option, value) in &raw {
        if typing == Some(option.key) {
            continue;
        }
        args.0
            .insert(option.key, parse_value(&target.path, option, value)?);
    }
    if !complete
        && let Some(missing) = target
            .options
            .iter()
            .find(|o| o.required && !args.0.contains_key(o.key))
    {
        return Err(ParseError::MissingOption(missing.key.into()));
    }
    Ok(Parsed {
        command,
        subcommand: target.subcommand,
        args,
        last,
    })
}

/// What the words after the command's name fill: the command itself, or the subcommand the
/// first of them names.
struct Target {
    subcommand: Option<&'static SubcommandSpec>,
    /// The key its option names are looked up under: `command` or `command.subcommand`.
    path: String,
    options: &'static [OptionSpec],
}

impl Target {
    /// Takes the subcommand's name from `words` when `command` has subcommands.
    fn of(
        command: &'static CommandSpec,
        words: &mut impl Iterator<Item = String>,
    ) -> Result<Target, ParseError> {
        if command.subcommands.is_empty() {
            return Ok(Target {
                subcommand: None,
                path: command.key.to_string(),
                options: command.options(),
            });
        }
        let list = || {
            command
                .subcommands
                .iter()
                .map(|s| s.key)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some(typed) = words.next() else {
            return Err(ParseError::MissingSubcommand(command.key.into(), list()));
        };
        let sub = command
            .subcommands
            .iter()
            .find(|s| names_match(&format!("{}.{}", command.key, s.key), &typed))
            .ok_or_else(|| {
                ParseError::UnknownSubcommand(command.key.into(), typed.clone(), list())
            })?;
        Ok(Target {
            subcommand: Some(sub),
            path: format!("{}.{}", command.key, sub.key),
            options: sub.handler.options,
        })
    }

    /// Pairs each option with its raw text: `name:value` words first, in the order typed, then
    /// the other words fill the options left in order, the last of them taking all the rest.
    fn assign(
        &self,
        words: impl Iterator<Item = String>,
    ) -> Result<Vec<(&'static OptionSpec, String)>, ParseError> {
        let mut raw: Vec<(&'static OptionSpec, String)> = Vec::new();
        let mut positional: Vec<String> = Vec::new();
        for word in words {
            let named = word.split_once(':').and_then(|(name, value)| {
                self.options
                    .iter()
                    .find(|o| names_match(&format!("{}.{}", self.path, o.key), name))
                    .map(|o| (o, value.to_string()))
            });
            match named {
                Some(pair) => raw.push(pair),
                None => positional.push(word),
            }
        }
        let mut free: Vec<&'static OptionSpec> = self
            .options
            .iter()
            .filter(|o| raw.iter().all(|(r, _)| r.key != o.key))
            .collect();
        let mut positional = positional.into_iter().peekable();
        while positional.peek().is_some() {
            if free.is_empty() {
                return Err(ParseError::Extra(positional.collect::<Vec<_>>().join(" ")));
            }
            let option = free.remove(0);
            let value = if free.is_empty() {
                // The last free option takes the rest: `/roadmap message brokers`.
                positional.by_ref().collect::<Vec<_>>().join(" ")
            } else {
                positional.next().unwrap_or_default()
            };
            raw.push((option, value));
        }
        Ok(raw)
    }
}

fn parse_value(path: &str, option: &OptionSpec, raw: &str) -> Result<Value, ParseError> {
    let bad = |why: &str| ParseError::BadValue(option.key.to_string(), why.to_string());
    let id = |prefix: &str| {
        let trimmed = raw.trim();
        let inner = trimmed
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix('>'))
            .unwrap_or(trimmed);
        parse_snowflake(inner)
    };
    Ok(match option.kind {
        OptionKind::String if !option.choices.is_empty() => {
            let choice = option
                .choices
                .iter()
                .find(|c| names_match(&format!("{path}.{}.{c}", option.key), raw.trim()))
                .ok_or_else(|| bad(&format!("choose one of: {}", option.choices.join(", "))))?;
            Value::String((*choice).to_string())
        }
        OptionKind::String => Value::String(raw.to_string()),
        OptionKind::Integer => {
            let (min, max) = option.range.unwrap_or((i64::MIN, i64::MAX));
            let n = raw
                .trim()
                .trim_start_matches('#')
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| bad(&format!("expected a whole number from {min} to {max}")))?;
            Value::Integer(n)
        }
        OptionKind::Boolean => Value::Boolean(match raw.trim().to_lowercase().as_str() {
            "true" | "yes" | "sim" | "verdadeiro" => true,
            "false" | "no" | "nao" | "não" | "falso" => false,
            _ => return Err(bad("expected true or false")),
        }),
        OptionKind::User => Value::User(Person::id_only(
            id("<@")
                .or_else(|| id("<@!"))
                .ok_or_else(|| bad("expected a user id or <@id>"))?,
        )),
        OptionKind::Channel => {
            Value::Channel(id("<#").ok_or_else(|| bad("expected a channel id or <#id>"))?)
        }
        OptionKind::Role => {
            Value::Role(id("<@&").ok_or_else(|| bad("expected a role id or <@&id>"))?)
        }
    })
}

/// Parses a command for execution.
pub fn parse_invocation(input: &str, caller: Caller) -> Result<Invocation, ParseError> {
    let parsed = parse(input, false)?;
    Ok(Invocation {
        command: parsed.command,
        subcommand: parsed.subcommand,
        args: parsed.args,
        caller,
    })
}

/// Parses a partly typed command for autocomplete: the last option is the one being typed.
pub fn parse_autocomplete(input: &str, caller: Caller) -> Result<AutocompleteRequest, ParseError> {
    let parsed = parse(input, true)?;
    let (option, partial) = match parsed.last {
        Some((option, partial)) if option.autocomplete() => (option, partial),
        Some((option, _)) => {
            return Err(ParseError::BadValue(
                option.key.into(),
                "this option has no autocomplete".into(),
            ));
        }
        None => {
            let options = parsed
                .subcommand
                .map_or(parsed.command.options(), |s| s.handler.options);
            let option = options.iter().find(|o| o.autocomplete()).ok_or_else(|| {
                ParseError::BadValue(
                    parsed.command.key.into(),
                    "this command has no autocomplete".into(),
                )
            })?;
            (option, String::new())
        }
    };
    Ok(AutocompleteRequest {
        command: parsed.command,
        subcommand: parsed.subcommand,
        option,
        partial,
        args: parsed.args,
        caller,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller::for_tests(false)
    }

    #[test]
    fn tokens_keep_quoted_text_together() {
        assert_eq!(
            tokens("/roadmap \"message brokers\"").unwrap(),
            vec!["/roadmap", "message brokers"]
        );
        assert_eq!(tokens("a  b").unwrap(), vec!["a", "b"]);
        assert_eq!(tokens("a \"\"").unwrap(), vec!["a", ""]);
        assert!(tokens("a \"b").is_err());
    }

    #[test]
    fn the_last_free_option_takes_every_remaining_word() {
        let inv = parse_invocation("/roadmap message brokers", caller()).unwrap();
        assert_eq!(inv.command.key, "roadmap");
        assert_eq!(inv.args.string("topic"), Some("message brokers"));
    }

    #[test]
    fn options_by_name_in_either_language() {
        let inv = parse_invocation("/roadmap tópico:kafka", caller()).unwrap();
        assert_eq!(inv.args.string("topic"), Some("kafka"));
        let inv = parse_invocation("roadmap topic:kafka", caller()).unwrap();
        assert_eq!(inv.args.string("topic"), Some("kafka"));
    }

    #[test]
    fn unknown_commands_are_explained() {
        let err = parse_invocation("/nope", caller()).unwrap_err();
        assert!(matches!(err, ParseError::UnknownCommand(..)));
        assert!(err.to_string().contains("/roadmap"));
    }

    #[test]
    fn autocomplete_targets_the_option_being_typed() {
        let req = parse_autocomplete("/roadmap kaf", caller()).unwrap();
        assert_eq!((req.option.key, req.partial.as_str()), ("topic", "kaf"));
        let req = parse_autocomplete("/roadmap ", caller()).unwrap();
        assert_eq!((req.option.key, req.partial.as_str()), ("topic", ""));
        let req = parse_autocomplete("/roadmap", caller()).unwrap();
        assert_eq!((req.option.key, req.partial.as_str()), ("topic", ""));
    }
}
