//! Replies for errors: localized explanations of member mistakes, and the generic apology.

use super::{COLOUR_ERROR, COLOUR_NOT_FOUND};
use crate::error::UserError;
use crate::i18n::{Locale, fill};
use crate::reply::{Embed, Reply, truncate};
use crate::roadmap::{ItemIdx, Node, Roadmap};

/// The reply explaining a member's mistake, in their language.
pub fn user_error(roadmap: &Roadmap, error: &UserError, locale: Locale) -> Reply {
    let t = locale.texts();
    let item_name = |item: ItemIdx| roadmap.item(item).name.get(locale);
    match error {
        UserError::NeedsGuild => notice(t.needs_guild),
        UserError::NeedsManageGuild => notice(t.needs_manage_guild),
        UserError::StaleButton => notice(t.stale_button),
        UserError::UnknownItem { query, suggestions } => {
            unknown_item(roadmap, query, suggestions, locale)
        }
        UserError::NotAnItem { node, items } => notice(&not_an_item(roadmap, *node, items, locale)),
        UserError::NothingToUndo { item } => {
            notice(&fill(t.nothing_to_undo, &[("item", &item_name(*item))]))
        }
        UserError::UnknownSection { query } => notice(&unknown_section(roadmap, query, locale)),
        UserError::UnknownTimezone { query, suggestions } => {
            notice(&unknown_timezone(query, suggestions, locale))
        }
        UserError::BadTime { value } => notice(&fill(
            t.prompts_bad_time,
            &[("value", &truncate(value, 60))],
        )),
        UserError::BadDays { value } => notice(&fill(
            t.prompts_bad_days,
            &[("value", &truncate(value, 60))],
        )),
        UserError::MissingPermissions {
            channel,
            missing,
            role,
        } => notice(&missing_permissions(*channel, *missing, *role, locale)),
        UserError::PromptsNotConfigured => notice(t.prompts_not_configured),
        UserError::PromptsPaused => notice(t.prompts_now_paused),
        UserError::NotYourCard => notice(t.share_not_yours),
        UserError::NotYourFullMap => notice(t.full_map_not_yours),
        UserError::PictureUnavailable => notice(t.share_unavailable),
        UserError::NoCardServers => notice(t.card_no_servers),
        UserError::UnknownCardServer => notice(t.card_unknown_server),
        UserError::QuizLocked { item, until } => notice(&fill(
            t.quiz_error_locked,
            &[
                ("item", &item_name(*item)),
                ("until", until),
                ("id", &roadmap.item(*item).id),
            ],
        )),
        UserError::NoQuestions { item } => notice(&fill(
            t.quiz_error_no_questions,
            &[("item", &item_name(*item))],
        )),
        UserError::NothingToQuiz => notice(t.quiz_error_nothing),
        UserError::QuizNotYours => notice(t.quiz_error_not_yours),
        UserError::QuizAnswered => notice(t.quiz_error_answered),
        UserError::QuizExpired => notice(t.quiz_error_expired),
        UserError::QuizGone => notice(t.quiz_error_gone),
        UserError::RewardNeedsCount => notice(t.reward_error_needs_count),
        UserError::RewardNeedsSection => notice(t.reward_error_needs_section),
        UserError::RewardEveryone => notice(t.reward_error_everyone),
        UserError::RewardUnknownRole { role } => {
            notice(&fill(t.reward_error_unknown_role, &[("role", role)]))
        }
        UserError::RewardNoManageRoles => notice(t.reward_error_no_manage_roles),
        UserError::RewardManagedRole { role } => {
            notice(&fill(t.reward_error_role_managed, &[("role", role)]))
        }
        UserError::RewardRoleAbove { role } => {
            notice(&fill(t.reward_error_role_above, &[("role", role)]))
        }
        UserError::RewardUnknown { id } => notice(&fill(t.reward_error_unknown, &[("id", id)])),
    }
}

/// A one-paragraph explanation, seen only by the member who made the mistake.
fn notice(text: &str) -> Reply {
    Reply::ephemeral(Embed {
        description: text.to_string(),
        colour: COLOUR_NOT_FOUND,
        ..Embed::default()
    })
}

/// The "not found" reply with its suggestions, titled with what the member typed.
fn unknown_item(roadmap: &Roadmap, query: &str, suggestions: &[Node], locale: Locale) -> Reply {
    let mut reply = super::roadmap::not_found(roadmap, query, suggestions, locale);
    if let Some(embed) = reply.embeds.first_mut() {
        embed.title = fill(
            locale.texts().unknown_item_title,
            &[("query", &truncate(query.trim(), 100))],
        );
    }
    reply
}

