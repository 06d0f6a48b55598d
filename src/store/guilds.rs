//! Per-server settings.

use super::progress::rebuild_guild_in;
use super::{Store, StoreError, to_db_id};
use crate::guild::GuildSettings;
use crate::i18n::Locale;
use crate::progress::Mark;
use crate::progress::tally::{TallyKey, TallyValue};

fn locale_from_db(text: Option<String>) -> Option<Locale> {
    match text.as_deref() {
        Some("pt-BR") => Some(Locale::PtBr),
        Some("en") => Some(Locale::En),
        _ => None,
    }
}

impl Store {
    /// A server's settings, or the defaults for a server trilha has not stored yet.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn guild_settings(&self, guild: u64) -> Result<GuildSettings, StoreError> {
        let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT timezone, locale, discord_locale FROM guilds WHERE guild_id = ?",
        )
        .bind(to_db_id(guild))
        .fetch_optional(&self.reads)
        .await?;
        Ok(match row {
            Some((timezone, locale, discord_locale)) => GuildSettings {
                timezone,
                locale: locale_from_db(locale),
                discord_locale,
            },
            None => GuildSettings::default(),
        })
    }

    /// Remembers the server's Discord language (from GUILD_CREATE or an interaction).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record_guild(
        &self,
        guild: u64,
        discord_locale: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO guilds (guild_id, discord_locale, created_at, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (guild_id) DO UPDATE SET discord_locale = COALESCE(excluded.discord_locale, guilds.discord_locale),
                 updated_at = excluded.updated_at
             WHERE guilds.discord_locale IS NOT excluded.discord_locale",
        )
        .bind(to_db_id(guild))
        .bind(discord_locale)
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    /// Sets (or with `None`, clears) the language of public posts.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_guild_locale(
        &self,
        guild: u64,
        locale: Option<Locale>,
        now: i64,
    ) -> Result<(), StoreError> {
        let value = locale.map(|l| l.file_key());
        sqlx::query(
            "INSERT INTO guilds (guild_id, locale, created_at, updated_at) VALUES (?, ?, ?, ?)
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
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn set_timezone(
        &self,
        guild: u64,
        timezone: &str,
        now: i64,
        compute: impl Fn(&[Mark]) -> Vec<(TallyKey, TallyValue)>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO guilds (guild_id, timezone, created_at, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at",
        )
        .bind(to_db_id(guild))
        .bind(timezone)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        rebuild_guild_in(&mut tx, guild, &compute).await?;
        tx.commit().await?;
        Ok(())
    }
}
