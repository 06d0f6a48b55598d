//! trilha: a Discord bot for study communities.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`]. Modules by capability, in
//! layers, lowest first: a file names modules of its own layer and of those before it, never a
//! later one, and no files name each other in a circle (`tests/it/layers.rs` reads this list and
//! holds every file of `src/` to it). Only Discord's edge and what sits above it name serenity.
//! 1. Data and pure logic: [`i18n`] (every text members see, pt-BR and en), [`roadmap`] (the
//!    data files, validation, look-up), [`progress`] (states, requirements, periods, tallies,
//!    what next), [`prompts`] (when and what to post, and what is kept about it), [`guild`],
//!    [`quiz`] (question rotation, answer order, verification), [`recognition`] (streak
//!    reminders and reward rules), [`sharding`] (which servers a process serves), [`clock`],
//!    [`config`], [`error`] (a member's mistakes), [`reply`] (the reply model and Discord's
//!    limits), [`component`] (button ids), [`lookups`] (what only Discord can answer, as a
//!    trait), [`outbox`] (what trilha sends on its own: send status and nonces);
//! 2. What the bot reports and how it stops: [`ops`] ([`ops::metrics`], [`ops::shutdown`],
//!    [`ops::watchdog`]), [`telemetry`]; and [`render`]: pure functions from data to a
//!    [`reply::Reply`], in the member's language;
//! 3. [`picture`]: the member's card and the heat map, laid out, drawn and cached;
//! 4. [`store`]: the database (all SQL lives there);
//! 5. [`recognition::roles`]: the reward-role engine (gives and takes roles through Discord);
//! 6. [`app`]: the shared state built at start-up, and start-up upkeep;
//!    [`picture::attach`]: pictures delivered as attachments, within a reply's time;
//! 7. [`commands`] (the slash commands and the dispatch the bot and `trilha ask` share),
//!    [`scheduler`] (prompts, digests and reminders, each sent exactly once), [`ops::health`]
//!    (the health endpoint);
//! 8. [`discord`]: the serenity adapter, the gateway and the bot's runtime;
//! 9. [`ask`] and [`cli`]: the offline console and the command line.

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
pub mod outbox;
pub mod picture;
pub mod progress;
pub mod prompts;
pub mod quiz;
pub mod recognition;
pub mod render;
pub mod reply;
pub mod roadmap;
pub mod scheduler;
pub mod sharding;
pub mod store;
pub mod telemetry;
