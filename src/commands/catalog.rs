//! The catalog: every slash command trilha registers, declared once as data. Registration (with
//! pt-BR localizations), the interaction parser, `trilha ask` and [`super::command::Command`]
//! all read it.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Boolean,
    User,
    Channel,
    Role,
}

/// One option of a command. Its localized name and description come from the i18n command
/// table under `"{command}.{option}"` (or `"{command}.{subcommand}.{option}"`).
#[derive(Debug)]
pub struct OptionSpec {
    pub key: &'static str,
    pub kind: OptionKind,
    pub required: bool,
    pub autocomplete: bool,
    /// Fixed choices (their keys are the values); localized under `"{option path}.{choice}"`.
    pub choices: &'static [&'static str],
}

#[derive(Debug)]
pub struct SubcommandSpec {
    pub key: &'static str,
    pub options: &'static [OptionSpec],
}

#[derive(Debug)]
pub struct CommandSpec {
    /// The command's English name, also its i18n key and what Discord sends back.
    pub key: &'static str,
    pub options: &'static [OptionSpec],
    pub subcommands: &'static [SubcommandSpec],
    /// Needs a server: in a DM it answers with a localized explanation.
    pub needs_guild: bool,
    /// Offered in DMs with the bot (so that the explanation can be given there).
    pub in_dms: bool,
    /// Hidden by default from members without Manage Server, and checked on every call.
    pub manage_guild: bool,
    /// Answers with a message the whole channel sees (otherwise only the member sees it).
    pub public_reply: bool,
}

impl CommandSpec {
    pub fn subcommand(&self, key: &str) -> Option<&'static SubcommandSpec> {
        self.subcommands.iter().find(|s| s.key == key)
    }
}

/// An option naming a roadmap item, with autocomplete.
const ITEM: OptionSpec = OptionSpec {
    key: "item",
    kind: OptionKind::String,
    required: true,
    autocomplete: true,
    choices: &[],
};

/// A switch: `enabled:true` turns a setting on, `false` off.
const ENABLED: OptionSpec = OptionSpec {
    key: "enabled",
    kind: OptionKind::Boolean,
    required: true,
    autocomplete: false,
    choices: &[],
};

const fn member_command(key: &'static str, options: &'static [OptionSpec]) -> CommandSpec {
    CommandSpec {
        key,
        options,
        subcommands: &[],
        needs_guild: true,
        in_dms: true,
        manage_guild: false,
        public_reply: false,
    }
}

