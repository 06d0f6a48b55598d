//! Replies for errors: localized explanations of member mistakes, and the generic apology.

use super::{COLOUR_ERROR, COLOUR_NOT_FOUND};
use crate::error::UserError;
use crate::i18n::Locale;
use crate::reply::{Embed, Reply};
use crate::roadmap::Roadmap;

pub fn user_error(roadmap: &Roadmap, error: &UserError, locale: Locale) -> Reply {
    let t = locale.texts();
    let simple = |text: &str| {
        Reply::ephemeral(Embed {
            description: text.to_string(),
            colour: COLOUR_NOT_FOUND,
            ..Embed::default()
        })
    };
    match error {
        UserError::NeedsGuild => simple(t.needs_guild),
        UserError::NeedsManageGuild => simple(t.needs_manage_guild),
        UserError::StaleButton => simple(t.stale_button),
        UserError::UnknownItem { query, suggestions } => {
            super::roadmap::not_found(roadmap, query, suggestions, locale)
        }
    }
}

/// What the member sees when something broke on our side; the details are in the log.
pub fn internal_error(locale: Locale) -> Reply {
    Reply::ephemeral(Embed {
        description: locale.texts().internal_error.to_string(),
        colour: COLOUR_ERROR,
        ..Embed::default()
    })
}
