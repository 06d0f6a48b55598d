//! Per-server settings.

use super::macros::facade;
use super::{StoreError, to_db_id};
use crate::guild::{GuildSeen, GuildSettings};
use crate::i18n::Locale;
use crate::progress::Mark;
use crate::progress::community::CommunityCounts;
use crate::progress::tally::{TallyKey, TallyValue};

fn locale_from_db(text: Option<String>) -> Option<Locale> {
    match text.as_deref() {
        Some("pt-BR") => Some(Locale::PtBr),
        Some("en") => Some(Locale::En),
        _ => None,
    }
}

facade! {
    /// A server's settings, or the defaults for a server trilha has not stored yet.
    pub async fn guild_settings(&self, guild: u64) -> Result<GuildSettings, StoreError> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            bool,
            bool,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT timezone, locale, discord_locale, name, verified_only, announce_rewards, icon_hash
             FROM guilds WHERE guild_id = $1",
        )
        .bind(to_db_id(guild))
        .fetch_optional(&self.reads)
        .await?;
        Ok(match row {
            Some((
                timezone,
                locale,
                discord_locale,
                name,
                verified_only,
                announce_rewards,
                icon_hash,
            )) => GuildSettings {
                timezone,
                locale: locale_from_db(locale),
                discord_locale,
                name,
                verified_only,
                announce_rewards,
                icon_hash,
            },
            None => GuildSettings::default(),
        })
    }

    /// Remembers the server's Discord language (from GUILD_CREATE or an interaction).
    pub async fn record_guild(
        &self,
        guild: u64,
        seen: &GuildSeen<'_>,
        now: i64,
    ) -> Result<(), StoreError> {
        // The icon is always what Discord says (a server may remove its icon); the language
        // and name are kept when an event does not carry them.
        sqlx::query(
            "INSERT INTO guilds (guild_id, discord_locale, name, icon_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (guild_id) DO UPDATE SET discord_locale = COALESCE(excluded.discord_locale, guilds.discord_locale),
                 name = COALESCE(excluded.name, guilds.name), icon_hash = excluded.icon_hash,
                 updated_at = excluded.updated_at
             WHERE guilds.discord_locale IS DISTINCT FROM excluded.discord_locale
                OR guilds.name IS DISTINCT FROM excluded.name
                OR guilds.icon_hash IS DISTINCT FROM excluded.icon_hash",
        )
        .bind(to_db_id(guild))
        .bind(seen.locale)
        .bind(seen.name)
        .bind(seen.icon_hash)
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Sets (or with `None`, clears) the language of public posts.
    pub async fn set_guild_locale(
        &self,
        guild: u64,
        locale: Option<Locale>,
        now: i64,
    ) -> Result<(), StoreError> {
        let value = locale.map(|l| l.file_key());
        sqlx::query(
            "INSERT INTO guilds (guild_id, locale, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id) DO UPDATE SET locale = excluded.locale, updated_at = excluded.updated_at",
        )
        .bind(to_db_id(guild))
        .bind(value)
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Changes a server's time zone and rebuilds its week and month tallies, atomically.
    pub async fn set_timezone(
        &self,
        guild: u64,
        timezone: &str,
        now: i64,
        compute: impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_guild(to_db_id(guild)).await?;
        sqlx::query(
            "INSERT INTO guilds (guild_id, timezone, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at",
        )
        .bind(to_db_id(guild))
        .bind(timezone)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        Self::rebuild_guild_in(&mut tx, guild, &compute).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a server studies: active members (still there, at least one item done), how many
    /// of them have each item done, and who completed or started each item in [since, until).
    pub async fn community(
        &self,
        guild: u64,
        since: i64,
        until: i64,
    ) -> Result<CommunityCounts, StoreError> {
        let g = to_db_id(guild);
        // Active members: ranked on the all-time board (still in the server, something done);
        // a sum over the histogram's few rows. Done counts: kept exact by every write.
        let active: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(members), 0) AS BIGINT) FROM done_histogram
             WHERE guild_id = $1 AND scope = '' AND period = 'all'",
        )
        .bind(g)
        .fetch_one(&self.reads)
        .await?;
        let done: Vec<(String, i64)> = sqlx::query_as(
            "SELECT item_id, done FROM item_counts WHERE guild_id = $1 AND done > 0",
        )
        .bind(g)
        .fetch_all(&self.reads)
        .await?;
        let moved: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT item_id, to_state, COUNT(DISTINCT user_id) FROM progress_events
             WHERE guild_id = $1 AND at >= $2 AND at < $3 AND cause = 'mark'
               AND to_state IN ('done', 'learning')
             GROUP BY item_id, to_state",
        )
        .bind(g)
        .bind(since)
        .bind(until)
        .fetch_all(&self.reads)
        .await?;
        let count = |n: i64| n.max(0) as u64;
        let window = |state: &str| {
            moved
                .iter()
                .filter(|(_, s, _)| s == state)
                .map(|(item, _, n)| (item.clone(), count(*n)))
                .collect()
        };
        Ok(CommunityCounts {
            active: count(active),
            done: done.into_iter().map(|(i, n)| (i, count(n))).collect(),
            window_done: window("done"),
            window_learning: window("learning"),
        })
    }
}
