//! Role rewards in words: `/rewards`' answers, the audit-log reason of a role change, and the
//! public announcement of an achievement.

use super::COLOUR_BRAND;
use super::prompts::notice;
use crate::i18n::{Locale, fill};
use crate::recognition::{Achievement, Reward, RewardPause};
use crate::reply::{Embed, Mentions, Reply, limits, truncate};
use crate::roadmap::Roadmap;

/// The achievement in words, in a language.
pub fn achievement(roadmap: &Roadmap, achievement: &Achievement, locale: Locale) -> String {
    let t = locale.texts();
    match achievement {
        Achievement::Section(id) => {
            let name = roadmap
                .section_by_id(id)
                .map_or(id.as_str(), |s| roadmap.section(s).name.get(locale));
            fill(t.achievement_section, &[("section", &name)])
        }
        Achievement::Milestone(id) => {
            let name = roadmap
                .tracks()
                .iter()
                .find(|t| t.id == *id)
                .map_or(id.as_str(), |t| t.milestone.get(locale));
            fill(t.achievement_milestone, &[("milestone", &name)])
        }
        Achievement::Items(n) => t.achievement_items.fill(*n as usize, &[]),
        Achievement::Streak(n) => t.achievement_streak.fill(*n as usize, &[]),
    }
}

/// Why a role was given or taken, as the server's audit log shows it.
pub fn audit_reason(achievement: &str, locale: Locale) -> String {
    fill(
        locale.texts().rewards_audit,
        &[("achievement", &achievement)],
    )
}

/// The public post of an achievement, pinging only the member.
pub fn announcement(user: u64, achievement: &str, locale: Locale) -> Reply {
    let text = fill(
        locale.texts().rewards_announcement,
        &[("user", &user), ("achievement", &achievement)],
    );
    let mut message = Reply::public(Embed {
        description: text,
        colour: COLOUR_BRAND,
        ..Embed::default()
    });
    message.content = Some(format!("<@{user}>"));
    message.mentions = Mentions {
        roles: Vec::new(),
        users: vec![user],
    };
    message
}

/// `/rewards add`'s answer. `unverified`: Discord could not be asked whether it would refuse
/// the role.
pub fn added(
    roadmap: &Roadmap,
    id: u64,
    what: &Achievement,
    role: u64,
    keep: bool,
    unverified: bool,
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let mut text = fill(
        t.rewards_added,
        &[
            ("id", &id),
            ("achievement", &achievement(roadmap, what, locale)),
            ("role", &role),
            ("keep", &if keep { t.rewards_keep } else { "" }),
        ],
    );
    if unverified {
        text.push_str("\n\n");
        text.push_str(t.reward_unverified);
    }
    notice(text)
}

/// One reward as a line of `/rewards list`, with its health.
fn line(roadmap: &Roadmap, reward: &Reward, locale: Locale) -> String {
    let t = locale.texts();
    let mut out = fill(
        t.rewards_list_line,
        &[
            ("id", &reward.id),
            (
                "achievement",
                &achievement(roadmap, &reward.achievement, locale),
            ),
            ("role", &reward.role),
            ("keep", &if reward.keep { t.rewards_keep } else { "" }),
        ],
    );
    if let Some((reason, _)) = reward.paused {
        let reason = match reason {
            RewardPause::Forbidden => t.rewards_paused_forbidden,
            RewardPause::Missing => t.rewards_paused_missing,
        };
        out.push_str(&fill(t.rewards_list_paused, &[("reason", &reason)]));
    }
    out
}

/// `/rewards list`: every reward with its health, and whether achievements are announced.
pub fn list(roadmap: &Roadmap, rewards: &[Reward], announce: bool, locale: Locale) -> Reply {
    let t = locale.texts();
    let mut description = if rewards.is_empty() {
        t.rewards_list_empty.to_string()
    } else {
        rewards
            .iter()
            .map(|r| line(roadmap, r, locale))
            .collect::<Vec<_>>()
            .join("\n")
    };
    description.push_str("\n\n");
    description.push_str(if announce {
        t.rewards_list_announce_on
    } else {
        t.rewards_list_announce_off
    });
    Reply::ephemeral(Embed {
        title: t.rewards_list_title.into(),
        description: truncate(&description, limits::EMBED_DESCRIPTION),
        colour: COLOUR_BRAND,
        ..Embed::default()
    })
}

/// `/rewards remove`'s answer.
pub fn removed(id: u64, locale: Locale) -> Reply {
    notice(fill(locale.texts().rewards_removed, &[("id", &id)]))
}

/// `/rewards announce`'s answer.
pub fn announcing(on: bool, locale: Locale) -> Reply {
    let t = locale.texts();
    notice(
        if on {
            t.rewards_announce_on
        } else {
            t.rewards_announce_off
        }
        .to_string(),
    )
}

/// `/rewards sync`'s answer.
pub fn synced(members: usize, given: usize, taken: usize, locale: Locale) -> Reply {
    notice(fill(
        locale.texts().rewards_synced,
        &[("given", &given), ("taken", &taken), ("members", &members)],
    ))
}
