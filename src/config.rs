//! Configuration from the environment (and `.env`), parsed once, typed, failing fast.
//!
//! This is the only module that reads environment variables (`clippy.toml` forbids
//! `std::env::var` elsewhere). Every error names the variable and says how to fix it, and never
//! repeats a secret's value.

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

/// The bot token. Its `Debug` prints nothing of the value, and it is only exposed to build the
/// HTTP client.
#[derive(Clone)]
pub struct DiscordToken(SecretString);

impl DiscordToken {
    /// Validates the token's shape without revealing it in any error.
    pub fn parse(raw: &str) -> Result<DiscordToken, String> {
        let token = raw.trim();
        if token.is_empty() {
            return Err("is empty".into());
        }
        if token
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("bot "))
        {
            return Err(
                "starts with `Bot `: put only the token itself, trilha adds the prefix".into(),
            );
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("contains spaces or line breaks: copy the token again".into());
        }
        let parts: Vec<&str> = token.split('.').collect();
        let well_formed = parts.len() == 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '=')
            });
        if !well_formed {
            return Err(
                "does not look like a bot token (three parts separated by dots); copy it from the Bot page of your application"
                    .into(),
            );
        }
        Ok(DiscordToken(SecretString::new(token.to_string())))
    }

    /// The raw token, for the HTTP client only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for DiscordToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DiscordToken(<redacted>)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything trilha reads from the environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// Required to connect to Discord; `check` and `ask` work without it.
    pub token: Option<DiscordToken>,
    /// The database: a SQLite file (the default) or a PostgreSQL server.
    pub database: Database,
    /// The roadmap folder `ROADMAP_DIR` names (which must exist); unset: `./roadmap` when there
    /// is one, else the shipped roadmap built into the binary.
    pub roadmap_dir: Option<PathBuf>,
    /// `RUST_LOG` when set; each command picks its own default otherwise.
    pub log_filter: Option<String>,
    pub log_format: LogFormat,
    /// Register commands in this server only (instant updates while developing).
    pub dev_guild_id: Option<u64>,
    /// Send Discord REST calls to this base URL instead of https://discord.com (a rate-limit
    /// proxy such as twilight-http-proxy or nirn-proxy, or the local Discord in tests).
    pub proxy_url: Option<String>,
    /// Where avatars and server icons are fetched from: Discord's CDN, or the local Discord in
    /// tests.
    pub cdn_url: String,
    /// Testing aid: read the current time from this file (epoch seconds or RFC 3339).
    pub clock_file: Option<PathBuf>,
    /// How late a study prompt missed during downtime may still be posted (minutes).
    pub prompt_grace_minutes: i64,
    /// Where to serve `/healthz` and `/metrics` (off when unset).
    pub health_addr: Option<std::net::SocketAddr>,
    /// How often the prompt scheduler looks for due posts.
    pub prompt_tick: std::time::Duration,
    /// Prompt posts per second at most, across servers.
    pub prompt_posts_per_second: f64,
    /// Also request the privileged Server Members intent, to learn at once when members
    /// leave (it must be enabled on the application's Bot page too).
    pub members_intent: bool,
    /// Which gateway shards this process runs (`SHARDS`, `SHARD_TOTAL`).
    pub shards: ShardPlan,
}

/// Which gateway shards a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShardPlan {
    /// Every shard Discord recommends (`GET /gateway/bot`), in this process: the default.
    Recommended,
    /// Shards `first` to `last`, both included, of `total` (`SHARDS=first-last`,
    /// `SHARD_TOTAL=total`): one range per process when several share the bot.
    Range { first: u32, last: u32, total: u32 },
}

impl ShardPlan {
    /// This process's share of the bot: its shards over the total (all of it by default). The
    /// bot-wide budgets (prompt posts per second) are divided by it, so N processes on
    /// complementary ranges together stay within one budget.
    pub fn share(&self) -> f64 {
        match *self {
            ShardPlan::Recommended => 1.0,
            ShardPlan::Range { first, last, total } => {
                f64::from(last - first + 1) / f64::from(total)
            }
        }
    }

