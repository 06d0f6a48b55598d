//! Progress views: the confirmation of a mark, `/progress` and `/next`.

use std::collections::HashMap;

use super::{COLOUR_BRAND, first_sentence, pack_lines, requirement_label};
use crate::component::{ComponentId, MarkAction};
use crate::i18n::{Locale, fill};
use crate::progress::change::Outcome;
use crate::progress::community::Community;
use crate::progress::next::NextStep;
use crate::progress::standing::{
    Achievements, ScopeStanding, SectionStanding, TrackStanding, section_standing,
};
use crate::progress::{ItemStates, State};
use crate::reply::{Button, ButtonStyle, Embed, Field, Reply, limits, truncate};
use crate::roadmap::{ItemIdx, Roadmap};

pub const COLOUR_DONE: u32 = 0x2e7d32;
pub const COLOUR_LEARNING: u32 = 0xf9a825;
pub const COLOUR_SKIPPED: u32 = 0x757575;

pub fn state_name(state: Option<State>, locale: Locale) -> &'static str {
    let t = locale.texts();
    match state {
        Some(State::Done) => t.state_done,
        Some(State::Learning) => t.state_learning,
        Some(State::Skipped) => t.state_skipped,
        None => t.state_pending,
    }
}

/// "Databases › NoSQL" or "Message brokers".
pub fn scope_name(roadmap: &Roadmap, scope: &ScopeStanding, locale: Locale) -> String {
    let section = roadmap.section(scope.section).name.get(locale);
    match scope.group {
        Some(g) => format!("{section} › {}", roadmap.group(g).name.get(locale)),
        None => section.to_string(),
    }
}

/// A five-step bar for a fraction.
pub fn bar(fraction: f64) -> String {
    let filled = (fraction.clamp(0.0, 1.0) * 5.0).round() as usize;
    format!("{}{}", "▰".repeat(filled), "▱".repeat(5 - filled))
}

fn mark_button(label: &str, style: ButtonStyle, item: &str, action: MarkAction) -> Button {
    Button::new(
        truncate(label, limits::BUTTON_LABEL),
        style,
        ComponentId::Mark {
            item: item.to_string(),
            action,
        }
        .encode(),
    )
}

/// The private confirmation of `/done`, `/learning`, `/skip`, `/undo` or a progress button.
pub fn marked(
    roadmap: &Roadmap,
    item: ItemIdx,
    outcome: &Outcome,
    states: &ItemStates,
    achieved: &Achievements,
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let it = roadmap.item(item);
    let current = outcome.current.as_ref().map(|m| m.state);
    let (title, colour) = match current {
        Some(State::Done) => (t.mark_title_done, COLOUR_DONE),
        Some(State::Learning) => (t.mark_title_learning, COLOUR_LEARNING),
        Some(State::Skipped) => (t.mark_title_skipped, COLOUR_SKIPPED),
        None => (t.mark_title_pending, COLOUR_BRAND),
    };
    let section = section_standing(roadmap, it.section, states);
    let mut fields = pack_lines_if_any(
        t.mark_field_standing,
        &standing_lines(roadmap, &section, locale),
        locale,
    );
    fields.extend(pack_lines_if_any(
        t.mark_field_achievements,
        &achievement_lines(roadmap, achieved, locale),
        locale,
    ));
    let embed = Embed {
        image: None,
        title: truncate(
            &fill(title, &[("item", &it.name.get(locale))]),
            limits::EMBED_TITLE,
        ),
        description: mark_description(outcome, locale),
        url: None,
        colour,
        fields,
        footer: Some(fill(t.item_footer, &[("id", &it.id)])),
    };
    Reply::ephemeral(embed).with_rows(vec![mark_buttons(&it.id, current.is_some(), locale)])
}

/// What the mark did: the state it replaced and when, or since when nothing changed.
fn mark_description(outcome: &Outcome, locale: Locale) -> String {
    let t = locale.texts();
    let from = state_name(outcome.previous.as_ref().map(|m| m.state), locale);
    match (&outcome.current, outcome.changed) {
        (Some(current), true) => fill(
            t.mark_changed,
            &[
                ("from", &from),
                ("when", &format!("<t:{}:R>", current.since)),
            ],
        ),
        (None, true) => fill(t.mark_cleared, &[("from", &from)]),
        (current, false) => fill(
            t.mark_unchanged,
            &[(
                "when",
                &format!("<t:{}:D>", current.as_ref().map_or(0, |m| m.since)),
            )],
        ),
    }
}

