//! The catalog: every slash command trilha registers, in the order Discord lists them. Each is
//! declared once, in its own file ([`super::define`] says how); registration (with pt-BR
//! localizations), the interaction parser, `trilha ask` and autocomplete read this list.

pub use super::define::{CommandSpec, OptionKind, OptionSpec, SubcommandSpec};
use super::{card, config, done, leaderboard, progress, prompts, quiz, rewards, roadmap, streak};

/// Every command trilha registers.
pub static CATALOG: &[&CommandSpec] = &[
    &roadmap::COMMAND,
    &done::DONE,
    &done::LEARNING,
    &done::SKIP,
    &done::UNDO,
    &progress::PROGRESS,
    &progress::NEXT,
    &progress::COMMUNITY,
    &card::COMMAND,
    &streak::COMMAND,
    &quiz::COMMAND,
    &leaderboard::COMMAND,
    &config::COMMAND,
    &prompts::COMMAND,
    &rewards::COMMAND,
];

/// A command by its English name (what Discord sends back).
pub fn command(key: &str) -> Option<&'static CommandSpec> {
    CATALOG.iter().copied().find(|c| c.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::args::{Args, Person, Value};
    use crate::commands::define::{Handler, ParseError};

    /// A value an option may take: its first choice, its lowest number, or a plausible one of
    /// its kind.
    fn sample(option: &OptionSpec) -> Value {
        match option.kind {
            OptionKind::String => Value::String(
                option
                    .choices
                    .first()
                    .map_or_else(|| "kafka".to_string(), |c| c.to_string()),
            ),
            OptionKind::Integer => Value::Integer(option.range.map_or(1, |(min, _)| min)),
            OptionKind::Boolean => Value::Boolean(true),
            OptionKind::User => Value::User(Person::id_only(7)),
            OptionKind::Channel => Value::Channel(8),
            OptionKind::Role => Value::Role(9),
        }
    }

    /// Every leaf of the catalog with its path, as Discord names it.
    fn leaves() -> Vec<(String, &'static CommandSpec, Handler)> {
        let mut out = Vec::new();
        for spec in CATALOG {
            if let Some(handler) = spec.handler {
                out.push((spec.key.to_string(), *spec, handler));
            }
            for sub in spec.subcommands {
                out.push((format!("{} {}", spec.key, sub.key), *spec, sub.handler));
            }
        }
        out
    }

    /// Every leaf parses its options filled, and with only the required ones: a field renamed in
    /// an options struct renames the option everywhere at once, so the two cannot drift.
    #[test]
    fn every_leaf_parses_its_own_declaration() {
        let leaves = leaves();
        assert_eq!(leaves.len(), 27, "one leaf per command and subcommand");
        for (path, spec, handler) in leaves {
            assert!(
                spec.handler.is_some() == spec.subcommands.is_empty(),
                "/{path}: a command is a leaf or a family"
            );
            let mut keys: Vec<&str> = handler.options.iter().map(|o| o.key).collect();
            keys.dedup();
            assert_eq!(
                keys.len(),
                handler.options.len(),
                "/{path}: option names are unique"
            );
            for with_optional in [true, false] {
                let mut args = Args::default();
                for o in handler
                    .options
                    .iter()
                    .filter(|o| o.required || with_optional)
                {
                    args.0.insert(o.key, sample(o));
                }
                (handler.check)(&args, spec.key).unwrap_or_else(|e| panic!("/{path}: {e}"));
            }
        }
    }

    #[test]
    fn values_that_do_not_fit_are_errors_never_defaults() {
        let add = command("rewards")
            .unwrap()
            .subcommand("add")
            .unwrap()
            .handler;
        let args = |pairs: &[(&'static str, Value)]| Args(pairs.iter().cloned().collect());
        let kind = ("kind", Value::String("items".into()));
        let role = ("role", Value::Role(9));
        assert_eq!(
            (add.check)(&args(std::slice::from_ref(&kind)), "rewards"),
            Err(ParseError::Missing {
                command: "rewards",
                option: "role"
            })
        );
        for bad in [
            ("count", Value::Integer(0)),
            ("count", Value::Integer(1001)),
            ("count", Value::String("10".into())),
            ("kind", Value::String("level".into())),
        ] {
            let error = (add.check)(&args(&[kind.clone(), role.clone(), bad.clone()]), "rewards");
            assert!(
                matches!(error, Err(ParseError::BadValue { option, .. }) if option == bad.0),
                "{bad:?}: {error:?}"
            );
        }
        let count = ("count", Value::Integer(1000));
        assert_eq!((add.check)(&args(&[kind, role, count]), "rewards"), Ok(()));
    }

    /// Integer options are Discord integers with a range (the reward count, its number).
    #[test]
    fn numbers_are_integers_with_a_range() {
        let add = command("rewards")
            .unwrap()
            .subcommand("add")
            .unwrap()
            .handler;
        let count = add.options.iter().find(|o| o.key == "count").unwrap();
        assert_eq!(
            (count.kind, count.range),
            (OptionKind::Integer, Some((1, 1000)))
        );
        let remove = command("rewards")
            .unwrap()
            .subcommand("remove")
            .unwrap()
            .handler;
        assert_eq!(remove.options[0].kind, OptionKind::Integer);
        for (path, _, handler) in leaves() {
            for o in handler.options {
                assert_eq!(
                    o.kind == OptionKind::Integer,
                    o.range.is_some(),
                    "/{path} {}: every integer has a range, and only integers",
                    o.key
                );
            }
        }
    }
}