    /// How many shards this process runs, once the recommended count is known.
    pub fn count(&self, recommended: u32) -> u32 {
        match *self {
            ShardPlan::Recommended => recommended.max(1),
            ShardPlan::Range { first, last, .. } => last - first + 1,
        }
    }

    /// Reads `SHARDS` (`3`, or `0-3`: the end is included) and `SHARD_TOTAL`.
    pub fn parse(shards: Option<&str>, total: Option<&str>) -> Result<ShardPlan, ConfigError> {
        const MAX_TOTAL: u32 = 100_000;
        let total = match total.map(str::trim) {
            None => None,
            Some(raw) => Some(
                raw.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_TOTAL).contains(n))
                    .ok_or_else(|| ConfigError {
                        variable: "SHARD_TOTAL",
                        problem: format!("`{raw}` is not a whole number from 1 to {MAX_TOTAL}"),
                        hint: "Set it to the bot's total shard count, the same in every process (e.g. 8), or leave it and SHARDS unset to run every shard Discord recommends here.".into(),
                    })?,
            ),
        };
        let Some(raw) = shards.map(str::trim) else {
            return Ok(match total {
                None => ShardPlan::Recommended,
                Some(total) => ShardPlan::Range {
                    first: 0,
                    last: total - 1,
                    total,
                },
            });
        };
        let bad = |problem: String| {
            ConfigError {
            variable: "SHARDS",
            problem,
            hint: "Use one shard id (3) or one range with both ends included (0-3), within SHARD_TOTAL; each process runs its own range, e.g. SHARDS=0-3 and SHARDS=4-7 with SHARD_TOTAL=8.".into(),
        }
        };
        let Some(total) = total else {
            return Err(ConfigError {
                variable: "SHARD_TOTAL",
                problem: format!("is not set, but SHARDS is (`{raw}`)"),
                hint: "A shard range means nothing without the bot's total: set SHARD_TOTAL (e.g. 8) in every process.".into(),
            });
        };
        let id = |text: &str| -> Result<u32, ConfigError> {
            text.trim()
                .parse::<u32>()
                .map_err(|_| bad(format!("`{raw}` is not a shard id or a range like 0-3")))
        };
        let (first, last) = match raw.split_once('-') {
            Some((a, b)) => (id(a)?, id(b)?),
            None => {
                let n = id(raw)?;
                (n, n)
            }
        };
        if first > last {
            return Err(bad(format!(
                "`{raw}` is an empty range (it ends before it starts)"
            )));
        }
        if last >= total {
            return Err(bad(format!(
                "`{raw}` goes past SHARD_TOTAL={total} (shard ids are 0 to {})",
                total - 1
            )));
        }
        Ok(ShardPlan::Range { first, last, total })
    }
}

/// Discord's CDN, where avatars and server icons are.
pub const DEFAULT_CDN_URL: &str = "https://cdn.discordapp.com";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/trilha.db";
/// Our own logs at info; chatty dependencies only when something is wrong.
pub const DEFAULT_LOG_FILTER: &str = "info,serenity=warn,sqlx=warn,rustls=warn,hyper=warn,hyper_util=warn,reqwest=warn,tungstenite=warn,tokio_tungstenite=warn,h2=warn";

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}. {hint}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
    pub hint: String,
}

