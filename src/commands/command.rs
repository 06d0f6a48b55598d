//! The typed form of a slash command: parsed once from the catalog's option values, so dispatch
//! is an exhaustive `match` and a required option can never quietly become an empty string.

use super::args::{Args, Invocation, Person};
use crate::progress::periods::Period;
use crate::progress::tally::BoardKind;

/// `/config language`'s choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LanguageChoice {
    PtBr,
    En,
    /// Follow the server's Discord language.
    Auto,
}

/// `/prompts setup`'s options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptsSetup {
    pub channel: u64,
    /// As typed ("9h", "21:30"): checked by the command, which explains a bad one.
    pub time: String,
    pub days: Option<String>,
    pub timezone: Option<String>,
    pub role: Option<u64>,
    pub section: Option<String>,
    pub thread: bool,
}

/// Every command, with its options typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Roadmap {
        topic: Option<String>,
    },
    Done {
        item: String,
    },
    Learning {
        item: String,
    },
    Skip {
        item: String,
    },
    Undo {
        item: String,
    },
    Progress {
        member: Option<Person>,
    },
    Next,
    Leaderboard {
        period: Option<Period>,
        section: Option<String>,
        /// What to rank (done items by default, or the server's setting).
        kind: Option<BoardKind>,
    },
    ConfigTimezone {
        zone: String,
    },
    ConfigLanguage {
        language: LanguageChoice,
    },
    PromptsSetup(PromptsSetup),
    PromptsPause,
    PromptsResume,
    PromptsNow,
    PromptsStatus,
    PromptsDigest {
        enabled: bool,
    },
    Community,
    Quiz {
        topic: Option<String>,
    },
    ConfigVerified {
        enabled: bool,
    },
    StreakView {
        member: Option<Person>,
    },
    StreakReminder {
        enabled: bool,
        time: Option<String>,
    },
    RewardsAdd {
        kind: String,
        role: u64,
        section: Option<String>,
        count: Option<String>,
        keep: bool,
    },
    RewardsList,
    RewardsRemove {
        id: String,
    },
    RewardsSync,
    RewardsAnnounce {
        enabled: bool,
    },
}

/// An invocation that does not fit the catalog: Discord enforces required options and choices,
/// so this is a registration out of step with this release, never a member's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("/{command}: no such command in this release")]
    Unknown { command: String },
    #[error("/{command}: required option `{option}` is missing")]
    Missing {
        command: &'static str,
        option: &'static str,
    },
    #[error("/{command}: option `{option}` has a value this release does not know: `{value}`")]
    BadChoice {
        command: &'static str,
        option: &'static str,
        value: String,
    },
}

/// Typed access to one invocation's values, naming the command in errors.
struct Values<'a> {
    command: &'static str,
    args: &'a Args,
}

impl Values<'_> {
    fn text(&self, option: &'static str) -> Option<String> {
        self.args.string(option).map(str::to_string)
    }

    fn required(&self, option: &'static str) -> Result<String, ParseError> {
        self.text(option).ok_or(ParseError::Missing {
            command: self.command,
            option,
        })
    }

    fn flag(&self, option: &'static str) -> Result<bool, ParseError> {
        self.args.boolean(option).ok_or(ParseError::Missing {
            command: self.command,
            option,
        })
    }

    fn channel(&self, option: &'static str) -> Result<u64, ParseError> {
        self.args.channel(option).ok_or(ParseError::Missing {
            command: self.command,
            option,
        })
    }

    fn bad(&self, option: &'static str, value: &str) -> ParseError {
        ParseError::BadChoice {
            command: self.command,
            option,
            value: value.to_string(),
        }
    }
}

