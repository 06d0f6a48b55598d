//! The member's card: the roadmap laid out like the study card, every item in the member's state,
//! every requirement met or not, the milestone's progress, the member's and server's names and
//! the date.

use super::layout::{self, BODY, Canvas, HEADING, Look, MARGIN, SUBTITLE, StatusLine, TITLE};
use super::palette;
use super::scene::{Icon, ItemPlace, Mark, Rect, Rgb, Scene};
use super::text;
use crate::i18n::{Locale, fill};
use crate::progress::standing::{TrackStanding, standing};
use crate::progress::{ItemStates, State};
use crate::render::requirement_label;
use crate::roadmap::{GroupIdx, ItemIdx, Roadmap, SectionIdx, TrackIdx};

/// What a card shows.
pub struct Card<'a> {
    pub roadmap: &'a Roadmap,
    pub track: TrackIdx,
    pub states: &'a ItemStates,
    /// Items the member verified in the quiz: drawn with their own icon.
    pub verified: &'a std::collections::HashSet<ItemIdx>,
    /// The member's name as Discord shows it, most preferred first (server nickname, display
    /// name, username): the first the fonts can draw is used.
    pub member: &'a [&'a str],
    pub server: &'a [&'a str],
    /// The date, already written in the member's language.
    pub date: &'a str,
    pub locale: Locale,
}

struct CardLook<'a> {
    states: &'a ItemStates,
    verified: &'a std::collections::HashSet<ItemIdx>,
    standing: &'a TrackStanding,
    locale: Locale,
}

impl Look for CardLook<'_> {
    fn marker(&self, item: ItemIdx, rect: Rect) -> Vec<Mark> {
        let icon = if self.verified.contains(&item) {
            Icon::Verified
        } else {
            Icon::of(self.states.get(&item).copied())
        };
        vec![Mark::Icon { rect, icon }]
    }

    fn trailing(&self, _item: ItemIdx) -> Option<String> {
        None
    }

    fn name_colour(&self, item: ItemIdx) -> Rgb {
        match self.states.get(&item) {
            Some(State::Skipped) => palette::MUTED,
            _ => palette::TEXT,
        }
    }

    fn place(&self, item: ItemIdx, rect: Rect, marker: Rect) -> ItemPlace {
        ItemPlace {
            item,
            rect,
            marker,
            state: self.states.get(&item).copied(),
            verified: self.verified.contains(&item),
            share: None,
        }
    }

    fn status(&self, section: SectionIdx, group: Option<GroupIdx>) -> Vec<StatusLine> {
        let t = self.locale.texts();
        let Some(standing) = self.standing.sections.iter().find(|s| s.section == section) else {
            return Vec::new();
        };
        if group.is_none() && standing.scopes.is_empty() {
            return vec![StatusLine {
                marker: None,
                text: t.requirement_optional.to_string(),
                colour: palette::MUTED,
            }];
        }
        standing
            .scopes
            .iter()
            .filter(|scope| scope.group == group)
            .map(|scope| {
                let met = scope.met();
                StatusLine {
                    marker: Some(if met { Icon::Done } else { Icon::Pending }),
                    text: fill(
                        t.picture_requirement,
                        &[
                            (
                                "requirement",
                                &requirement_label(Some(scope.requirement), self.locale),
                            ),
                            ("done", &scope.done.min(scope.needed)),
                            ("needed", &scope.needed),
                        ],
                    ),
                    colour: if met { palette::DONE } else { palette::MUTED },
                }
            })
            .collect()
    }
}

/// Lays the card out.
pub fn scene(card: &Card) -> Scene {
    let roadmap = card.roadmap;
    let standings = standing(roadmap, card.states);
    let track_standing = standings
        .into_iter()
        .find(|s| s.track == card.track)
        .expect("every track has a standing");
    let mut canvas = Canvas::default();
    header(&mut canvas, card);
    milestone(&mut canvas, card, &track_standing);
    legend(&mut canvas, &legend_entries(card));
    let look = CardLook {
        states: card.states,
        verified: card.verified,
        standing: &track_standing,
        locale: card.locale,
    };
    canvas.sections(roadmap, card.track, &look, card.locale);
    footer(
        &mut canvas,
        roadmap.track(card.track).name.get(card.locale),
        card.locale,
    );
    canvas.finish()
}