impl Config {
    /// Loads `.env` (if present; real environment variables win) and reads the configuration.
    pub fn from_env() -> Result<Config, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => {
                return Err(ConfigError {
                    variable: ".env",
                    problem: format!("cannot be read: {e}"),
                    hint: "Fix the line it points at (each line is NAME=value) or remove the file."
                        .into(),
                });
            }
        }
        #[allow(clippy::disallowed_methods)] // The one place that reads the environment.
        Config::from_raw(|name| std::env::var_os(name))
    }

    /// Reads the configuration from raw environment values: a value that is not valid UTF-8 is
    /// an error naming its variable, never taken as unset (that would silently use a default,
    /// such as a new empty database).
    pub fn from_raw(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Config, ConfigError> {
        let env = RawEnv(lookup);
        // Fields are evaluated in the order written: with several bad values, the one reported
        // is always the first of them here.
        Ok(Config {
            token: env.parsed("DISCORD_TOKEN", parse_token)?,
            database: parse_database_url(
                &env.get("DATABASE_URL")?
                    .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string()),
            )?,
            roadmap_dir: env.get("ROADMAP_DIR")?.map(PathBuf::from),
            log_filter: env.get("RUST_LOG")?,
            log_format: parse_log_format(env.get("LOG_FORMAT")?.as_deref())?,
            dev_guild_id: env.parsed("DEV_GUILD_ID", parse_dev_guild_id)?,
            proxy_url: env.parsed("DISCORD_PROXY_URL", parse_proxy_url)?,
            cdn_url: env
                .parsed("DISCORD_CDN_URL", parse_cdn_url)?
                .unwrap_or_else(|| DEFAULT_CDN_URL.to_string()),
            clock_file: env.get("TRILHA_CLOCK_FILE")?.map(PathBuf::from),
            health_addr: env.parsed("HEALTH_ADDR", parse_health_addr)?,
            prompt_grace_minutes: env.number(&PROMPT_GRACE_MINUTES)? as i64,
            prompt_tick: std::time::Duration::from_secs_f64(env.number(&PROMPT_TICK_SECONDS)?),
            prompt_posts_per_second: env.number(&PROMPT_POSTS_PER_SECOND)?,
            members_intent: parse_members_intent(env.get("DISCORD_MEMBERS_INTENT")?.as_deref())?,
            shards: ShardPlan::parse(
                env.get("SHARDS")?.as_deref(),
                env.get("SHARD_TOTAL")?.as_deref(),
            )?,
        })
    }

    /// The token, or the error `run` reports when it is missing.
    pub fn require_token(&self) -> Result<&DiscordToken, ConfigError> {
        self.token.as_ref().ok_or_else(|| ConfigError {
            variable: "DISCORD_TOKEN",
            problem: "is not set".into(),
            hint: "Copy .env.example to .env and put your bot token there (README: \"Creating the Discord application\"). `trilha check` and `trilha ask` work without it.".into(),
        })
    }
}

/// A Discord id: a positive 64-bit integer.
pub fn parse_snowflake(raw: &str) -> Option<u64> {
    raw.trim().parse::<u64>().ok().filter(|&id| id > 0)
}

/// The environment as `Config::from_raw` sees it: a lookup of raw (possibly non-UTF-8) values.
struct RawEnv<F>(F);

impl<F: Fn(&str) -> Option<OsString>> RawEnv<F> {
    /// The value of `name`, with a blank value counting as unset.
    fn get(&self, name: &'static str) -> Result<Option<String>, ConfigError> {
        let Some(raw) = (self.0)(name) else {
            return Ok(None);
        };
        match raw.into_string() {
            Ok(value) => Ok(Some(value).filter(|v| !v.trim().is_empty())),
            Err(_) => Err(ConfigError {
                variable: name,
                problem: "is not valid UTF-8".into(),
                hint: "Set it again as plain text (check the file or shell that sets it for a stray byte or a wrong encoding).".into(),
            }),
        }
    }

    /// The value of `name` read by `parse`, or `None` when unset.
    fn parsed<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, ConfigError>,
    ) -> Result<Option<T>, ConfigError> {
        self.get(name)?.as_deref().map(parse).transpose()
    }

    /// The number `setting` names, within its bounds, or its default when unset.
    fn number(&self, setting: &NumberSetting) -> Result<f64, ConfigError> {
        let NumberSetting {
            variable,
            default,
            min,
            max,
            hint,
        } = *setting;
        let Some(raw) = self.get(variable)? else {
            return Ok(default);
        };
        raw.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && (min..=max).contains(v))
            .ok_or_else(|| ConfigError {
                variable,
                problem: format!("`{}` is not a number between {min} and {max}", raw.trim()),
                hint: hint.to_string(),
            })
    }
}