/// Where the item's section stands now, one line per requirement, ticked when met.
fn standing_lines(roadmap: &Roadmap, section: &SectionStanding, locale: Locale) -> Vec<String> {
    let template = locale.texts().mark_standing_line;
    section
        .scopes
        .iter()
        .map(|scope| {
            let line = fill_scope(template, roadmap, scope, locale);
            if scope.met() {
                format!("✅ {line}")
            } else {
                format!("▫️ {line}")
            }
        })
        .collect()
}

/// What this mark completed: groups, then whole sections, then milestones.
fn achievement_lines(roadmap: &Roadmap, achieved: &Achievements, locale: Locale) -> Vec<String> {
    let t = locale.texts();
    let groups = achieved
        .scopes
        .iter()
        .filter(|s| s.group.is_some())
        .map(|s| {
            fill(
                t.achieved_scope,
                &[("scope", &scope_name(roadmap, s, locale))],
            )
        });
    let sections = achieved.sections.iter().map(|&s| {
        fill(
            t.achieved_section,
            &[("section", &roadmap.section(s).name.get(locale))],
        )
    });
    let milestones = achieved.milestones.iter().map(|&tr| {
        fill(
            t.achieved_milestone,
            &[("milestone", &roadmap.track(tr).milestone.get(locale))],
        )
    });
    groups.chain(sections).chain(milestones).collect()
}

/// Undo for a marked item; otherwise the two ways to start on it.
fn mark_buttons(item_id: &str, is_marked: bool, locale: Locale) -> Vec<Button> {
    let t = locale.texts();
    if is_marked {
        vec![mark_button(
            t.button_undo,
            ButtonStyle::Secondary,
            item_id,
            MarkAction::Undo,
        )]
    } else {
        vec![
            mark_button(
                t.button_learning,
                ButtonStyle::Secondary,
                item_id,
                MarkAction::Learning,
            ),
            mark_button(
                t.button_done,
                ButtonStyle::Success,
                item_id,
                MarkAction::Done,
            ),
        ]
    }
}

/// `/progress`: per-section bars, counts and the milestone.
pub fn progress(
    roadmap: &Roadmap,
    user: u64,
    is_self: bool,
    states: &ItemStates,
    verified: usize,
    standing: &[TrackStanding],
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    if states.is_empty() {
        return empty_progress(user, is_self, locale);
    }
    let mut summaries = Vec::new();
    let mut fields = Vec::new();
    for track in standing {
        summaries.push(track_summary(roadmap, user, track, locale));
        let sections: Vec<String> = track
            .sections
            .iter()
            .map(|s| section_line(roadmap, s, locale))
            .collect();
        fields.extend(pack_lines(t.progress_field_sections, &sections, locale));
        let missing: Vec<String> = track
            .missing()
            .map(|scope| fill_scope(t.progress_missing_line, roadmap, scope, locale))
            .collect();
        fields.extend(pack_lines_if_any(
            t.progress_field_missing,
            &missing,
            locale,
        ));
    }
    let description = format!(
        "{}\n\n{}",
        summaries.join("\n\n"),
        state_counts(states, verified, locale)
    );
    let frame = super::PageFrame {
        title: t.progress_title.into(),
        description,
        url: None,
        colour: COLOUR_BRAND,
        footer: t.progress_footer.into(),
    };
    let (embed, _, _) = super::select_page(super::paginate(&frame, fields), 0, locale);
    Reply::ephemeral(embed)
}

/// `/progress` for a member who has marked nothing yet.
fn empty_progress(user: u64, is_self: bool, locale: Locale) -> Reply {
    let t = locale.texts();
    let text = if is_self {
        t.progress_empty_self.to_string()
    } else {
        fill(t.progress_empty_other, &[("user", &user)])
    };
    Reply::ephemeral(Embed {
        title: t.progress_title.into(),
        description: text,
        colour: COLOUR_BRAND,
        ..Embed::default()
    })
}

/// Whose progress on which track, and how far the track's milestone is.
fn track_summary(roadmap: &Roadmap, user: u64, track: &TrackStanding, locale: Locale) -> String {
    let t = locale.texts();
    let tr = roadmap.track(track.track);
    let heading = fill(
        t.progress_of,
        &[("user", &user), ("track", &tr.name.get(locale))],
    );
    let milestone = tr.milestone.get(locale);
    let milestone = if track.milestone() {
        fill(t.progress_milestone_reached, &[("milestone", &milestone)])
    } else {
        let required = track.required_sections();
        t.progress_milestone.fill(
            required,
            &[
                ("milestone", &milestone),
                ("met", &track.met_sections()),
                ("required", &required),
            ],
        )
    };
    format!("{heading}\n{milestone}")
}