/// The member's name, then the server's and the date.
fn header(canvas: &mut Canvas, card: &Card) {
    let t = card.locale.texts();
    let width = Canvas::inner_width();
    let member = text::best_name(card.member).unwrap_or_else(|| t.picture_member.to_string());
    let title = layout::line_block(&member, TITLE, palette::TEXT, MARGIN, canvas.y, width);
    canvas.y += TITLE.line_height();
    canvas.push_text(title);
    let server = text::best_name(card.server).unwrap_or_else(|| t.picture_server.to_string());
    let subtitle = layout::line_block(
        &format!("{server} · {}", card.date),
        SUBTITLE,
        palette::MUTED,
        MARGIN,
        canvas.y,
        width,
    );
    canvas.y += SUBTITLE.line_height() + 14.0;
    canvas.push_text(subtitle);
}

/// The milestone: its name (with a graduation cap once reached), how many sections are met, a
/// bar.
fn milestone(canvas: &mut Canvas, card: &Card, track_standing: &TrackStanding) {
    let t = card.locale.texts();
    let width = Canvas::inner_width();
    let track = card.roadmap.track(card.track);
    let required = track_standing.required_sections();
    let met = track_standing.met_sections();
    let count = t.picture_sections.fill(required, &[("met", &met)]);
    let count_width = text::measure(&count, BODY) + 2.0;
    let cap = if track_standing.milestone() {
        "🎓 "
    } else {
        ""
    };
    let name = layout::line_block(
        &format!("{cap}{}", track.milestone.get(card.locale)),
        HEADING,
        palette::TEXT,
        MARGIN,
        canvas.y,
        width - count_width - 16.0,
    );
    canvas.push_text(layout::line_block(
        &count,
        BODY,
        palette::MUTED,
        MARGIN + width - count_width,
        canvas.y + (HEADING.line_height() - BODY.line_height()) / 2.0,
        count_width,
    ));
    canvas.y += HEADING.line_height() + 6.0;
    canvas.push_text(name);
    canvas.marks.push(Mark::Bar {
        rect: Rect::new(MARGIN, canvas.y, width, 12.0),
        fraction: if required == 0 {
            0.0
        } else {
            met as f32 / required as f32
        },
        fill: palette::BRAND,
        track: palette::OUTLINE,
    });
    canvas.y += 12.0 + 14.0;
}

/// The legend's entries: each state's icon with the member's count of the track's items in it.
fn legend_entries(card: &Card) -> [(Icon, String); 5] {
    let t = card.locale.texts();
    let roadmap = card.roadmap;
    let track_items: Vec<ItemIdx> = roadmap
        .track(card.track)
        .sections
        .iter()
        .flat_map(|&s| roadmap.section(s).items.iter().copied())
        .collect();
    let count_of = |state: Option<State>| {
        track_items
            .iter()
            .filter(|i| card.states.get(i).copied() == state)
            .count()
    };
    let verified = track_items
        .iter()
        .filter(|i| card.verified.contains(i))
        .count();
    [
        (
            Icon::Done,
            t.count_done.fill(count_of(Some(State::Done)), &[]),
        ),
        (
            Icon::Learning,
            t.count_learning.fill(count_of(Some(State::Learning)), &[]),
        ),
        (
            Icon::Skipped,
            t.count_skipped.fill(count_of(Some(State::Skipped)), &[]),
        ),
        (Icon::Pending, t.count_pending.fill(count_of(None), &[])),
        (Icon::Verified, t.count_verified.fill(verified, &[])),
    ]
}

/// A row of icons, each followed by its label.
pub(super) fn legend(canvas: &mut Canvas, entries: &[(Icon, String)]) {
    let lh = BODY.line_height();
    let mut x = MARGIN;
    for (icon, label) in entries {
        let width = text::measure(label, BODY) + 2.0;
        if x + layout::MARKER + 8.0 + width > MARGIN + Canvas::inner_width() {
            x = MARGIN;
            canvas.y += lh + 6.0;
        }
        canvas.marks.push(Mark::Icon {
            rect: Rect::new(
                x,
                canvas.y + (lh - layout::MARKER) / 2.0,
                layout::MARKER,
                layout::MARKER,
            ),
            icon: *icon,
        });
        x += layout::MARKER + 8.0;
        canvas.push_text(layout::line_block(
            label,
            BODY,
            palette::TEXT,
            x,
            canvas.y,
            width,
        ));
        x += width + 24.0;
    }
    canvas.y += lh + 18.0;
}

/// "trilha · Backend roadmap" under the panels.
pub(super) fn footer(canvas: &mut Canvas, roadmap_name: &str, locale: Locale) {
    let text = fill(locale.texts().picture_footer, &[("roadmap", &roadmap_name)]);
    canvas.y += 4.0;
    canvas.push_text(layout::line_block(
        &text,
        BODY,
        palette::MUTED,
        MARGIN,
        canvas.y,
        Canvas::inner_width(),
    ));
    canvas.y += BODY.line_height();
}