/// A numeric variable: its default, the values it accepts and how to fix a bad one.
struct NumberSetting {
    variable: &'static str,
    default: f64,
    min: f64,
    max: f64,
    hint: &'static str,
}

const PROMPT_GRACE_MINUTES: NumberSetting = NumberSetting {
    variable: "PROMPT_GRACE_MINUTES",
    default: 120.0,
    min: 0.0,
    max: 24.0 * 60.0,
    hint: "Use whole minutes, e.g. 120 (the default).",
};

const PROMPT_TICK_SECONDS: NumberSetting = NumberSetting {
    variable: "PROMPT_TICK_SECONDS",
    default: 15.0,
    min: 0.05,
    max: 3600.0,
    hint: "Use seconds, e.g. 15 (the default).",
};

const PROMPT_POSTS_PER_SECOND: NumberSetting = NumberSetting {
    variable: "PROMPT_POSTS_PER_SECOND",
    default: 40.0,
    min: 0.1,
    max: 50.0,
    hint: "Discord allows 50 requests per second per bot; the default is 40.",
};

/// `DISCORD_TOKEN`, checked for shape; the error never quotes it.
fn parse_token(raw: &str) -> Result<DiscordToken, ConfigError> {
    DiscordToken::parse(raw).map_err(|problem| ConfigError {
        variable: "DISCORD_TOKEN",
        problem,
        hint: "Copy the token from https://discord.com/developers/applications > your app > Bot > Reset Token.".into(),
    })
}

/// `LOG_FORMAT`: `text` (the default) or `json`.
fn parse_log_format(raw: Option<&str>) -> Result<LogFormat, ConfigError> {
    match raw.map(str::trim) {
        None | Some("text") => Ok(LogFormat::Text),
        Some("json") => Ok(LogFormat::Json),
        Some(other) => Err(ConfigError {
            variable: "LOG_FORMAT",
            problem: format!("`{other}` is not a log format"),
            hint: "Use `text` (the default) or `json`.".into(),
        }),
    }
}

/// `DEV_GUILD_ID`: the server to register commands in while developing.
fn parse_dev_guild_id(raw: &str) -> Result<u64, ConfigError> {
    parse_snowflake(raw).ok_or_else(|| ConfigError {
        variable: "DEV_GUILD_ID",
        problem: format!("`{}` is not a server id", raw.trim()),
        hint: "Right-click the server with Developer Mode on > Copy Server ID (a number like 123456789012345678), or leave it empty to register commands globally.".into(),
    })
}

/// `DISCORD_PROXY_URL`: a scheme, host and port only (trilha appends the API path), without a
/// trailing slash.
fn parse_proxy_url(raw: &str) -> Result<String, ConfigError> {
    parse_base_url(
        raw,
        "DISCORD_PROXY_URL",
        "Give scheme, host and port only, like http://127.0.0.1:8080 (trilha appends /api/v10/...).",
    )
}

/// `DISCORD_CDN_URL`: like the proxy's, a scheme, host and port only.
fn parse_cdn_url(raw: &str) -> Result<String, ConfigError> {
    parse_base_url(
        raw,
        "DISCORD_CDN_URL",
        "Give scheme, host and port only, like https://cdn.discordapp.com (trilha appends /avatars/...).",
    )
}

/// A base URL (scheme, host and port), without a trailing slash.
fn parse_base_url(raw: &str, variable: &'static str, hint: &str) -> Result<String, ConfigError> {
    let url = raw.trim().trim_end_matches('/').to_string();
    let valid = (url.starts_with("http://") || url.starts_with("https://"))
        && url
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
    if !valid {
        return Err(ConfigError {
            variable,
            problem: format!("`{url}` is not a base URL"),
            hint: hint.into(),
        });
    }
    Ok(url)
}

