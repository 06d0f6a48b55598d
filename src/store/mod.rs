//! The database: every SQL statement trilha runs lives in this module.
//!
//! Two engines, one set of queries: SQLite (the embedded default, [`sqlite`]) and PostgreSQL (for
//! several processes sharing one database, [`postgres`]). `DATABASE_URL` picks one. The queries
//! are written once, generic over the engine (see [`backend`] for what differs and why), one
//! file per table family; [`Store`] is the one interface the rest of the bot uses, and hands
//! each call to the engine in use.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::{Pool, Postgres, Sqlite};

mod backend;
mod backup;
pub mod copy;
mod files;
mod guilds;
mod leaderboard;
mod members;
mod meta;
mod postgres;
mod progress;
mod prompts;
mod quiz;
mod recognition;
mod sqlite;
mod streaks;

pub use backend::Backend;
pub use backup::{BackupError, TableCounts};
pub use quiz::VerifiedBoard;
pub use recognition::ReminderSend;

use crate::config::{Database, PostgresUrl};
use crate::guild::GuildSettings;
use crate::i18n::Locale;
use crate::progress::Mark;
use crate::progress::change::{Change, Outcome};
use crate::progress::community::CommunityCounts;
use crate::progress::streak::{Day, Streak};
use crate::progress::tally::{Ranked, TallyInput, TallyKey, TallyValue, TallyWrite};
use crate::prompts::records::{
    DigestPost, DigestStatus, NewPost, Pause, PostEnd, PromptPost, PromptSchedule,
};
use crate::quiz::records::{AnswerOutcome, Ask, ItemHistory};
use crate::recognition::{Achievement, Reminder, Reward, RewardPause};
use postgres::PostgresStore;
use sqlite::SqliteStore;

/// How long `/healthz` waits for its write probe.
pub const WRITE_PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot create the database folder {path}: {cause}. Check DATABASE_URL and that the user running trilha may write there."
    )]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The database cannot be opened or reached (`target` never shows a password).
    #[error(
        "DATABASE_URL: cannot open the database {target}: {cause}. Check DATABASE_URL, that the database is reachable, and that the user running trilha may write there."
    )]
    Open { target: String, cause: sqlx::Error },
    /// A 0-byte file where the database should be: a failed restore or copy, not a new database.
    #[error(
        "the database file {path} is empty (0 bytes): it is not a trilha database, and starting on it would silently begin a new, empty community. Restore it from a backup (`trilha backup` writes them), or delete the file to start fresh on purpose."
    )]
    EmptyFile { path: PathBuf },
    #[error(
        "there is no database at {path}: set DATABASE_URL to the file the bot uses (a relative path is read from the current folder)"
    )]
    Missing { path: PathBuf },
    /// The database holds migrations this build does not know: it was written by a newer trilha.
    #[error(
        "the database {target} was upgraded by a newer trilha (its schema has migration {version}, this build stops at {known}). Run that newer version, or restore the backup you made before upgrading."
    )]
    NewerSchema {
        target: String,
        version: i64,
        known: i64,
    },
    /// The database lacks migrations this build knows (only read-only opens refuse it).
    #[error(
        "the database {target} has an older schema (migration {version}; this build knows {known}). Start this trilha once to upgrade it, then try again."
    )]
    OlderSchema {
        target: String,
        version: i64,
        known: i64,
    },
    #[error("cannot upgrade the database schema")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A lock or a connection stayed taken longer than we wait.
    #[error("the database is busy (a lock stayed taken): {0}")]
    Busy(sqlx::Error),
    #[error("database error")]
    Query(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        let busy = match &error {
            sqlx::Error::PoolTimedOut => true,
            sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    Sqlite::is_busy(&code)
                } else {
                    Postgres::is_busy(&code)
                }
            }),
            _ => false,
        };
        if busy {
            StoreError::Busy(error)
        } else {
            StoreError::Query(error)
        }
    }
}

impl StoreError {
    /// The lock was taken for too long: worth telling the member to try again.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy(_))
    }
}