/// A section's bar and count: of the items its requirements need (ticked when met), or of all
/// its items when it is optional.
fn section_line(roadmap: &Roadmap, s: &SectionStanding, locale: Locale) -> String {
    let name = roadmap.section(s.section).name.get(locale);
    let bar = bar(s.fraction());
    let learning = if s.learning > 0 {
        format!(" · 📖 {}", s.learning)
    } else {
        String::new()
    };
    if s.required() {
        let needed: usize = s.scopes.iter().map(|x| x.needed).sum();
        let got: usize = s.scopes.iter().map(|x| x.done.min(x.needed)).sum();
        let mark = if s.met() { " ✅" } else { "" };
        format!("`{bar}` **{name}** {got}/{needed}{mark}{learning}")
    } else {
        format!("`{bar}` **{name}** {}/{}{learning}", s.done, s.items)
    }
}

/// How many items the member has in each state, and how many quizzes they passed.
fn state_counts(states: &ItemStates, verified: usize, locale: Locale) -> String {
    let t = locale.texts();
    let count = |s: State| states.values().filter(|v| **v == s).count();
    fill(
        t.progress_counts,
        &[
            ("done", &t.count_done.fill(count(State::Done), &[])),
            (
                "learning",
                &t.count_learning.fill(count(State::Learning), &[]),
            ),
            ("skipped", &t.count_skipped.fill(count(State::Skipped), &[])),
            ("verified", &t.count_verified.fill(verified, &[])),
        ],
    )
}

/// `/next`: the first open requirement and what to study for it.
pub fn next(
    roadmap: &Roadmap,
    step: &NextStep,
    states: &ItemStates,
    popularity: &HashMap<ItemIdx, u64>,
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let lines: Vec<String> = step
        .suggestions
        .iter()
        .map(|&i| suggestion_line(roadmap, i, states, popularity, locale))
        .collect();
    let buttons = step
        .suggestions
        .first()
        .map(|&i| start_buttons(roadmap, i, states, locale))
        .unwrap_or_default();
    let embed = Embed {
        image: None,
        title: t.next_title.into(),
        description: next_description(roadmap, step, locale),
        url: None,
        colour: COLOUR_BRAND,
        fields: pack_lines_if_any(t.next_field_suggestions, &lines, locale),
        footer: Some(t.next_footer.into()),
    };
    Reply::ephemeral(embed).with_rows(vec![buttons])
}

/// The open requirement `/next` works towards, or why there is none.
fn next_description(roadmap: &Roadmap, step: &NextStep, locale: Locale) -> String {
    let t = locale.texts();
    match &step.scope {
        Some(scope) => fill_scope(t.next_scope, roadmap, scope, locale),
        None if step.suggestions.is_empty() => t.next_nothing_left.to_string(),
        None => fill(
            t.next_all_met,
            &[("milestone", &roadmap.tracks()[0].milestone.get(locale))],
        ),
    }
}

/// A suggested item with its first sentence, noting whether the member is on it already and
/// how many others are.
fn suggestion_line(
    roadmap: &Roadmap,
    i: ItemIdx,
    states: &ItemStates,
    popularity: &HashMap<ItemIdx, u64>,
    locale: Locale,
) -> String {
    let t = locale.texts();
    let item = roadmap.item(i);
    let mut notes = Vec::new();
    if states.get(&i) == Some(&State::Learning) {
        notes.push(t.next_learning_note.to_string());
    }
    if let Some(&n) = popularity.get(&i).filter(|n| **n > 0) {
        notes.push(t.next_popular_note.fill(n as usize, &[]));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join(" · "))
    };
    format!(
        "• **{}**: {}{notes}",
        item.name.get(locale),
        truncate(first_sentence(item.description.get(locale)), 90)
    )
}

/// Buttons to start learning (unless already) or finish the first suggestion.
fn start_buttons(
    roadmap: &Roadmap,
    i: ItemIdx,
    states: &ItemStates,
    locale: Locale,
) -> Vec<Button> {
    let t = locale.texts();
    let item = roadmap.item(i);
    let name = item.name.get(locale);
    let mut row = Vec::new();
    if states.get(&i) != Some(&State::Learning) {
        row.push(mark_button(
            &format!("📖 {}: {name}", t.button_learning),
            ButtonStyle::Secondary,
            &item.id,
            MarkAction::Learning,
        ));
    }
    row.push(mark_button(
        &format!("✅ {}: {name}", t.button_done),
        ButtonStyle::Success,
        &item.id,
        MarkAction::Done,
    ));
    row
}

