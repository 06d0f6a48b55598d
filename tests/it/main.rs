//! Integration tests, compiled into one binary to save link time.
//!
//! - `roadmap_files`: the shipped roadmap, the card's fidelity, and one broken fixture per rule;
//! - `lookup`: the query table and autocomplete bounds;
//! - `replies`: every view in both languages, through `trilha ask --json`, against Discord's rules;
//! - `ask`: the offline console as an operator uses it;
//! - `store`: the store on real databases (SQLite files, and PostgreSQL when `engines` says so)
//!   with the real migrations;
//! - `prompts`: the prompt scheduler driven tick by tick;
//! - `streaks`: study days in the server's time zone, freezes, and the summary against the log;
//! - `quiz`: questions, answers, verification and refused buttons, on every engine;
//! - `docs`: the README's commands, run as written;
//! - `schema`: both engines' migrations give the same schema;
//! - `migrate`: moving a community between engines, and PostgreSQL URLs;
//! - `pictures`: the member's card and the heat map, on their layout and their pixels;
//! - `e2e`: the real binary against the local Discord (scenarios, operations, hardening);
//! - `halves`: what was not run here for want of a service, said in the default output;
//! - `layers`: the house's layering, held.

mod ask;
mod docs;
mod e2e;
mod engines;
mod halves;
mod health;
mod layers;
mod lookup;
mod migrate;
mod pictures;
mod prompts;
mod quiz;
mod replies;
mod rewards;
mod roadmap_files;
mod schema;
mod store;
mod streaks;
mod support;