/// Converts a Discord id to the 64-bit integer column type (bit-for-bit; ids above i64::MAX
/// wrap).
pub fn to_db_id(id: u64) -> i64 {
    id as i64
}

/// The inverse of [`to_db_id`].
pub fn from_db_id(id: i64) -> u64 {
    id as u64
}

fn known_version(migrator: &sqlx::migrate::Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings a schema up to date; a database migrated by a newer trilha is refused.
async fn migrate<DB: sqlx::Database>(
    migrator: &sqlx::migrate::Migrator,
    pool: &Pool<DB>,
    target: &str,
) -> Result<(), StoreError>
where
    DB::Connection: sqlx::migrate::Migrate,
{
    match migrator.run(pool).await {
        Ok(()) => Ok(()),
        Err(sqlx::migrate::MigrateError::VersionMissing(version)) => Err(StoreError::NewerSchema {
            target: target.to_string(),
            version,
            known: known_version(migrator),
        }),
        Err(other) => Err(other.into()),
    }
}

/// Checks, without changing anything, that a database has exactly the schema this build knows.
async fn schema_check<DB: Backend>(
    migrator: &sqlx::migrate::Migrator,
    pool: &Pool<DB>,
    target: &str,
) -> Result<(), StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
{
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await
            .map_err(|cause| StoreError::Open {
                target: target.to_string(),
                cause,
            })?;
    let known = known_version(migrator);
    let version = applied.last().copied().unwrap_or(0);
    if let Some(&unknown) = applied
        .iter()
        .find(|v| !migrator.iter().any(|m| m.version == **v))
    {
        return Err(StoreError::NewerSchema {
            target: target.to_string(),
            version: unknown,
            known,
        });
    }
    if migrator.iter().any(|m| !applied.contains(&m.version)) {
        return Err(StoreError::OlderSchema {
            target: target.to_string(),
            version,
            known,
        });
    }
    Ok(())
}

/// A handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    engine: Engine,
}

#[derive(Clone, Debug)]
enum Engine {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Runs `$body` with `$sql` bound to the engine's generic queries.
macro_rules! on_engine {
    ($store:expr, $sql:ident => $body:expr) => {
        match &$store.engine {
            Engine::Sqlite(engine) => {
                let $sql = &engine.sql;
                $body
            }
            Engine::Postgres(engine) => {
                let $sql = &engine.sql;
                $body
            }
        }
    };
}

impl Store {
    /// Opens the database `DATABASE_URL` names and brings its schema up to date.
    pub async fn connect(database: &Database) -> Result<Store, StoreError> {
        match database {
            Database::Sqlite(path) => Store::open(path).await,
            Database::Postgres(url) => Store::open_postgres(url).await,
        }
    }