/// Fills a template about one requirement: `{scope}`, `{requirement}`, `{done}`, `{needed}`.
fn fill_scope(template: &str, roadmap: &Roadmap, scope: &ScopeStanding, locale: Locale) -> String {
    fill(
        template,
        &[
            ("scope", &scope_name(roadmap, scope, locale)),
            (
                "requirement",
                &requirement_label(Some(scope.requirement), locale),
            ),
            ("done", &scope.done),
            ("needed", &scope.needed),
        ],
    )
}

/// [`pack_lines`], or no field at all when there are no lines.
fn pack_lines_if_any(name: &str, lines: &[String], locale: Locale) -> Vec<Field> {
    if lines.is_empty() {
        Vec::new()
    } else {
        pack_lines(name, lines, locale)
    }
}

/// The buttons under a summary: "Full map" (for `viewer`, who opened it, of `member`'s card)
/// and, under one's own, "Share".
pub fn with_card_buttons(
    reply: Reply,
    viewer: u64,
    member: u64,
    own: bool,
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let mut row = vec![Button::new(
        format!("🗺️ {}", t.full_map_button),
        ButtonStyle::Secondary,
        ComponentId::FullMap {
            owner: viewer,
            member,
        }
        .encode(),
    )];
    if own {
        row.push(Button::new(
            format!("📤 {}", t.share_button),
            ButtonStyle::Secondary,
            ComponentId::ShareCard { owner: member }.encode(),
        ));
    }
    let mut rows = reply.rows.clone();
    rows.push(row);
    reply.with_rows(rows)
}

/// `/card`'s caption under the summary: whose progress, in which server.
pub fn anywhere_card(name: Option<&str>, server: &str, locale: Locale) -> Reply {
    let t = locale.texts();
    let title = truncate(
        &fill(
            t.card_title,
            &[("member", &name.unwrap_or(t.picture_member))],
        ),
        limits::EMBED_TITLE,
    );
    let server = truncate(server, 100);
    Reply::public(Embed {
        title,
        description: fill(t.card_description, &[("server", &server)]),
        colour: COLOUR_BRAND,
        ..Embed::default()
    })
}

/// A member's card, posted publicly by its owner (the mention shows the name, pings nobody).
pub fn shared_card(owner: u64, name: Option<&str>, locale: Locale) -> Reply {
    let t = locale.texts();
    let mention = format!("<@{owner}>");
    let title = truncate(
        &fill(
            t.share_title,
            &[("member", &name.unwrap_or(t.picture_member))],
        ),
        limits::EMBED_TITLE,
    );
    Reply::public(Embed {
        title,
        description: fill(t.share_description, &[("member", &mention)]),
        colour: COLOUR_BRAND,
        ..Embed::default()
    })
}

/// `/community`'s text: active members, the most completed items, this week's movers.
pub fn community(roadmap: &Roadmap, community: &Community, locale: Locale) -> Reply {
    let t = locale.texts();
    let list = |items: &[(ItemIdx, u64)]| -> String {
        if items.is_empty() {
            return t.heat_week_none.to_string();
        }
        items
            .iter()
            .take(5)
            .map(|(item, n)| format!("{} (+{n})", roadmap.item(*item).name.get(locale)))
            .collect::<Vec<_>>()
            .join(t.list_separator)
    };
    let mut most: Vec<(ItemIdx, u64)> = community.done.iter().map(|(i, n)| (*i, *n)).collect();
    most.sort_by_key(|&(item, n)| (std::cmp::Reverse(n), item));
    let top = if most.is_empty() {
        t.community_nothing_done.to_string()
    } else {
        most.iter()
            .take(5)
            .map(|(item, n)| {
                let share = (*n as f64 * 100.0 / community.active.max(1) as f64).round();
                format!("{} ({share}%)", roadmap.item(*item).name.get(locale))
            })
            .collect::<Vec<_>>()
            .join(t.list_separator)
    };
    Reply::ephemeral(Embed {
        title: t.community_title.into(),
        description: t.community_description.fill(community.active as usize, &[]),
        colour: COLOUR_BRAND,
        fields: vec![
            Field::new(
                t.community_field_top,
                truncate(&top, limits::EMBED_FIELD_VALUE),
            ),
            Field::new(
                t.heat_week_done,
                truncate(&list(&community.window_done), limits::EMBED_FIELD_VALUE),
            ),
            Field::new(
                t.heat_week_learning,
                truncate(&list(&community.window_learning), limits::EMBED_FIELD_VALUE),
            ),
        ],
        ..Embed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_have_five_steps() {
        assert_eq!(bar(0.0), "▱▱▱▱▱");
        assert_eq!(bar(0.5), "▰▰▰▱▱");
        assert_eq!(bar(1.0), "▰▰▰▰▰");
        assert_eq!(bar(7.0), "▰▰▰▰▰");
    }
}