/// `HEALTH_ADDR`: where to serve `/healthz` and `/metrics`.
fn parse_health_addr(raw: &str) -> Result<std::net::SocketAddr, ConfigError> {
    raw.trim().parse().map_err(|_| ConfigError {
        variable: "HEALTH_ADDR",
        problem: format!("`{}` is not an address and port", raw.trim()),
        hint: "Use host:port, e.g. 127.0.0.1:8080 (or 0.0.0.0:8080 in a container), or leave it unset to turn the listener off.".into(),
    })
}

/// `DISCORD_MEMBERS_INTENT`: a yes or no, off when unset.
fn parse_members_intent(raw: Option<&str>) -> Result<bool, ConfigError> {
    let Some(value) = raw.map(|v| v.trim().to_ascii_lowercase()) else {
        return Ok(false);
    };
    match value.as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError {
            variable: "DISCORD_MEMBERS_INTENT",
            problem: format!("`{value}` is not true or false"),
            hint: "Use true (and enable Server Members Intent on the Bot page) or false.".into(),
        }),
    }
}

/// Where the database is, as `DATABASE_URL` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created, with its folder, when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL server.
    Postgres(PostgresUrl),
}

impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => write!(f, "{url}"),
        }
    }
}

/// A PostgreSQL URL. It may carry a password: `Display` and `Debug` show the user, host, port
/// and database only.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    url: String,
    /// `user@host:port/database`, for messages.
    shown: String,
}

impl PostgresUrl {
    /// Reads a `postgres://` or `postgresql://` URL; the error never quotes the URL.
    pub fn parse(url: &str) -> Result<PostgresUrl, String> {
        use std::str::FromStr;
        let options = sqlx::postgres::PgConnectOptions::from_str(url).map_err(|_| {
            "is not a PostgreSQL URL (postgres://user:password@host:port/database)".to_string()
        })?;
        let shown = format!(
            "{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or(options.get_username())
        );
        Ok(PostgresUrl {
            url: url.to_string(),
            shown,
        })
    }

    /// The whole URL, password included: for the driver only.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The same server and credentials, another database (tests and benches create their own).
    pub fn with_database(&self, name: &str) -> PostgresUrl {
        let (base, query) = match self.url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (self.url.as_str(), String::new()),
        };
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let server = match base[scheme_end..].find('/') {
            Some(i) => &base[..scheme_end + i],
            None => base,
        };
        PostgresUrl::parse(&format!("{server}/{name}{query}"))
            .expect("a valid URL with another database name stays valid")
    }
}

impl std::fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "postgres://{}", self.shown)
    }
}

impl std::fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PostgresUrl({self})")
    }
}

impl Database {
    /// Reads a database URL (`sqlite://...`, a file path, or `postgres://...`); the problem, if
    /// any, as a sentence.
    pub fn from_url(url: &str) -> Result<Database, String> {
        parse_database_url(url).map_err(|e| format!("{} {}", e.problem, e.hint))
    }
}

