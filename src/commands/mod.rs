//! Slash commands: one file per command (or family of commands), and the dispatch the bot and
//! `trilha ask` share.
//!
//! - [`catalog`] declares every command as data (registration, localization and parsing read
//!   it); [`args`] holds who asks and the raw option values; [`command`] the typed [`Command`];
//! - [`dispatch`] takes invocations, button presses and autocomplete in and gives replies out;
//! - `/roadmap` lives in `roadmap.rs`;
//! - `/done`, `/learning`, `/skip`, `/undo` and the mark buttons live in `done.rs`;
//! - `/progress` and `/next` live in `progress.rs`;
//! - `/leaderboard` and its page buttons live in `leaderboard.rs`;
//! - `/config timezone` and `/config language` live in `config.rs`;
//! - `/prompts setup | pause | resume | now | status` live in [`prompts`];
//! - [`presence`] keeps the record of who is still in a server.
//!
//! Handlers are plain async functions from typed values to a [`crate::reply::Reply`]; they never
//! see serenity types.

pub mod args;
pub mod catalog;
pub mod command;
mod config;
pub mod dispatch;
mod done;
pub mod error;
mod leaderboard;
pub mod presence;
mod progress;
pub mod prompts;
mod quiz;
pub mod rewards;
mod roadmap;
mod streak;

pub use args::{Args, AutocompleteRequest, Caller, Invocation, Person, Press, Value};
pub use catalog::{CATALOG, CommandSpec, OptionKind, OptionSpec, SubcommandSpec, command};
pub use command::Command;
pub use config::timezone_choices;
pub use dispatch::{autocomplete, press, press_delivery, respond};
pub use done::{ItemFilter, item_choices};
pub use error::CommandError;
pub use roadmap::choices as roadmap_choices;
