//! Slash commands: one file per command (or family of commands), and the dispatch the bot and
//! `trilha ask` share.
//!
//! - [`define`] says how a command is declared (once: typed options, and what it runs);
//!   [`catalog`] lists every command, and registration, localization, parsing, `trilha ask`
//!   and autocomplete read it; [`args`] holds who asks and the raw option values;
//! - [`dispatch`] takes invocations, button presses and autocomplete in and gives replies out,
//!   with [`error`]'s two tiers turned into what the member sees;
//! - `/roadmap` lives in `roadmap.rs`;
//! - `/done`, `/learning`, `/skip`, `/undo` and the mark buttons live in `done.rs`;
//! - `/progress`, `/next`, `/community` and the Share and Full map buttons live in
//!   `progress.rs`; `/card` (the summary anywhere, by user install) in `card.rs`;
//! - `/leaderboard` and its page buttons live in `leaderboard.rs`;
//! - `/quiz` and its buttons live in `quiz.rs`; `/streak` in `streak.rs`;
//! - `/config` lives in `config.rs`, `/prompts` in [`prompts`], `/rewards` in [`rewards`];
//! - [`presence`] keeps the record of who is still in a server; `marks.rs` reads what a member
//!   marked and verified, for the commands that show it.
//!
//! Handlers are plain async functions from typed values to a [`crate::reply::Reply`]; they never
//! see serenity types.

pub mod args;
mod card;
pub mod catalog;
mod config;
pub mod define;
pub mod dispatch;
mod done;
pub mod error;
mod leaderboard;
mod marks;
pub mod presence;
mod progress;
pub mod prompts;
mod quiz;
pub mod rewards;
mod roadmap;
mod streak;

pub use args::{Args, Caller, Person, Press, Value};
pub use catalog::{CATALOG, command};
pub use config::timezone_choices;
pub use define::{
    AutocompleteRequest, CommandSpec, Invocation, OptionKind, OptionSpec, ParseError,
    SubcommandSpec,
};
pub use dispatch::{
    Handover, autocomplete, button_name, interaction_span, press, press_delivery, respond,
};
pub use done::{ItemFilter, item_choices};
pub use error::CommandError;
pub use roadmap::choices as roadmap_choices;