/// Every command trilha registers.
pub static CATALOG: &[CommandSpec] = &[
    CommandSpec {
        key: "roadmap",
        options: &[OptionSpec {
            key: "topic",
            kind: OptionKind::String,
            required: false,
            autocomplete: true,
            choices: &[],
        }],
        subcommands: &[],
        needs_guild: false,
        in_dms: true,
        manage_guild: false,
        public_reply: false,
    },
    member_command("done", &[ITEM]),
    member_command("learning", &[ITEM]),
    member_command("skip", &[ITEM]),
    member_command("undo", &[ITEM]),
    member_command(
        "progress",
        &[OptionSpec {
            key: "member",
            kind: OptionKind::User,
            required: false,
            autocomplete: false,
            choices: &[],
        }],
    ),
    member_command("next", &[]),
    member_command("community", &[]),
    CommandSpec {
        key: "streak",
        options: &[],
        subcommands: &[
            SubcommandSpec {
                key: "view",
                options: &[OptionSpec {
                    key: "member",
                    kind: OptionKind::User,
                    required: false,
                    autocomplete: false,
                    choices: &[],
                }],
            },
            SubcommandSpec {
                key: "reminder",
                options: &[
                    ENABLED,
                    OptionSpec {
                        key: "time",
                        kind: OptionKind::String,
                        required: false,
                        autocomplete: false,
                        choices: &[],
                    },
                ],
            },
        ],
        ..member_command("streak", &[])
    },
    member_command(
        "quiz",
        &[OptionSpec {
            key: "topic",
            kind: OptionKind::String,
            required: false,
            autocomplete: true,
            choices: &[],
        }],
    ),
    CommandSpec {
        public_reply: true,
        ..member_command(
            "leaderboard",
            &[
                OptionSpec {
                    key: "period",
                    kind: OptionKind::String,
                    required: false,
                    autocomplete: false,
                    choices: &["week", "month", "all"],
                },
                OptionSpec {
                    key: "kind",
                    kind: OptionKind::String,
                    required: false,
                    autocomplete: false,
                    choices: &["done", "verified", "streak"],
                },
                OptionSpec {
                    key: "section",
                    kind: OptionKind::String,
                    required: false,
                    autocomplete: true,
                    choices: &[],
                },
            ],
        )
    },
    CommandSpec {
        key: "config",
        options: &[],
        subcommands: &[
            SubcommandSpec {
                key: "timezone",
                options: &[OptionSpec {
                    key: "zone",
                    kind: OptionKind::String,
                    required: true,
                    autocomplete: true,
                    choices: &[],
                }],
            },
            SubcommandSpec {
                key: "language",
                options: &[OptionSpec {
                    key: "language",
                    kind: OptionKind::String,
                    required: true,
                    autocomplete: false,
                    choices: &["pt-BR", "en", "auto"],
                }],
            },
            SubcommandSpec {
                key: "verified-only",
                options: &[ENABLED],
            },
        ],
        needs_guild: true,
        // Admin commands are hidden in DMs and from members without Manage Server.
        in_dms: false,
        manage_guild: true,
        public_reply: false,
    },
    CommandSpec {
        key: "prompts",
        options: &[],
        subcommands: &[
            SubcommandSpec {
                key: "setup",
                options: &[
                    OptionSpec {
                        key: "channel",
                        kind: OptionKind::Channel,
                        required: true,
                        autocomplete: false,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "time",
                        kind: OptionKind::String,
                        required: true,
                        autocomplete: false,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "days",
                        kind: OptionKind::String,
                        required: false,
                        autocomplete: true,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "timezone",
                        kind: OptionKind::String,
                        required: false,
                        autocomplete: true,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "role",
                        kind: OptionKind::Role,
                        required: false,
                        autocomplete: false,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "section",
                        kind: OptionKind::String,
                        required: false,
                        autocomplete: true,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "thread",
                        kind: OptionKind::Boolean,
                        required: false,
                        autocomplete: false,
                        choices: &[],
                    },
                ],
            },
            SubcommandSpec {
                key: "pause",
                options: &[],
            },
            SubcommandSpec {
                key: "resume",
                options: &[],
            },
            SubcommandSpec {
                key: "now",
                options: &[],
            },
            SubcommandSpec {
                key: "status",
                options: &[],
            },
            SubcommandSpec {
                key: "digest",
                options: &[ENABLED],
            },
        ],
        needs_guild: true,
        in_dms: false,
        manage_guild: true,
        public_reply: false,
    },
    CommandSpec {
        key: "rewards",
        options: &[],
        subcommands: &[
            SubcommandSpec {
                key: "add",
                options: &[
                    OptionSpec {
                        key: "kind",
                        kind: OptionKind::String,
                        required: true,
                        autocomplete: false,
                        choices: &["section", "milestone", "items", "streak"],
                    },
                    OptionSpec {
                        key: "role",
                        kind: OptionKind::Role,
                        required: true,
                        autocomplete: false,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "section",
                        kind: OptionKind::String,
                        required: false,
                        autocomplete: true,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "count",
                        kind: OptionKind::String,
                        required: false,
                        autocomplete: false,
                        choices: &[],
                    },
                    OptionSpec {
                        key: "keep",
                        kind: OptionKind::Boolean,
                        required: false,
                        autocomplete: false,
                        choices: &[],
                    },
                ],
            },
            SubcommandSpec {
                key: "list",
                options: &[],
            },
            SubcommandSpec {
                key: "remove",
                options: &[OptionSpec {
                    key: "id",
                    kind: OptionKind::String,
                    required: true,
                    autocomplete: false,
                    choices: &[],
                }],
            },
            SubcommandSpec {
                key: "sync",
                options: &[],
            },
            SubcommandSpec {
                key: "announce",
                options: &[ENABLED],
            },
        ],
        needs_guild: true,
        in_dms: false,
        manage_guild: true,
        public_reply: false,
    },
];

pub fn command(key: &str) -> Option<&'static CommandSpec> {
    CATALOG.iter().find(|c| c.key == key)
}
