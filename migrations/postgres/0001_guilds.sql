-- One row per server trilha has seen, with its settings. The PostgreSQL twin of
-- migrations/sqlite/0001_guilds.sql: the same tables, columns and indexes (a test compares them).
-- Snowflakes are stored as BIGINT (two's complement of the u64), times as UTC epoch seconds.
CREATE TABLE guilds (
    guild_id        BIGINT PRIMARY KEY,
    -- Language for public posts chosen with /config language; NULL follows the server's
    -- Discord locale (discord_locale).
    locale          TEXT CHECK (locale IN ('pt-BR', 'en')),
    discord_locale  TEXT,
    -- IANA time zone for periods and schedules.
    timezone        TEXT NOT NULL DEFAULT 'America/Sao_Paulo',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
