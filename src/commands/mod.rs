//! Slash commands: their schema, and the one dispatch both the bot and `trilha ask` run.
//!
//! A command is declared once in [`CATALOG`] as data. From it the Discord adapter builds the
//! registration payload (with pt-BR localizations), parses interactions, and `trilha ask`
//! parses typed text. Handlers are plain async functions from an [`Invocation`] to a
//! [`Reply`]; they never see serenity types.

mod config;
pub mod leaderboard;
mod progress;
pub mod prompts;
mod roadmap;
pub mod text;

pub use config::timezone_choices;
pub use progress::{ItemFilter, item_choices};
pub use roadmap::choices as roadmap_choices;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::clock::Clock;
use crate::component::{ComponentId, MarkAction};
use crate::edge::Edge;
use crate::error::{CommandError, UserError};
use crate::i18n::Locale;
use crate::progress::State;
use crate::reply::{Choice, Reply};
use crate::roadmap::Roadmap;
use crate::store::Store;
use crate::store::Target;

/// Everything a command needs, built once before the bot starts.
#[derive(Clone, Debug)]
pub struct App {
    pub roadmap: Arc<Roadmap>,
    pub store: Store,
    pub clock: Clock,
    /// Wakes the prompt scheduler (after `/prompts now`).
    pub scheduler_wake: Arc<tokio::sync::Notify>,
    pub metrics: Arc<crate::ops::metrics::Metrics>,
    /// Bookkeeping that must not hold up a reply (presence records), waited for at shutdown.
    pub background: tokio_util::task::TaskTracker,
}

impl App {
    pub fn new(roadmap: Arc<Roadmap>, store: Store, clock: Clock) -> App {
        App {
            roadmap,
            store,
            clock,
            scheduler_wake: Default::default(),
            metrics: Default::default(),
            background: Default::default(),
        }
    }

    /// Waits (at most `timeout`) for the bookkeeping still running; `false` if some was left.
    pub async fn finish_background(&self, timeout: std::time::Duration) -> bool {
        self.background.close();
        tokio::time::timeout(timeout, self.background.wait())
            .await
            .is_ok()
    }
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

/// Records that a member is (again) in a server.
pub async fn member_returned(app: &App, caller: &Caller) -> Result<(), CommandError> {
    progress::touch(app, caller).await
}

/// Start-up upkeep of derived data: rebuilds leaderboard tallies when the roadmap's items or
/// their sections changed since they were built (an id that left or came back), and drops
/// week and month tallies of periods long over.
pub async fn reconcile(app: &App) -> Result<(), CommandError> {
    let fingerprint = progress::roadmap_fingerprint(&app.roadmap);
    let now = app.clock.now();
    if app.store.meta(progress::FINGERPRINT_KEY).await?.as_deref() != Some(fingerprint.as_str()) {
        let started = std::time::Instant::now();
        let guilds = app.store.guilds_with_progress().await?;
        for &guild in &guilds {
            let tz = progress::timezone(&app.store.guild_settings(guild).await?);
            app.store
                .rebuild_guild(guild, |marks| {
                    crate::progress::tally::all_rows(&app.roadmap, &tz, now, marks)
                })
                .await?;
        }
        app.store
            .set_meta(progress::FINGERPRINT_KEY, &fingerprint)
            .await?;
        tracing::info!(
            guilds = guilds.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "leaderboards rebuilt for the current roadmap"
        );
    }
    let pruned = app
        .store
        .prune_tallies(crate::progress::tally::retention_cutoff(now))
        .await?;
    if pruned > 0 {
        tracing::info!(rows = pruned, "old weekly and monthly tallies pruned");
    }
    Ok(())
}

/// Runs a command and always produces a reply: member mistakes become localized
/// explanations, internal faults a generic apology (their cause chain goes to the log).
pub async fn respond(app: &App, edge: &dyn Edge, invocation: &Invocation) -> Reply {
    let result = execute(app, edge, invocation).await;
    finish(
        app,
        result,
        &invocation.caller,
        "command",
        invocation.command.key,
    )
}

async fn execute(app: &App, edge: &dyn Edge, inv: &Invocation) -> Result<Reply, CommandError> {
    if inv.command.needs_guild {
        inv.caller.guild()?;
    }
    if inv.command.manage_guild && !inv.caller.can_manage_guild {
        return Err(UserError::NeedsManageGuild.into());
    }
    let caller = &inv.caller;
    let item = || inv.args.string("item").unwrap_or_default();
    match (inv.command.key, inv.subcommand.map(|s| s.key)) {
        ("roadmap", _) => roadmap::run(app, inv).await,
        ("done", _) => {
            progress::run_mark(app, caller, item(), Target::Set(Some(State::Done))).await
        }
        ("learning", _) => {
            progress::run_mark(app, caller, item(), Target::Set(Some(State::Learning))).await
        }
        ("skip", _) => {
            progress::run_mark(app, caller, item(), Target::Set(Some(State::Skipped))).await
        }
        ("undo", _) => progress::run_mark(app, caller, item(), Target::Undo).await,
        ("progress", _) => progress::progress(app, caller, inv.args.user("member")).await,
        ("next", _) => progress::next(app, caller).await,
        ("leaderboard", _) => {
            leaderboard::run(
                app,
                edge,
                caller,
                inv.args.string("period"),
                inv.args.string("section"),
            )
            .await
        }
        ("config", Some("timezone")) => {
            config::timezone(app, caller, inv.args.string("zone").unwrap_or_default()).await
        }
        ("config", Some("language")) => {
            config::language(app, caller, inv.args.string("language").unwrap_or_default()).await
        }
        ("prompts", Some("setup")) => prompts::setup(app, edge, caller, &inv.args).await,
        ("prompts", Some("pause")) => prompts::pause(app, caller).await,
        ("prompts", Some("resume")) => prompts::resume(app, caller).await,
        ("prompts", Some("now")) => prompts::now(app, caller).await,
        ("prompts", Some("status")) => prompts::status(app, caller).await,
        (other, sub) => Err(CommandError::Internal(anyhow::anyhow!(
            "no handler for command `{other}` {sub:?}"
        ))),
    }
}

/// Answers a button press.
pub async fn press(app: &App, edge: &dyn Edge, press: &Press) -> Reply {
    let caller = &press.caller;
    let result = match ComponentId::parse(&press.custom_id) {
        Some(ComponentId::RoadmapPage { node, page }) => {
            roadmap::page(app, caller, &node, page).await
        }
        Some(ComponentId::Mark { item, action }) => match app.roadmap.item_by_id(&item) {
            Some(item) => {
                let target = match action {
                    MarkAction::Done => Target::Set(Some(State::Done)),
                    MarkAction::Learning => Target::Set(Some(State::Learning)),
                    MarkAction::Skip => Target::Set(Some(State::Skipped)),
                    MarkAction::Undo => Target::Undo,
                };
                progress::mark(app, caller, item, target).await
            }
            // The item left the roadmap since the message was sent.
            None => Err(UserError::StaleButton.into()),
        },
        Some(ComponentId::Board {
            owner,
            period,
            section,
            page,
            starts,
            private,
        }) => {
            let pressed = leaderboard::Pressed {
                owner,
                period,
                section: &section,
                page,
                starts,
                private,
            };
            leaderboard::press(app, edge, caller, &pressed).await
        }
        None => Err(UserError::StaleButton.into()),
    };
    finish(app, result, caller, "button", button_name(&press.custom_id))
}

/// How the reply to a button press will be delivered, known before the work is done: what a
/// deferral must promise. (A reply that turns out different, such as an error, follows up.)
pub fn press_delivery(press: &Press) -> crate::reply::Delivery {
    use crate::reply::Delivery;
    match ComponentId::parse(&press.custom_id) {
        Some(ComponentId::RoadmapPage { .. }) => Delivery::UpdateMessage,
        Some(ComponentId::Board { owner, .. })
            if leaderboard::press_updates_in_place(press.caller.user_id, owner) =>
        {
            Delivery::UpdateMessage
        }
        _ => Delivery::NewMessage,
    }
}

/// The kind of a button, for metrics ("roadmap page", "mark", "leaderboard page").
fn button_name(custom_id: &str) -> &'static str {
    match ComponentId::parse(custom_id) {
        Some(ComponentId::RoadmapPage { .. }) => "roadmap_page",
        Some(ComponentId::Mark { .. }) => "mark",
        Some(ComponentId::Board { .. }) => "leaderboard_page",
        None => "stale",
    }
}

