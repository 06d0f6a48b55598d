//! Per-server settings.

use super::backend::{Backend, Column, Sql};
use super::{StoreError, to_db_id};
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

impl<DB: Backend> Sql<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    bool: Column<DB>,
    // sqlx encodes `Option` per engine, not generically.
    Option<i64>: for<'q> sqlx::Encode<'q, DB>,
    Option<String>: for<'q> sqlx::Encode<'q, DB>,
    for<'a> Option<&'a str>: sqlx::Encode<'a, DB>,
{
    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn guild_settings(&self, guild: u64) -> Result<GuildSettings, StoreError> {
        let row: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT timezone, locale, discord_locale FROM guilds WHERE guild_id = $1",
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

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn record_guild(
        &self,
        guild: u64,
        discord_locale: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO guilds (guild_id, discord_locale, created_at, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id) DO UPDATE SET discord_locale = COALESCE(excluded.discord_locale, guilds.discord_locale),
                 updated_at = excluded.updated_at
             WHERE guilds.discord_locale IS DISTINCT FROM excluded.discord_locale",
        )
        .bind(to_db_id(guild))
        .bind(discord_locale)
        .bind(now)
        .bind(now)
        .execute(&self.writes)
        .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn set_guild_locale(
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

    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn set_timezone(
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
}
