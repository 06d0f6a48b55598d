//! trilha: a Discord bot for study communities.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`]. Modules by capability:
//! - [`roadmap`]: the data files, their validation, and look-up;
//! - [`render`]: pure functions from data to a [`reply::Reply`];
//! - [`commands`]: the slash-command catalog and the dispatch the bot and `trilha ask` share;
//! - [`store`]: the database (all SQL lives there);
//! - [`discord`]: the serenity adapter;
//! - [`i18n`]: every text members see, in pt-BR and en.

pub mod ask;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod component;
pub mod config;
pub mod discord;
pub mod edge;
pub mod error;
pub mod i18n;
pub mod ops;
pub mod progress;
pub mod prompts;
pub mod render;
pub mod reply;
pub mod roadmap;
pub mod store;
pub mod telemetry;
