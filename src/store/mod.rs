//! The database: every SQL statement trilha runs lives in this module.
//!
//! Two engines, one set of queries: SQLite (the embedded default, [`sqlite`]) and PostgreSQL (for
//! several processes sharing one database, [`postgres`]). `DATABASE_URL` picks one. The queries
//! are written once, generic over the engine (see [`backend`] for what differs and why), one
//! file per table family, each declared once with its SQL (see [`macros`]); [`Store`] is the
//! one interface the rest of the bot uses, and hands each call to the engine in use.
//!
//! - [`engine`]: the [`Store`] handle, opening and closing; [`errors`]: [`StoreError`];
//!   [`schema`]: migrations and the schema check; [`ids`]: Discord ids in integer columns;
//!   [`files`]: the SQLite file and its folder; [`writes`]: write transactions and their locks;
//! - the table families: [`progress`] (progress, events, counts, tallies), [`leaderboard`],
//!   [`members`] (presence), [`guilds`] (settings, the community's counts), [`meta`],
//!   [`prompts`] (schedules, posts, digests), [`quiz`], [`streaks`], [`recognition`]
//!   (reminders and rewards);
//! - [`backup`] (an online copy of a SQLite file) and [`copy`] (moving a community between
//!   engines).

mod backend;
mod backup;
pub mod copy;
mod engine;
mod errors;
mod files;
mod guilds;
mod ids;
mod leaderboard;
mod macros;
mod members;
mod meta;
mod postgres;
mod progress;
mod prompts;
mod quiz;
mod recognition;
mod schema;
mod sqlite;
mod streaks;
mod writes;

pub use backend::Backend;
pub use backup::{BackupError, TableCounts};
pub use engine::{Store, WRITE_PROBE_TIMEOUT};
pub use errors::StoreError;
pub use ids::{from_db_id, to_db_id};
pub use quiz::VerifiedBoard;
pub use recognition::ReminderSend;
