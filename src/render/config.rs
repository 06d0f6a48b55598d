//! `/config`'s answers.

use super::COLOUR_BRAND;
use super::prompts::notice;
use crate::i18n::{Locale, fill};
use crate::reply::{Embed, Reply};

/// The time zone was set: its name and the time it is there now.
pub fn timezone_set(zone: &str, local_time: &str, locale: Locale) -> Reply {
    let t = locale.texts();
    Reply::ephemeral(Embed {
        description: fill(
            t.config_timezone_set,
            &[("timezone", &zone), ("time", &local_time)],
        ),
        colour: COLOUR_BRAND,
        ..Embed::default()
    })
}

/// The language of public posts was set (`None`: the server's Discord language).
pub fn language_set(language: Option<Locale>, locale: Locale) -> Reply {
    let t = locale.texts();
    let description = match language {
        Some(l) => {
            let name = match l {
                Locale::PtBr => t.language_pt_br,
                Locale::En => t.language_en,
            };
            fill(t.config_language_set, &[("language", &name)])
        }
        None => t.config_language_auto.to_string(),
    };
    Reply::ephemeral(Embed {
        description,
        colour: COLOUR_BRAND,
        ..Embed::default()
    })
}

/// Leaderboards count verified items only, or done ones again.
pub fn verified_only_set(on: bool, locale: Locale) -> Reply {
    let t = locale.texts();
    notice(
        if on {
            t.config_verified_on
        } else {
            t.config_verified_off
        }
        .to_string(),
    )
}
