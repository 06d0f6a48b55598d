//! `/config timezone`, `/config language` and `/config verified-only` (Manage Server).

use jiff::tz::TimeZone;

use super::args::Caller;
use super::define::{CommandSpec, Complete, Ctx, Leaf, SubcommandSpec, choice, handler, options};
use super::error::CommandError;
use crate::app::App;
use crate::error::UserError;
use crate::i18n::Locale;
use crate::progress::tally::all_rows;
use crate::reply::{Choice, Reply, limits};
use crate::roadmap::search::{compact, normalize};

choice! {
    /// `/config language`'s choice.
    pub enum LanguageChoice {
        PtBr = "pt-BR",
        En = "en",
        /// Follow the server's Discord language.
        Auto = "auto",
    }
}

options! {
    /// `/config timezone <zone>`'s options.
    pub struct TimezoneOptions {
        zone: String => ZONES,
    }
}

options! {
    /// `/config language <language>`'s options.
    pub struct LanguageOptions {
        language: LanguageChoice,
    }
}

options! {
    /// A switch: `enabled:true` turns a setting on, `false` off.
    pub struct EnabledOption {
        enabled: bool,
    }
}

/// IANA time zones, by name or city.
pub const ZONES: Complete = Complete::Typed(|_, typed, _| timezone_choices(typed));

/// `/config timezone | language | verified-only` (Manage Server).
pub static COMMAND: CommandSpec = CommandSpec::admin_family(
    "config",
    &[
        SubcommandSpec {
            key: "timezone",
            handler: handler::<SetTimezone>(),
        },
        SubcommandSpec {
            key: "language",
            handler: handler::<SetLanguage>(),
        },
        SubcommandSpec {
            key: "verified-only",
            handler: handler::<SetVerifiedOnly>(),
        },
    ],
);

struct SetTimezone;
struct SetLanguage;
struct SetVerifiedOnly;

impl Leaf for SetTimezone {
    type Options = TimezoneOptions;
    async fn run(ctx: Ctx<'_>, o: TimezoneOptions) -> Result<Reply, CommandError> {
        timezone(ctx.app, ctx.caller, &o.zone).await
    }
}

impl Leaf for SetLanguage {
    type Options = LanguageOptions;
    async fn run(ctx: Ctx<'_>, o: LanguageOptions) -> Result<Reply, CommandError> {
        language(ctx.app, ctx.caller, o.language).await
    }
}

impl Leaf for SetVerifiedOnly {
    type Options = EnabledOption;
    async fn run(ctx: Ctx<'_>, o: EnabledOption) -> Result<Reply, CommandError> {
        verified(ctx.app, ctx.caller, o.enabled).await
    }
}

/// Every IANA zone name this build knows, sorted.
fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// Zone names matching what an admin typed: by prefix of the name or of its city, ignoring
/// case and accents ("sao paulo" finds America/Sao_Paulo). Brazilian zones first when nothing
/// is typed.
pub fn timezone_choices(partial: &str) -> Vec<Choice> {
    let query = compact(&normalize(partial));
    let names = zone_names();
    let mut ranked: Vec<(u8, String)> = names
        .into_iter()
        .filter_map(|name| {
            let full = compact(&normalize(&name));
            let city = compact(&normalize(name.rsplit('/').next().unwrap_or(&name)));
            let rank = if query.is_empty() {
                if name.starts_with("America/") && BRAZIL.contains(&name.as_str()) {
                    0
                } else {
                    2
                }
            } else if city.starts_with(&query) {
                0
            } else if full.starts_with(&query) {
                1
            } else if full.contains(&query) {
                2
            } else {
                return None;
            };
            Some((rank, name))
        })
        .collect();
    // Among equally good matches, Brazil's zones first: the community is Brazilian.
    ranked.sort_by_key(|(rank, name)| (*rank, !BRAZIL.contains(&name.as_str()), name.clone()));
    ranked
        .into_iter()
        .take(limits::CHOICES)
        .map(|(_, name)| Choice::new(&name, name.clone()))
        .collect()
}

