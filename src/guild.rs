//! A server's settings, and what follows from them: its time zone and the language of its public
//! posts.

use jiff::tz::TimeZone;

use crate::i18n::Locale;

/// The default time zone: the community is Brazilian.
pub const DEFAULT_TIMEZONE: &str = "America/Sao_Paulo";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuildSettings {
    /// IANA name.
    pub timezone: String,
    /// The language for public posts, when an admin chose one with /config language.
    pub locale: Option<Locale>,
    /// The server's language as Discord last told us.
    pub discord_locale: Option<String>,
    /// The server's name as Discord last told us.
    pub name: Option<String>,
    /// The server's icon (Discord's image hash), as Discord last told us.
    pub icon_hash: Option<String>,
    /// Leaderboards count verified items only (quizzes passed), by an admin's choice.
    pub verified_only: bool,
    /// Reward milestones are announced in the prompts channel, by an admin's choice.
    pub announce_rewards: bool,
}

/// How a member appears in a server, as their interactions show it: the name and the avatar
/// pictures draw for them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Appearance {
    pub name: Option<String>,
    /// Discord's image hash of their avatar; none: Discord's default avatar.
    pub avatar_hash: Option<String>,
}

/// What Discord told us about a server (GUILD_CREATE, GUILD_UPDATE).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuildSeen<'a> {
    pub locale: Option<&'a str>,
    pub name: Option<&'a str>,
    pub icon_hash: Option<&'a str>,
}

impl Default for GuildSettings {
    fn default() -> Self {
        GuildSettings {
            timezone: DEFAULT_TIMEZONE.into(),
            locale: None,
            discord_locale: None,
            icon_hash: None,
            name: None,
            verified_only: false,
            announce_rewards: false,
        }
    }
}

impl GuildSettings {
    /// The server's time zone (the default when the stored name is unknown to this build).
    pub fn timezone(&self) -> TimeZone {
        TimeZone::get(&self.timezone)
            .or_else(|_| TimeZone::get(DEFAULT_TIMEZONE))
            .unwrap_or(TimeZone::UTC)
    }

    /// The language of public posts: the admin's choice, else the server's Discord language
    /// (as an interaction just reported it, or as last stored), else pt-BR.
    pub fn public_locale(&self, reported: Option<Locale>) -> Locale {
        self.locale
            .or(reported)
            .or_else(|| self.discord_locale.as_deref().map(Locale::from_discord))
            .unwrap_or(Locale::PtBr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_posts_follow_the_admins_choice_then_discord_then_portuguese() {
        let mut settings = GuildSettings::default();
        assert_eq!(settings.public_locale(None), Locale::PtBr);
        settings.discord_locale = Some("en-US".into());
        assert_eq!(settings.public_locale(None), Locale::En);
        assert_eq!(settings.public_locale(Some(Locale::PtBr)), Locale::PtBr);
        settings.locale = Some(Locale::PtBr);
        assert_eq!(settings.public_locale(Some(Locale::En)), Locale::PtBr);
    }

    #[test]
    fn an_unknown_zone_falls_back_to_the_default() {
        let settings = GuildSettings {
            timezone: "Mars/Olympus".into(),
            ..GuildSettings::default()
        };
        assert_eq!(
            settings.timezone().iana_name(),
            Some(DEFAULT_TIMEZONE),
            "a zone this build does not know"
        );
    }
}
