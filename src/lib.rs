//! trilha: a Discord bot for study communities.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`]. Modules by capability, in
//! layers: a module uses its own layer and those before it, never a later one.
//! 1. Data and pure logic: [`i18n`] (every text members see, pt-BR and en), [`roadmap`] (the
//!    data files, validation, look-up), [`progress`] (states, requirements, periods, tallies,
//!    what next), [`prompts`] (when and what to post, and what is kept about it), [`guild`],
//!    [`quiz`] (question rotation, answer order, verification), [`clock`], [`config`],
//!    [`error`], [`reply`] (the reply model and Discord's limits),
//!    [`component`] (button ids), [`lookups`] (what only Discord can answer, as a trait);
//! 2. [`ops::metrics`] and [`telemetry`]: what the bot reports;
//! 3. [`store`]: the database (all SQL lives there);
//! 4. [`app`]: the shared state built at start-up, and start-up upkeep;
//! 5. [`render`]: pure functions from data to a [`reply::Reply`]; [`picture`]: the member's card
//!    and the heat map, laid out, drawn and cached, and delivered as attachments;
//! 6. [`commands`] (the slash commands and the dispatch the bot and `trilha ask` share), the
//!    prompt scheduler ([`prompts::scheduler`]), the health endpoint ([`ops::health`]);
//! 7. [`discord`]: the serenity adapter, the gateway and the bot's runtime;
//! 8. [`ask`] and [`cli`]: the offline console and the command line.

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
pub mod picture;
pub mod progress;
pub mod prompts;
pub mod quiz;
pub mod recognition;
pub mod render;
pub mod reply;
pub mod roadmap;
pub mod store;
pub mod telemetry;