/// Brazil's zones, offered first.
const BRAZIL: &[&str] = &[
    "America/Sao_Paulo",
    "America/Manaus",
    "America/Recife",
    "America/Fortaleza",
    "America/Belem",
    "America/Bahia",
    "America/Cuiaba",
    "America/Campo_Grande",
    "America/Porto_Velho",
    "America/Boa_Vista",
    "America/Rio_Branco",
    "America/Noronha",
    "America/Maceio",
    "America/Araguaina",
    "America/Santarem",
    "America/Eirunepe",
];

/// Finds a zone by exact name, ignoring case ("america/sao_paulo").
fn find_zone(typed: &str) -> Option<String> {
    let typed = typed.trim();
    if TimeZone::get(typed).is_ok() && zone_names().iter().any(|n| n == typed) {
        return Some(typed.to_string());
    }
    zone_names()
        .into_iter()
        .find(|n| n.eq_ignore_ascii_case(typed))
}

/// The zone an admin typed, or what they may have meant.
pub(super) fn zone_named(typed: &str) -> Result<String, CommandError> {
    find_zone(typed).ok_or_else(|| {
        UserError::UnknownTimezone {
            query: typed.to_string(),
            suggestions: timezone_choices(typed)
                .into_iter()
                .take(5)
                .map(|c| c.value)
                .collect(),
        }
        .into()
    })
}

/// `/config timezone <zone>`.
async fn timezone(app: &App, caller: &Caller, typed: &str) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let name = zone_named(typed)?;
    let tz = TimeZone::get(&name)
        .map_err(|e| CommandError::Internal(anyhow::anyhow!("zone {name}: {e}")))?;
    let now = app.clock.now();
    app.store
        .set_timezone(guild, &name, now, |marks| {
            all_rows(&app.roadmap, &tz, now, marks)
        })
        .await?;
    // Study days are calendar days in the server's time zone: they move with it.
    app.store
        .rebuild_streaks(guild, |at| crate::progress::streak::day_of(at, &tz))
        .await?;
    let local = jiff::Timestamp::from_second(now)
        .map(|t| t.to_zoned(tz).strftime("%H:%M").to_string())
        .unwrap_or_default();
    Ok(crate::render::config::timezone_set(
        &name,
        &local,
        caller.locale,
    ))
}

/// `/config language <language>`.
async fn language(
    app: &App,
    caller: &Caller,
    choice: LanguageChoice,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let locale = match choice {
        LanguageChoice::PtBr => Some(Locale::PtBr),
        LanguageChoice::En => Some(Locale::En),
        LanguageChoice::Auto => None,
    };
    app.store
        .set_guild_locale(guild, locale, app.clock.now())
        .await?;
    Ok(crate::render::config::language_set(locale, caller.locale))
}

/// `/config verified-only enabled`: whether leaderboards count verified items only.
async fn verified(app: &App, caller: &Caller, enabled: bool) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    app.store
        .set_verified_only(guild, enabled, app.clock.now())
        .await?;
    Ok(crate::render::config::verified_only_set(
        enabled,
        caller.locale,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_found_by_city_with_or_without_accents() {
        assert_eq!(timezone_choices("são paulo")[0].value, "America/Sao_Paulo");
        assert_eq!(timezone_choices("Lisbon")[0].value, "Europe/Lisbon");
        assert_eq!(
            timezone_choices("sao")[0].value,
            "America/Sao_Paulo",
            "not Africa/Sao_Tome"
        );
        assert_eq!(timezone_choices("")[0].value, "America/Araguaina");
        assert!(
            timezone_choices("")
                .iter()
                .take(16)
                .all(|c| BRAZIL.contains(&c.value.as_str()))
        );
        assert!(timezone_choices("xyz-not-a-zone").is_empty());
        assert_eq!(
            find_zone("america/sao_paulo").as_deref(),
            Some("America/Sao_Paulo")
        );
        assert!(find_zone("Mars/Olympus").is_none());
    }
}
