//! trilha: a Discord bot for study communities.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`]. Modules by capability,
//! lower layers first (a module only uses those above it in this list, never below):
//! - [`i18n`]: every text members see, in pt-BR and en;
//! - [`roadmap`]: the data files, their validation, and look-up;
//! - [`progress`]: member progress as data: states, requirements, periods, tallies, what next;
//! - [`prompts`]: study prompts: when, what, and the scheduler that posts them;
//! - [`guild`]: a server's settings; [`clock`], [`config`], [`error`], [`reply`] (the reply
//!   model and Discord's limits), [`component`] (button ids), [`lookups`] (what only Discord
//!   can answer);
//! - [`store`]: the database (all SQL lives there);
//! - [`app`]: the shared state built at start-up, and start-up upkeep;
//! - [`render`]: pure functions from data to a [`reply::Reply`];
//! - [`commands`]: the slash-command catalog and the dispatch the bot and `trilha ask` share;
//! - [`ops`]: health, metrics, graceful shutdown; [`telemetry`]: logging;
//! - [`discord`]: the serenity adapter, the gateway and the bot's runtime;
//! - [`ask`] and [`cli`]: the offline console and the command line.

pub mod app;
pub mod ask;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod component;
pub mod config;
pub mod discord;
pub mod error;
pub mod guild;
pub mod i18n;
pub mod lookups;
pub mod ops;
pub mod progress;
pub mod prompts;
pub mod render;
pub mod reply;
pub mod roadmap;
pub mod store;
pub mod telemetry;