/// A section or group named where an item is needed, with a few of the items it holds.
fn not_an_item(roadmap: &Roadmap, node: Node, items: &[ItemIdx], locale: Locale) -> String {
    let t = locale.texts();
    let names = items
        .iter()
        .take(5)
        .map(|&i| format!("**{}**", roadmap.item(i).name.get(locale)))
        .collect::<Vec<_>>()
        .join(t.list_separator);
    fill(
        t.not_an_item,
        &[
            ("name", &roadmap.node_name(node, locale)),
            ("items", &names),
        ],
    )
}

/// No section matches the query: every section is listed, as there are few.
fn unknown_section(roadmap: &Roadmap, query: &str, locale: Locale) -> String {
    let t = locale.texts();
    let sections = roadmap
        .sections()
        .map(|(_, s)| format!("**{}**", s.name.get(locale)))
        .collect::<Vec<_>>()
        .join(t.list_separator);
    fill(
        t.unknown_section,
        &[
            ("query", &truncate(query.trim(), 100)),
            ("sections", &sections),
        ],
    )
}

/// Not a time zone, followed by the closest zone names when there are any.
fn unknown_timezone(query: &str, suggestions: &[String], locale: Locale) -> String {
    let t = locale.texts();
    let mut text = fill(
        t.config_timezone_unknown,
        &[("timezone", &truncate(query.trim(), 100))],
    );
    if !suggestions.is_empty() {
        let list = suggestions
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(t.list_separator);
        text.push_str("\n\n");
        text.push_str(&fill(t.not_found_suggestions, &[("suggestions", &list)]));
    }
    text
}

/// The permissions the bot lacks in `channel`, by the names Discord's settings use, and the
/// role it cannot ping if any.
fn missing_permissions(channel: u64, missing: u64, role: Option<u64>, locale: Locale) -> String {
    use crate::lookups::permissions::*;
    let t = locale.texts();
    let mut names: Vec<String> = [
        (VIEW_CHANNEL, t.perm_view_channel),
        (SEND_MESSAGES, t.perm_send_messages),
        (EMBED_LINKS, t.perm_embed_links),
        (ATTACH_FILES, t.perm_attach_files),
        (CREATE_PUBLIC_THREADS, t.perm_create_public_threads),
        (SEND_MESSAGES_IN_THREADS, t.perm_send_messages_in_threads),
    ]
    .iter()
    .filter(|(bit, _)| missing & bit != 0)
    .map(|(_, name)| format!("**{name}**"))
    .collect();
    if let Some(role) = role {
        names.push(fill(t.perm_mention_role, &[("role", &role)]));
    }
    fill(
        t.prompts_missing_permissions,
        &[
            ("channel", &channel),
            ("missing", &names.join(t.list_separator)),
        ],
    )
}

/// The reply as it can be sent, and how the original broke Discord's limits: the reply itself
/// when it fits (no violations), else the apology in the member's language (the violations are a
/// renderer's bug, which the caller logs).
pub fn within_limits(reply: Reply, locale: Locale) -> (Reply, Vec<String>) {
    let violations = reply.violations();
    if violations.is_empty() {
        (reply, violations)
    } else {
        (internal_error(locale), violations)
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

/// The database could not take a write in time: nothing was saved, try again.
pub fn busy(locale: Locale) -> Reply {
    Reply::ephemeral(Embed {
        description: locale.texts().busy.to_string(),
        colour: COLOUR_ERROR,
        ..Embed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::Field;

    #[test]
    fn a_reply_that_breaks_discords_limits_becomes_the_apology_in_the_members_language() {
        let oversized = Reply::ephemeral(Embed {
            title: "t".into(),
            fields: (0..26).map(|i| Field::new(format!("f{i}"), "v")).collect(),
            ..Embed::default()
        });
        for (locale, phrase) in [
            (Locale::PtBr, "Algo deu errado"),
            (Locale::En, "Something went wrong"),
        ] {
            let (apology, violations) = within_limits(oversized.clone(), locale);
            assert!(
                violations.iter().any(|v| v.contains("26 fields")),
                "{violations:?}"
            );
            assert!(apology.embeds[0].description.contains(phrase));
            assert!(apology.violations().is_empty());
        }
        let fine = Reply::ephemeral_text("ok");
        assert_eq!(within_limits(fine.clone(), Locale::En), (fine, Vec::new()));
    }
}
