//! Slash commands: their schema, and the one dispatch both the bot and `trilha ask` run.
//!
//! A command is declared once in [`CATALOG`] as data. From it the Discord adapter builds the
//! registration payload (with pt-BR localizations), parses interactions, and `trilha ask`
//! parses typed text. Handlers are plain async functions from an [`Invocation`] to a
//! [`Reply`]; they never see serenity types.

mod roadmap;
pub mod text;

pub use roadmap::choices as roadmap_choices;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::component::ComponentId;
use crate::error::{CommandError, UserError};
use crate::i18n::Locale;
use crate::reply::{Choice, Reply};
use crate::roadmap::Roadmap;
use crate::store::Store;

/// Everything a command needs, built once before the bot starts.
#[derive(Clone, Debug)]
pub struct App {
    pub roadmap: Arc<Roadmap>,
    pub store: Store,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Integer,
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
    /// Only usable in a server (Discord hides it in DMs; the handler also checks).
    pub guild_only: bool,
    /// Hidden by default from members without Manage Server, and checked on every call.
    pub manage_guild: bool,
}

impl CommandSpec {
    pub fn subcommand(&self, key: &str) -> Option<&'static SubcommandSpec> {
        self.subcommands.iter().find(|s| s.key == key)
    }
}

/// Every command trilha registers.
pub static CATALOG: &[CommandSpec] = &[CommandSpec {
    key: "roadmap",
    options: &[OptionSpec {
        key: "topic",
        kind: OptionKind::String,
        required: false,
        autocomplete: true,
        choices: &[],
    }],
    subcommands: &[],
    guild_only: false,
    manage_guild: false,
}];

pub fn command(key: &str) -> Option<&'static CommandSpec> {
    CATALOG.iter().find(|c| c.key == key)
}

/// A parsed option value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    String(String),
    Integer(i64),
    Boolean(bool),
    User(u64),
    Channel(u64),
    Role(u64),
}

/// Option values by option key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args(pub BTreeMap<&'static str, Value>);

impl Args {
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.0.get(key)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn integer(&self, key: &str) -> Option<i64> {
        match self.0.get(key)? {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }
    pub fn boolean(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    pub fn user(&self, key: &str) -> Option<u64> {
        match self.0.get(key)? {
            Value::User(id) => Some(*id),
            _ => None,
        }
    }
    pub fn channel(&self, key: &str) -> Option<u64> {
        match self.0.get(key)? {
            Value::Channel(id) => Some(*id),
            _ => None,
        }
    }
    pub fn role(&self, key: &str) -> Option<u64> {
        match self.0.get(key)? {
            Value::Role(id) => Some(*id),
            _ => None,
        }
    }
}

/// Who is asking, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: u64,
    /// `None` in DMs.
    pub guild_id: Option<u64>,
    pub channel_id: Option<u64>,
    /// The member's Discord language.
    pub locale: Locale,
    /// The server's Discord language, for public posts.
    pub guild_locale: Option<Locale>,
    /// Manage Server (or Administrator) in this channel, as Discord computed it.
    pub can_manage_guild: bool,
}

impl Caller {
    pub fn guild(&self) -> Result<u64, CommandError> {
        self.guild_id
            .ok_or(CommandError::User(UserError::NeedsGuild))
    }
}

#[derive(Clone, Debug)]
pub struct Invocation {
    pub command: &'static CommandSpec,
    pub subcommand: Option<&'static SubcommandSpec>,
    pub args: Args,
    pub caller: Caller,
}

/// An autocomplete request: the option being typed and what has been typed so far.
#[derive(Clone, Debug)]
pub struct AutocompleteRequest {
    pub command: &'static CommandSpec,
    pub subcommand: Option<&'static SubcommandSpec>,
    pub option: &'static str,
    pub partial: String,
    pub args: Args,
    pub caller: Caller,
}

/// A button press.
#[derive(Clone, Debug)]
pub struct Press {
    pub custom_id: String,
    pub caller: Caller,
}

/// Runs a command and always produces a reply: member mistakes become localized
/// explanations, internal faults a generic apology (their cause chain goes to the log).
pub async fn respond(app: &App, invocation: &Invocation) -> Reply {
    let result = execute(app, invocation).await;
    finish(app, result, &invocation.caller, invocation.command.key)
}

async fn execute(app: &App, inv: &Invocation) -> Result<Reply, CommandError> {
    if inv.command.guild_only {
        inv.caller.guild()?;
    }
    if inv.command.manage_guild && !inv.caller.can_manage_guild {
        return Err(UserError::NeedsManageGuild.into());
    }
    match inv.command.key {
        "roadmap" => roadmap::run(app, inv).await,
        other => Err(CommandError::Internal(anyhow::anyhow!(
            "no handler for command `{other}`"
        ))),
    }
}

/// Answers a button press.
pub async fn press(app: &App, press: &Press) -> Reply {
    let result = match ComponentId::parse(&press.custom_id) {
        Some(ComponentId::RoadmapPage { node, page }) => {
            roadmap::page(app, &press.caller, &node, page).await
        }
        None => Err(UserError::StaleButton.into()),
    };
    finish(app, result, &press.caller, "button")
}

/// Suggestions for the option being typed. Never fails: on an internal error the member
/// simply sees no choices, and the cause is logged.
pub async fn autocomplete(app: &App, request: &AutocompleteRequest) -> Vec<Choice> {
    let choices = match request.command.key {
        "roadmap" => roadmap::autocomplete(app, request).await,
        _ => Ok(Vec::new()),
    };
    match choices {
        Ok(mut choices) => {
            choices.truncate(crate::reply::limits::CHOICES);
            choices
        }
        Err(error) => {
            tracing::error!(command = request.command.key, error = %error.chain(), "autocomplete failed");
            Vec::new()
        }
    }
}

fn finish(app: &App, result: Result<Reply, CommandError>, caller: &Caller, what: &str) -> Reply {
    match result {
        Ok(reply) => reply,
        Err(CommandError::User(error)) => {
            tracing::debug!(command = what, ?error, "member mistake");
            crate::render::errors::user_error(&app.roadmap, &error, caller.locale)
        }
        Err(CommandError::Internal(error)) => {
            tracing::error!(
                command = what,
                guild_id = caller.guild_id,
                user_id = caller.user_id,
                error = format!("{error:#}"),
                "command failed"
            );
            crate::render::errors::internal_error(caller.locale)
        }
    }
}