impl Command {
    /// The typed command of an invocation.
    pub fn parse(invocation: &Invocation) -> Result<Command, ParseError> {
        let v = Values {
            command: invocation.command.key,
            args: &invocation.args,
        };
        let sub = invocation.subcommand.map(|s| s.key);
        Ok(match (invocation.command.key, sub) {
            ("roadmap", None) => Command::Roadmap {
                topic: v.text("topic"),
            },
            ("done", None) => Command::Done {
                item: v.required("item")?,
            },
            ("learning", None) => Command::Learning {
                item: v.required("item")?,
            },
            ("skip", None) => Command::Skip {
                item: v.required("item")?,
            },
            ("undo", None) => Command::Undo {
                item: v.required("item")?,
            },
            ("progress", None) => Command::Progress {
                member: invocation.args.person("member").cloned(),
            },
            ("next", None) => Command::Next,
            ("leaderboard", None) => Command::Leaderboard {
                period: match v.text("period") {
                    None => None,
                    Some(p) => Some(Period::parse(&p).ok_or_else(|| v.bad("period", &p))?),
                },
                section: v.text("section"),
                kind: match v.text("kind").as_deref() {
                    None => None,
                    Some("done") => Some(BoardKind::Done),
                    Some("verified") => Some(BoardKind::Verified),
                    Some("streak") => Some(BoardKind::Streak),
                    Some(other) => return Err(v.bad("kind", other)),
                },
            },
            ("config", Some("timezone")) => Command::ConfigTimezone {
                zone: v.required("zone")?,
            },
            ("config", Some("language")) => Command::ConfigLanguage {
                language: match v.required("language")?.as_str() {
                    "pt-BR" => LanguageChoice::PtBr,
                    "en" => LanguageChoice::En,
                    "auto" => LanguageChoice::Auto,
                    other => return Err(v.bad("language", other)),
                },
            },
            ("prompts", Some("setup")) => Command::PromptsSetup(PromptsSetup {
                channel: v.channel("channel")?,
                time: v.required("time")?,
                days: v.text("days"),
                timezone: v.text("timezone"),
                role: invocation.args.role("role"),
                section: v.text("section"),
                thread: invocation.args.boolean("thread").unwrap_or(false),
            }),
            ("prompts", Some("pause")) => Command::PromptsPause,
            ("prompts", Some("resume")) => Command::PromptsResume,
            ("prompts", Some("now")) => Command::PromptsNow,
            ("prompts", Some("status")) => Command::PromptsStatus,
            ("prompts", Some("digest")) => Command::PromptsDigest {
                enabled: invocation
                    .args
                    .boolean("enabled")
                    .ok_or(ParseError::Missing {
                        command: v.command,
                        option: "enabled",
                    })?,
            },
            ("community", None) => Command::Community,
            ("streak", Some("view")) => Command::StreakView {
                member: invocation.args.person("member").cloned(),
            },
            ("streak", Some("reminder")) => Command::StreakReminder {
                enabled: v.flag("enabled")?,
                time: v.text("time"),
            },
            ("rewards", Some("add")) => Command::RewardsAdd {
                kind: match v.required("kind")?.as_str() {
                    k @ ("section" | "milestone" | "items" | "streak") => k.to_string(),
                    other => return Err(v.bad("kind", other)),
                },
                role: invocation.args.role("role").ok_or(ParseError::Missing {
                    command: v.command,
                    option: "role",
                })?,
                section: v.text("section"),
                count: v.text("count"),
                keep: invocation.args.boolean("keep").unwrap_or(false),
            },
            ("rewards", Some("list")) => Command::RewardsList,
            ("rewards", Some("remove")) => Command::RewardsRemove {
                id: v.required("id")?,
            },
            ("rewards", Some("sync")) => Command::RewardsSync,
            ("rewards", Some("announce")) => Command::RewardsAnnounce {
                enabled: v.flag("enabled")?,
            },
            ("quiz", None) => Command::Quiz {
                topic: v.text("topic"),
            },
            ("config", Some("verified-only")) => Command::ConfigVerified {
                enabled: invocation
                    .args
                    .boolean("enabled")
                    .ok_or(ParseError::Missing {
                        command: v.command,
                        option: "enabled",
                    })?,
            },
            (command, sub) => {
                return Err(ParseError::Unknown {
                    command: match sub {
                        Some(sub) => format!("{command} {sub}"),
                        None => command.to_string(),
                    },
                });
            }
        })
    }