fn parse_database_url(url: &str) -> Result<Database, ConfigError> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return PostgresUrl::parse(url)
            .map(Database::Postgres)
            .map_err(|problem| ConfigError {
                variable: "DATABASE_URL",
                problem,
                hint: "Use postgres://user:password@host:5432/database, or a SQLite file such as `sqlite://data/trilha.db`.".into(),
            });
    }
    if url.starts_with("mysql:") || url.starts_with("postgres:") || url.starts_with("postgresql:") {
        return Err(ConfigError {
            variable: "DATABASE_URL",
            problem: "names a database trilha does not use".into(),
            hint: format!(
                "Use a SQLite file such as `{DEFAULT_DATABASE_URL}`, or postgres://user:password@host:5432/database."
            ),
        });
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    // Connection options after `?` are trilha's to choose (WAL, foreign keys, ...).
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(ConfigError {
            variable: "DATABASE_URL",
            problem: format!("`{url}` does not name a database file"),
            hint: format!(
                "Use a file path such as `{DEFAULT_DATABASE_URL}`; progress must survive restarts."
            ),
        });
    }
    Ok(Database::Sqlite(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn another_database_on_the_same_server_keeps_credentials_and_parameters() {
        let swap = |url: &str, name: &str| {
            PostgresUrl::parse(url)
                .unwrap()
                .with_database(name)
                .expose()
                .to_string()
        };
        assert_eq!(
            swap("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            swap("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(swap("postgres://h", "t3"), "postgres://h/t3");
    }

    const TOKEN: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_raw(|name| map.get(name).map(OsString::from))
    }

    #[test]
    fn defaults_need_nothing() {
        let c = config(&[]).unwrap();
        assert!(c.token.is_none());
        assert_eq!(
            c.database,
            Database::Sqlite(PathBuf::from("data/trilha.db"))
        );
        assert_eq!(
            c.roadmap_dir, None,
            "the folder, or the shipped roadmap, is found at load"
        );
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(
            c.require_token()
                .unwrap_err()
                .to_string()
                .starts_with("DISCORD_TOKEN: is not set")
        );
    }

    #[test]
    fn the_token_never_shows_in_debug_or_errors() {
        let c = config(&[("DISCORD_TOKEN", TOKEN)]).unwrap();
        let debug = format!("{c:?}");
        assert!(
            !debug.contains(TOKEN) && !debug.contains("GhIjKl"),
            "{debug}"
        );
        assert_eq!(c.token.as_ref().unwrap().expose(), TOKEN);

        let bad = format!("Bot {TOKEN}");
        let err = config(&[("DISCORD_TOKEN", &bad)]).unwrap_err().to_string();
        assert!(
            err.starts_with("DISCORD_TOKEN:") && !err.contains("GhIjKl"),
            "{err}"
        );
        let err = config(&[("DISCORD_TOKEN", "not-a-token-secretvalue")])
            .unwrap_err()
            .to_string();
        assert!(!err.contains("secretvalue"), "{err}");
    }

    #[test]
    fn tokens_with_characters_outside_ascii_are_refused_without_panicking() {
        for raw in ["é", "ção.token.x", "Bót abc.def.ghi", "🤖🤖🤖🤖.a.b"] {
            let e = config(&[("DISCORD_TOKEN", raw)]).unwrap_err();
            assert_eq!(e.variable, "DISCORD_TOKEN");
            assert!(!e.to_string().contains(raw), "{e}");
        }
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let e = config(&[("DEV_GUILD_ID", "my server")]).unwrap_err();
        assert_eq!(e.variable, "DEV_GUILD_ID");
        let e = config(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL");
        let e = config(&[("DATABASE_URL", "postgres://u:secretpw@[bad")]).unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL");
        assert!(!e.to_string().contains("secretpw"), "{e}");
        let e = config(&[("DATABASE_URL", "sqlite::memory:")]).unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL");
        let e = config(&[("LOG_FORMAT", "xml")]).unwrap_err();
        assert_eq!(e.variable, "LOG_FORMAT");
        let e = config(&[("DISCORD_PROXY_URL", "127.0.0.1:8080")]).unwrap_err();
        assert_eq!(e.variable, "DISCORD_PROXY_URL");
    }

    #[test]
    fn a_value_that_is_not_utf8_names_its_variable_instead_of_being_ignored() {
        use std::os::unix::ffi::OsStringExt;
        let e = Config::from_raw(|name| {
            (name == "DATABASE_URL").then(|| OsString::from_vec(vec![b's', 0xff]))
        })
        .unwrap_err();
        assert_eq!(e.variable, "DATABASE_URL");
        assert!(e.problem.contains("not valid UTF-8"), "{e}");
    }

    #[test]
    fn database_urls() {
        let path = |url: &str| match config(&[("DATABASE_URL", url)]).unwrap().database {
            Database::Sqlite(path) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(path("sqlite://data/x.db"), PathBuf::from("data/x.db"));
        assert_eq!(
            path("sqlite:///var/lib/trilha/x.db"),
            PathBuf::from("/var/lib/trilha/x.db")
        );
        assert_eq!(path("sqlite:x.db?mode=rwc"), PathBuf::from("x.db"));
        assert_eq!(path("/tmp/x.db"), PathBuf::from("/tmp/x.db"));
        let pg = config(&[(
            "DATABASE_URL",
            "postgresql://trilha:hunter2@db.example:6543/community",
        )])
        .unwrap()
        .database;
        let Database::Postgres(url) = &pg else {
            panic!("{pg:?}")
        };
        assert_eq!(
            url.to_string(),
            "postgres://trilha@db.example:6543/community"
        );
        assert!(!format!("{pg:?} {pg}").contains("hunter2"));
        assert!(
            url.expose().contains("hunter2"),
            "the driver gets the whole URL"
        );
        let c = config(&[("DISCORD_PROXY_URL", "http://127.0.0.1:8080/")]).unwrap();
        assert_eq!(c.proxy_url.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(c.cdn_url, DEFAULT_CDN_URL, "unset: Discord's CDN");
        let c = config(&[("DISCORD_CDN_URL", "http://127.0.0.1:9000/")]).unwrap();
        assert_eq!(c.cdn_url, "http://127.0.0.1:9000");
        let e = config(&[("DISCORD_CDN_URL", "cdn.example/avatars")]).unwrap_err();
        assert_eq!(e.variable, "DISCORD_CDN_URL");
    }
}

#[cfg(test)]
mod shard_tests {
    use super::ShardPlan;

    fn plan(shards: Option<&str>, total: Option<&str>) -> Result<ShardPlan, String> {
        ShardPlan::parse(shards, total).map_err(|e| e.to_string())
    }

    #[test]
    fn shard_settings_are_a_range_with_both_ends_included_or_the_recommended_count() {
        assert_eq!(plan(None, None), Ok(ShardPlan::Recommended));
        assert_eq!(
            plan(Some("0-3"), Some("8")),
            Ok(ShardPlan::Range {
                first: 0,
                last: 3,
                total: 8
            })
        );
        assert_eq!(
            plan(Some(" 7 "), Some("8")),
            Ok(ShardPlan::Range {
                first: 7,
                last: 7,
                total: 8
            })
        );
        // A total alone: every shard of it, here.
        assert_eq!(
            plan(None, Some("4")),
            Ok(ShardPlan::Range {
                first: 0,
                last: 3,
                total: 4
            })
        );
        assert_eq!(
            ShardPlan::Range {
                first: 4,
                last: 7,
                total: 8
            }
            .count(99),
            4
        );
        assert_eq!(ShardPlan::Recommended.count(6), 6);
        // Four processes of two shards each share one posting budget.
        let quarter = ShardPlan::Range {
            first: 6,
            last: 7,
            total: 8,
        };
        assert_eq!(quarter.share(), 0.25);
        assert_eq!(ShardPlan::Recommended.share(), 1.0);
    }

    #[test]
    fn nonsense_fails_fast_naming_the_variable() {
        for (shards, total, variable, words) in [
            (Some("0-3"), None, "SHARD_TOTAL", "is not set"),
            (Some("4-8"), Some("8"), "SHARDS", "goes past SHARD_TOTAL=8"),
            (Some("8"), Some("8"), "SHARDS", "shard ids are 0 to 7"),
            (Some("3-1"), Some("8"), "SHARDS", "empty range"),
            (
                Some("0-3,2-5"),
                Some("8"),
                "SHARDS",
                "not a shard id or a range",
            ),
            (Some("a-b"), Some("8"), "SHARDS", "not a shard id"),
            (Some("-1"), Some("8"), "SHARDS", "not a shard id"),
            (None, Some("0"), "SHARD_TOTAL", "from 1 to"),
            (None, Some("eight"), "SHARD_TOTAL", "from 1 to"),
        ] {
            let error = plan(shards, total).unwrap_err();
            assert!(
                error.starts_with(&format!("{variable}:")) && error.contains(words),
                "{shards:?} {total:?}: {error}"
            );
        }
    }
}