/// Suggestions for the option being typed. Never fails: on an internal error the member
/// simply sees no choices, and the cause is logged.
pub async fn autocomplete(app: &App, request: &AutocompleteRequest) -> Vec<Choice> {
    let choices = match (request.command.key, request.option) {
        ("roadmap", _) => roadmap::autocomplete(app, request).await,
        (_, "item") => progress::autocomplete_item(app, request).await,
        ("leaderboard", "section") => Ok(roadmap::section_choices(
            &app.roadmap,
            &request.partial,
            request.caller.locale,
        )),
        ("config", "zone") => Ok(config::timezone_choices(&request.partial)),
        ("prompts", option) => Ok(prompts::section_or_zone_choices(
            app,
            option,
            &request.partial,
            request.caller.locale,
        )),
        _ => Ok(Vec::new()),
    };
    match choices {
        Ok(mut choices) => {
            app.metrics.interaction(
                "autocomplete",
                request.command.key,
                crate::ops::metrics::Outcome::Ok,
            );
            // Whatever the member typed, every choice must fit or Discord refuses them all.
            choices.retain(Choice::fits);
            choices.truncate(crate::reply::limits::CHOICES);
            choices
        }
        Err(error) => {
            app.metrics.interaction(
                "autocomplete",
                request.command.key,
                crate::ops::metrics::Outcome::InternalError,
            );
            tracing::error!(command = request.command.key, error = %error.chain(), "autocomplete failed");
            Vec::new()
        }
    }
}

fn finish(
    app: &App,
    result: Result<Reply, CommandError>,
    caller: &Caller,
    kind: &'static str,
    what: &str,
) -> Reply {
    use crate::ops::metrics::Outcome;
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(CommandError::User(_)) => Outcome::UserError,
        Err(CommandError::Busy(_)) => Outcome::Busy,
        Err(CommandError::Internal(_)) => Outcome::InternalError,
    };
    app.metrics.interaction(kind, what, outcome);
    match result {
        Ok(reply) => reply,
        Err(CommandError::User(error)) => {
            tracing::debug!(command = what, ?error, "member mistake");
            crate::render::errors::user_error(&app.roadmap, &error, caller.locale)
        }
        Err(CommandError::Busy(error)) => {
            tracing::warn!(
                command = what,
                guild_id = caller.guild_id,
                user_id = caller.user_id,
                error = format!("{error:#}"),
                "database busy; the member was asked to try again"
            );
            crate::render::errors::busy(caller.locale)
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