    /// Opens (creating if needed) a SQLite file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            engine: Engine::Sqlite(SqliteStore::open(path).await?),
        })
    }

    /// Connects to PostgreSQL and brings the schema up to date.
    pub async fn open_postgres(url: &PostgresUrl) -> Result<Store, StoreError> {
        Ok(Store {
            engine: Engine::Postgres(PostgresStore::connect(url).await?),
        })
    }

    /// Opens an existing SQLite database for reading only, without touching its schema
    /// (backups): it must exist, hold data and have exactly the schema this build knows.
    pub async fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        Ok(Store {
            engine: Engine::Sqlite(SqliteStore::open_read_only(path).await?),
        })
    }

    /// The engine's name, for messages.
    pub fn engine(&self) -> &'static str {
        match &self.engine {
            Engine::Sqlite(_) => Sqlite::NAME,
            Engine::Postgres(_) => Postgres::NAME,
        }
    }

    /// Where the database is (a path, or `postgres://user@host:port/database`).
    pub fn target(&self) -> String {
        match &self.engine {
            Engine::Sqlite(s) => s.path.display().to_string(),
            Engine::Postgres(p) => p.shown.clone(),
        }
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        match &self.engine {
            Engine::Sqlite(s) => s.close().await,
            Engine::Postgres(p) => p.close().await,
        }
    }

    /// Runs `work` holding the database-wide lock `key`, so that of several processes sharing a
    /// PostgreSQL database only one at a time does it (the start-up upkeep: the others wait,
    /// then find it done). A PostgreSQL advisory lock held on a connection of its own, closed
    /// afterwards: if the process dies or `work` is dropped, the server releases the lock. On
    /// SQLite (one process) `work` just runs.
    pub async fn exclusively<T>(
        &self,
        key: i64,
        work: impl std::future::Future<Output = T>,
    ) -> Result<T, StoreError> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(work.await),
            Engine::Postgres(p) => p.exclusively(key, work).await,
        }
    }

    /// `SELECT 1` on a reader, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_engine!(self, sql => {
            sqlx::query("SELECT 1").execute(&sql.reads).await?;
            Ok(())
        })
    }

    /// Whether the database can take a write right now: a real one-row write, bounded to
    /// [`WRITE_PROBE_TIMEOUT`]. A full disk, a read-only file system or server, or a lock held
    /// for long all fail it.
    pub async fn write_probe(&self, now: i64) -> Result<(), StoreError> {
        match &self.engine {
            Engine::Sqlite(s) => s.write_probe(now, WRITE_PROBE_TIMEOUT).await,
            Engine::Postgres(p) => p.write_probe(now, WRITE_PROBE_TIMEOUT).await,
        }
    }

    /// Rows per table.
    pub async fn table_counts(&self) -> Result<TableCounts, StoreError> {
        on_engine!(self, sql => sql.table_counts().await)
    }

    /// Writes a consistent, checked copy of a SQLite database to `target` (see
    /// `store/backup.rs`). PostgreSQL has its own tools for this (`pg_dump`).
    pub async fn backup(&self, target: &Path) -> Result<TableCounts, BackupError> {
        match &self.engine {
            Engine::Sqlite(s) => s.sql.backup(target).await,
            Engine::Postgres(p) => Err(BackupError::Postgres(p.shown.clone())),
        }
    }

    // Progress, its history, and what is derived from it (progress.rs).
    /// A member's marks in a server (every row, including items no longer in the roadmap).
    pub async fn member_marks(&self, guild: u64, user: u64) -> Result<Vec<Mark>, StoreError> {
        on_engine!(self, sql => sql.member_marks(guild, user).await)
    }

    /// Applies a change atomically: the progress row, an event, popularity counts, the member's
    /// presence and their tallies (computed by `tallies` from the rows as they are inside the
    /// transaction). Marking a state the item already has writes nothing and keeps its time.
    pub async fn apply(
        &self,
        change: &Change<'_>,
        tallies: impl FnOnce(TallyInput<'_>) -> Vec<TallyWrite>,
    ) -> Result<Outcome, StoreError> {
        on_engine!(self, sql => sql.apply(change, tallies).await)
    }

    /// How many members of a server are learning or have done each item.
    pub async fn item_counts(&self, guild: u64) -> Result<Vec<(String, u64, u64)>, StoreError> {
        on_engine!(self, sql => sql.item_counts(guild).await)
    }

    /// Servers that have any progress.
    pub async fn guilds_with_progress(&self) -> Result<Vec<u64>, StoreError> {
        on_engine!(self, sql => sql.guilds_with_progress().await)
    }

    /// Rewrites every tally and popularity count of a server from `progress` (after a roadmap
    /// or time-zone change). `compute` turns one member's marks into their tallies.
    pub async fn rebuild_guild(
        &self,
        guild: u64,
        compute: impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<usize, StoreError> {
        on_engine!(self, sql => sql.rebuild_guild(guild, compute).await)
    }

    // Leaderboards (leaderboard.rs).
    /// `limit` members from position `offset` (0-based): most done first, then who got there
    /// first, then by id so the order is total.
    pub async fn leaderboard(
        &self,
        guild: u64,
        key: &TallyKey,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, StoreError> {
        on_engine!(self, sql => sql.leaderboard(guild, key, offset, limit).await)
    }

    /// How many members are ranked.
    pub async fn leaderboard_len(&self, guild: u64, key: &TallyKey) -> Result<u64, StoreError> {
        on_engine!(self, sql => sql.leaderboard_len(guild, key).await)
    }

    /// A member's own position, or `None` when they have nothing in this leaderboard.
    pub async fn leaderboard_rank(
        &self,
        guild: u64,
        key: &TallyKey,
        user: u64,
    ) -> Result<Option<Ranked>, StoreError> {
        on_engine!(self, sql => sql.leaderboard_rank(guild, key, user).await)
    }

    /// Drops week and month tallies of periods that started before `before` (with their
    /// histogram rows, in the same transaction so the two always agree).
    pub async fn prune_tallies(&self, before: i64) -> Result<u64, StoreError> {
        on_engine!(self, sql => sql.prune_tallies(before).await)
    }

    // Who is (still) in a server (members.rs).
    /// Records that a member is in the server (they interacted, or Discord said so). When they
    /// had left, `rebuild` recomputes their tallies from their marks.
    pub async fn member_present(
        &self,
        guild: u64,
        user: u64,
        now: i64,
        rebuild: impl FnOnce(&[Mark]) -> Vec<TallyWrite>,
    ) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.member_present(guild, user, now, rebuild).await)
    }

    /// Records that a member left: they stop being ranked.
    pub async fn member_left(&self, guild: u64, user: u64, now: i64) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.member_left(guild, user, now).await)
    }

    /// Of `users`, those whose presence was never confirmed or not since `checked_before`.
    pub async fn members_to_check(
        &self,
        guild: u64,
        users: &[u64],
        checked_before: i64,
    ) -> Result<Vec<u64>, StoreError> {
        on_engine!(self, sql => sql.members_to_check(guild, users, checked_before).await)
    }

    /// Whether a member's presence was confirmed at or after `since` (and they have not left).
    pub async fn member_seen_since(
        &self,
        guild: u64,
        user: u64,
        since: i64,
    ) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.member_seen_since(guild, user, since).await)
    }

    /// Records that members were confirmed present by a look-up.
    pub async fn members_confirmed(
        &self,
        guild: u64,
        users: &[u64],
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.members_confirmed(guild, users, now).await)
    }

    // Servers' settings (guilds.rs).
    /// A server's settings, or the defaults for a server trilha has not stored yet.
    pub async fn guild_settings(&self, guild: u64) -> Result<GuildSettings, StoreError> {
        on_engine!(self, sql => sql.guild_settings(guild).await)
    }

    /// Remembers the server's Discord language (from GUILD_CREATE or an interaction).
    pub async fn record_guild(
        &self,
        guild: u64,
        discord_locale: Option<&str>,
        name: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.record_guild(guild, discord_locale, name, now).await)
    }

    /// Sets (or with `None`, clears) the language of public posts.
    pub async fn set_guild_locale(
        &self,
        guild: u64,
        locale: Option<Locale>,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.set_guild_locale(guild, locale, now).await)
    }

    /// Changes a server's time zone and rebuilds its week and month tallies, atomically.
    pub async fn set_timezone(
        &self,
        guild: u64,
        timezone: &str,
        now: i64,
        compute: impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.set_timezone(guild, timezone, now, compute).await)
    }

    // Facts about the database itself (meta.rs).
    /// A fact about the database, if it was ever set.
    pub async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        on_engine!(self, sql => sql.meta(key).await)
    }

    /// Sets a fact (such as the fingerprint of the roadmap the tallies were built for).
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.set_meta(key, value).await)
    }

    // Study prompts: schedules, claims and posts (prompts.rs).
    /// Creates or replaces a server's schedule, active, with its first slot.
    pub async fn save_schedule(&self, s: &PromptSchedule, now: i64) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.save_schedule(s, now).await)
    }

    /// Turns a server's weekly digest on or off; `false` when it has no prompt schedule.
    pub async fn set_digest(&self, guild: u64, on: bool, now: i64) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.set_digest(guild, on, now).await)
    }

    /// The digest of a week: its row, created (with `nonce`) if the week has none yet.
    pub async fn begin_digest(
        &self,
        guild: u64,
        week_start: i64,
        channel: u64,
        nonce: &str,
        now: i64,
    ) -> Result<DigestPost, StoreError> {
        on_engine!(self, sql => sql.begin_digest(guild, week_start, channel, nonce, now).await)
    }

    pub async fn end_digest(
        &self,
        guild: u64,
        week_start: i64,
        status: DigestStatus,
        message_id: Option<u64>,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.end_digest(guild, week_start, status, message_id, error, now).await)
    }

    pub async fn last_digest(&self, guild: u64) -> Result<Option<DigestPost>, StoreError> {
        on_engine!(self, sql => sql.last_digest(guild).await)
    }

    /// A member's quiz history on one item.
    pub async fn quiz_history(
        &self,
        guild: u64,
        user: u64,
        item_id: &str,
    ) -> Result<ItemHistory, StoreError> {
        on_engine!(self, sql => sql.quiz_history(guild, user, item_id).await)
    }

    /// Records a question asked.
    pub async fn create_ask(&self, ask: &Ask) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.create_ask(ask).await)
    }

    pub async fn quiz_ask(&self, id: u64) -> Result<Option<Ask>, StoreError> {
        on_engine!(self, sql => sql.quiz_ask(id).await)
    }

    /// Records the answer on button `slot` (once), verifying the item when it completes two
    /// right answers in a row on different questions.
    pub async fn answer_ask(
        &self,
        ask: &Ask,
        slot: u8,
        now: i64,
        day: Day,
    ) -> Result<AnswerOutcome, StoreError> {
        on_engine!(self, sql => sql.answer_ask(ask, slot, now, day).await)
    }

    /// A member's streak summary (as of their last study day).
    pub async fn streak(&self, guild: u64, user: u64) -> Result<Option<Streak>, StoreError> {
        on_engine!(self, sql => sql.streak(guild, user).await)
    }

    /// When a member studied (marks and quiz answers), for their calendar and for checks.
    pub async fn study_times(&self, guild: u64, user: u64) -> Result<Vec<i64>, StoreError> {
        on_engine!(self, sql => sql.study_times(guild, user).await)
    }

    /// Recomputes a server's streaks from its event log.
    pub async fn rebuild_streaks(
        &self,
        guild: u64,
        day: impl Fn(i64) -> Day,
    ) -> Result<usize, StoreError> {
        on_engine!(self, sql => sql.rebuild_streaks(guild, day).await)
    }

    pub async fn streak_page(
        &self,
        guild: u64,
        today: Day,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, StoreError> {
        on_engine!(self, sql => sql.streak_page(guild, today, offset, limit).await)
    }

    pub async fn streak_len(&self, guild: u64, today: Day) -> Result<u64, StoreError> {
        on_engine!(self, sql => sql.streak_len(guild, today).await)
    }

    pub async fn streak_rank(
        &self,
        guild: u64,
        today: Day,
        user: u64,
    ) -> Result<Option<Ranked>, StoreError> {
        on_engine!(self, sql => sql.streak_rank(guild, today, user).await)
    }

    /// The items a member verified, as (item id, when).
    pub async fn verified_items(
        &self,
        guild: u64,
        user: u64,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        on_engine!(self, sql => sql.verified_items(guild, user).await)
    }

    /// Whether the server's leaderboards count verified items only.
    pub async fn set_verified_only(
        &self,
        guild: u64,
        on: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.set_verified_only(guild, on, now).await)
    }

    pub async fn verified_page(
        &self,
        board: &VerifiedBoard<'_>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Ranked>, StoreError> {
        on_engine!(self, sql => sql.verified_page(board, offset, limit).await)
    }

    pub async fn verified_len(&self, board: &VerifiedBoard<'_>) -> Result<u64, StoreError> {
        on_engine!(self, sql => sql.verified_len(board).await)
    }

    pub async fn verified_rank(
        &self,
        board: &VerifiedBoard<'_>,
        user: u64,
    ) -> Result<Option<Ranked>, StoreError> {
        on_engine!(self, sql => sql.verified_rank(board, user).await)
    }

    /// Saves a member's streak reminder (on, with its next time, or off).
    pub async fn save_reminder(&self, reminder: &Reminder, now: i64) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.save_reminder(reminder, now).await)
    }

    pub async fn reminder(&self, guild: u64, user: u64) -> Result<Option<Reminder>, StoreError> {
        on_engine!(self, sql => sql.reminder(guild, user).await)
    }

    /// Claims due reminders (other instances skip them until `until`).
    pub async fn claim_due_reminders(
        &self,
        instance: &str,
        now: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<Reminder>, StoreError> {
        on_engine!(self, sql => sql.claim_due_reminders(instance, now, until, limit).await)
    }

    pub async fn reschedule_reminder(
        &self,
        guild: u64,
        user: u64,
        next_due_at: Option<i64>,
        now: i64,
        instance: &str,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.reschedule_reminder(guild, user, next_due_at, now, instance).await)
    }

    /// Discord refused a reminder DM: reminders off, the member told at their next command.
    pub async fn reminder_dms_closed(
        &self,
        guild: u64,
        user: u64,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.reminder_dms_closed(guild, user, now).await)
    }

    /// Whether a notice waits for the member (once).
    pub async fn take_reminder_notice(&self, guild: u64, user: u64) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.take_reminder_notice(guild, user).await)
    }

    pub async fn begin_reminder_send(
        &self,
        guild: u64,
        user: u64,
        day: Day,
        nonce: &str,
        now: i64,
    ) -> Result<ReminderSend, StoreError> {
        on_engine!(self, sql => sql.begin_reminder_send(guild, user, day, nonce, now).await)
    }

    pub async fn end_reminder_send(
        &self,
        guild: u64,
        user: u64,
        day: Day,
        status: &str,
        message_id: Option<u64>,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.end_reminder_send(guild, user, day, status, message_id, now).await)
    }

    pub async fn add_reward(
        &self,
        guild: u64,
        achievement: &Achievement,
        role: u64,
        keep: bool,
        by: u64,
        now: i64,
    ) -> Result<u64, StoreError> {
        on_engine!(self, sql => sql.add_reward(guild, achievement, role, keep, by, now).await)
    }

    pub async fn rewards(&self, guild: u64) -> Result<Vec<Reward>, StoreError> {
        on_engine!(self, sql => sql.rewards(guild).await)
    }

    pub async fn remove_reward(&self, guild: u64, id: u64) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.remove_reward(guild, id).await)
    }

    pub async fn pause_reward(
        &self,
        guild: u64,
        id: u64,
        reason: RewardPause,
        code: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.pause_reward(guild, id, reason, code, now).await)
    }

    pub async fn resume_rewards(&self, guild: u64) -> Result<u64, StoreError> {
        on_engine!(self, sql => sql.resume_rewards(guild).await)
    }

    pub async fn guilds_with_rewards(&self) -> Result<Vec<u64>, StoreError> {
        on_engine!(self, sql => sql.guilds_with_rewards().await)
    }

    /// Members holding a streak reward they can lose, as (server, member).
    pub async fn streak_reward_holders(&self) -> Result<Vec<(u64, u64)>, StoreError> {
        on_engine!(self, sql => sql.streak_reward_holders().await)
    }

    pub async fn member_rewards(&self, guild: u64, user: u64) -> Result<Vec<u64>, StoreError> {
        on_engine!(self, sql => sql.member_rewards(guild, user).await)
    }

    pub async fn record_reward(
        &self,
        guild: u64,
        user: u64,
        id: u64,
        given: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.record_reward(guild, user, id, given, now).await)
    }

    pub async fn members_with_progress(&self, guild: u64) -> Result<Vec<u64>, StoreError> {
        on_engine!(self, sql => sql.members_with_progress(guild).await)
    }

    pub async fn set_announce_rewards(
        &self,
        guild: u64,
        on: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.set_announce_rewards(guild, on, now).await)
    }

    /// What a server studies, with the members who moved in [since, until).
    pub async fn community(
        &self,
        guild: u64,
        since: i64,
        until: i64,
    ) -> Result<CommunityCounts, StoreError> {
        on_engine!(self, sql => sql.community(guild, since, until).await)
    }

    pub async fn schedule(&self, guild: u64) -> Result<Option<PromptSchedule>, StoreError> {
        on_engine!(self, sql => sql.schedule(guild).await)
    }

    /// Active schedules (not paused), up to `limit`.
    pub async fn active_schedules(&self, limit: u32) -> Result<Vec<PromptSchedule>, StoreError> {
        on_engine!(self, sql => sql.active_schedules(limit).await)
    }

    /// Pauses a schedule.
    pub async fn pause_schedule(
        &self,
        guild: u64,
        pause: &Pause,
        now: i64,
    ) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.pause_schedule(guild, pause, now).await)
    }

    /// Resumes a schedule from its next slot.
    pub async fn resume_schedule(
        &self,
        guild: u64,
        next_due_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.resume_schedule(guild, next_due_at, now).await)
    }

    /// Asks for a post right away; `false` when the server has no active schedule.
    pub async fn request_post(&self, guild: u64, now: i64) -> Result<bool, StoreError> {
        on_engine!(self, sql => sql.request_post(guild, now).await)
    }

    /// Claims up to `limit` due schedules for `instance` until `until`, atomically: two
    /// schedulers can never claim the same server at the same time.
    pub async fn claim_due(
        &self,
        instance: &str,
        now: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<PromptSchedule>, StoreError> {
        on_engine!(self, sql => sql.claim_due(instance, now, until, limit).await)
    }

    /// Releases one server's claim, if `instance` still holds it.
    pub async fn release_claim(&self, guild: u64, instance: &str) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.release_claim(guild, instance).await)
    }

    /// Releases every claim of an instance (at shutdown), so another can take over at once.
    pub async fn release_claims(&self, instance: &str) -> Result<u64, StoreError> {
        on_engine!(self, sql => sql.release_claims(instance).await)
    }

    /// The post of a slot: the existing one (a retry), or a new one in 'sending' state with
    /// the item chosen by `choose` (called only when there is none yet).
    pub async fn begin_post(
        &self,
        new: &NewPost<'_>,
        now: i64,
        choose: impl FnOnce(&[String]) -> Option<(String, usize)>,
    ) -> Result<Option<PromptPost>, StoreError> {
        on_engine!(self, sql => sql.begin_post(new, now, choose).await)
    }

    /// Records how a slot ended and moves the schedule on (a scheduled slot to `next_due_at`, a
    /// manual one clears the request, a failure pauses it), in one transaction. The claim stays
    /// until [`Store::release_claim`].
    pub async fn end_slot(
        &self,
        guild: u64,
        slot: i64,
        manual: bool,
        end: &PostEnd,
        next_due_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.end_slot(guild, slot, manual, end, next_due_at, now).await)
    }

    /// After a transient failure: leaves the slot due, and lets no scheduler retry before `retry_at`.
    pub async fn retry_later(
        &self,
        guild: u64,
        slot: i64,
        error: &str,
        retry_at: i64,
    ) -> Result<(), StoreError> {
        on_engine!(self, sql => sql.retry_later(guild, slot, error, retry_at).await)
    }

    /// The latest posts of a server, newest first.
    pub async fn recent_posts(
        &self,
        guild: u64,
        limit: u32,
    ) -> Result<Vec<PromptPost>, StoreError> {
        on_engine!(self, sql => sql.recent_posts(guild, limit).await)
    }

    /// Items of the server's sent posts, oldest first: the rotation's history.
    pub async fn posted_items(&self, guild: u64) -> Result<Vec<String>, StoreError> {
        on_engine!(self, sql => sql.posted_items(guild).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_round_trip_through_integer() {
        for id in [1u64, 123456789012345678, u64::MAX, i64::MAX as u64 + 1] {
            assert_eq!(from_db_id(to_db_id(id)), id);
        }
    }
}