    /// The catalog keys this command answers to: the command, and its subcommand if it has one.
    pub fn key(&self) -> (&'static str, Option<&'static str>) {
        match self {
            Command::Roadmap { .. } => ("roadmap", None),
            Command::Done { .. } => ("done", None),
            Command::Learning { .. } => ("learning", None),
            Command::Skip { .. } => ("skip", None),
            Command::Undo { .. } => ("undo", None),
            Command::Progress { .. } => ("progress", None),
            Command::Next => ("next", None),
            Command::Leaderboard { .. } => ("leaderboard", None),
            Command::ConfigTimezone { .. } => ("config", Some("timezone")),
            Command::ConfigLanguage { .. } => ("config", Some("language")),
            Command::PromptsSetup(_) => ("prompts", Some("setup")),
            Command::PromptsPause => ("prompts", Some("pause")),
            Command::PromptsResume => ("prompts", Some("resume")),
            Command::PromptsNow => ("prompts", Some("now")),
            Command::PromptsStatus => ("prompts", Some("status")),
            Command::PromptsDigest { .. } => ("prompts", Some("digest")),
            Command::Community => ("community", None),
            Command::Quiz { .. } => ("quiz", None),
            Command::ConfigVerified { .. } => ("config", Some("verified-only")),
            Command::StreakView { .. } => ("streak", Some("view")),
            Command::StreakReminder { .. } => ("streak", Some("reminder")),
            Command::RewardsAdd { .. } => ("rewards", Some("add")),
            Command::RewardsList => ("rewards", Some("list")),
            Command::RewardsRemove { .. } => ("rewards", Some("remove")),
            Command::RewardsSync => ("rewards", Some("sync")),
            Command::RewardsAnnounce { .. } => ("rewards", Some("announce")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::args::{Caller, Person, Value};
    use crate::commands::catalog::{CATALOG, OptionKind, OptionSpec};

    fn caller() -> Caller {
        Caller::for_tests(true)
    }

    /// A value an option may take: its first choice, or a plausible one of its kind.
    fn sample(option: &OptionSpec) -> Value {
        match option.kind {
            OptionKind::String => Value::String(
                option
                    .choices
                    .first()
                    .map_or_else(|| "kafka".to_string(), |c| c.to_string()),
            ),
            OptionKind::Boolean => Value::Boolean(true),
            OptionKind::User => Value::User(Person::id_only(7)),
            OptionKind::Channel => Value::Channel(8),
            OptionKind::Role => Value::Role(9),
        }
    }

    /// Every command and subcommand of the catalog has a typed form answering to the same keys,
    /// with every option filled or without the optional ones: renaming a key in the catalog and
    /// not here (or the reverse) fails this test instead of failing in front of a member.
    #[test]
    fn every_catalog_entry_parses_into_the_command_with_its_keys() {
        let mut seen = 0;
        for spec in CATALOG {
            let subs: Vec<_> = if spec.subcommands.is_empty() {
                vec![None]
            } else {
                spec.subcommands.iter().map(Some).collect()
            };
            for sub in subs {
                let options = sub.map_or(spec.options, |s| s.options);
                for with_optional in [true, false] {
                    let mut args = Args::default();
                    for o in options.iter().filter(|o| o.required || with_optional) {
                        args.0.insert(o.key, sample(o));
                    }
                    let invocation = Invocation {
                        command: spec,
                        subcommand: sub,
                        args,
                        caller: caller(),
                    };
                    let command = Command::parse(&invocation).unwrap_or_else(|e| panic!("{e}"));
                    assert_eq!(command.key(), (spec.key, sub.map(|s| s.key)));
                }
                seen += 1;
            }
        }
        assert_eq!(seen, 26, "one typed command per catalog entry");
    }

    #[test]
    fn a_missing_required_option_is_an_error_never_an_empty_value() {
        let spec = crate::commands::catalog::command("done").unwrap();
        let invocation = Invocation {
            command: spec,
            subcommand: None,
            args: Args::default(),
            caller: caller(),
        };
        assert_eq!(
            Command::parse(&invocation),
            Err(ParseError::Missing {
                command: "done",
                option: "item"
            })
        );
    }
}
