//! The summary card: what a member's progress says at a glance, sized for the picture Discord
//! shows inside a message (a box about 550 px wide). A landscape 1200×600 picture: the
//! member's face and name, the server's icon and name, the milestone's bar, one bar per
//! section in card order, the counts, the streak and the week's rank.
//!
//! Legibility is the design rule: scaled to 550 px wide, every text stays at least
//! [`MIN_SHOWN_PX`] tall, so no text here is smaller than [`MIN_TEXT`]. Section names use the
//! roadmap's short names.

use super::face::Face;
use super::layout::{self, MARGIN};
use super::palette;
use super::scene::{Icon, Mark, Rect, Scene};
use super::text::{self, Style};
use crate::i18n::Locale;
use crate::progress::standing::{SectionStanding, TrackStanding, standing};
use crate::progress::{ItemStates, State};
use crate::roadmap::{Roadmap, TrackIdx};

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 600;
/// The width Discord shows a picture at inside a message (desktop; phones show less).
pub const SHOWN_WIDTH: f32 = 550.0;
/// The smallest text height, in pixels, once the picture is shown [`SHOWN_WIDTH`] wide.
pub const MIN_SHOWN_PX: f32 = 11.0;
/// The smallest font size drawn: 24 px × 550/1200 = 11 px.
pub const MIN_TEXT: f32 = 24.0;

const NAME: Style = Style::bold(44.0);
const SERVER: Style = Style::regular(28.0);
const DATE: Style = Style::regular(MIN_TEXT);
const MILESTONE: Style = Style::bold(30.0);
const COUNT: Style = Style::regular(28.0);
const STAT: Style = Style::regular(28.0);
const SECTION: Style = Style::regular(MIN_TEXT);

const AVATAR: f32 = 120.0;
/// The server's icon: large enough for its initials to be legible (see [`layout::face`]).
const ICON: f32 = 56.0;
const RIGHT: f32 = WIDTH as f32 - MARGIN;
/// The panels' inner padding.
const PAD: f32 = 18.0;
/// Rows of section bars per column; more sections take more columns.
const ROWS: usize = 6;
/// Columns at most: past them, the last slot says how many more sections there are.
const COLUMNS: usize = 4;

/// What the summary shows.
pub struct Summary<'a> {
    pub roadmap: &'a Roadmap,
    pub track: TrackIdx,
    pub states: &'a ItemStates,
    /// How many of the track's items the member verified in the quiz.
    pub verified: usize,
    /// The member's names, most preferred first: the first the fonts can draw is used.
    pub member: &'a [&'a str],
    pub server: &'a [&'a str],
    pub avatar: &'a Face,
    pub icon: &'a Face,
    /// The current study streak, in days.
    pub streak: u32,
    /// The member's position in this week's leaderboard, if they are ranked.
    pub rank: Option<u64>,
    /// The date, already written in the member's language.
    pub date: &'a str,
    pub locale: Locale,
}

/// Lays the summary out.
pub fn scene(summary: &Summary) -> Scene {
    let standings = standing(summary.roadmap, summary.states);
    let track = standings
        .into_iter()
        .find(|s| s.track == summary.track)
        .expect("every track has a standing");
    let mut marks = Vec::new();
    header(&mut marks, summary);
    milestone(
        &mut marks,
        summary,
        &track,
        Rect::new(MARGIN, 180.0, RIGHT - MARGIN, 92.0),
    );
    let lower = 288.0;
    let bottom = HEIGHT as f32 - MARGIN;
    stats(
        &mut marks,
        summary,
        Rect::new(MARGIN, lower, 340.0, bottom - lower),
    );
    let x = MARGIN + 340.0 + 16.0;
    let panels = vec![Rect::new(x, lower, RIGHT - x, bottom - lower)];
    sections(&mut marks, summary, &track, panels[0]);
    Scene {
        width: WIDTH,
        height: HEIGHT,
        background: palette::BACKGROUND,
        marks,
        items: Vec::new(),
        panels,
    }
}

/// The member's face and name, the server's icon and name, the date.
fn header(marks: &mut Vec<Mark>, summary: &Summary) {
    let t = summary.locale.texts();
    layout::face(
        marks,
        summary.avatar,
        Rect::new(MARGIN, MARGIN, AVATAR, AVATAR),
    );
    let left = MARGIN + AVATAR + 24.0;
    let date = crate::i18n::fill(t.picture_footer, &[("roadmap", &summary.date)]);
    let date_width = text::measure(&date, DATE) + 1.0;
    marks.push(Mark::Text(layout::line_block(
        &date,
        DATE,
        palette::MUTED,
        RIGHT - date_width,
        MARGIN + 6.0,
        date_width,
    )));
    let member = text::best_name(summary.member).unwrap_or_else(|| t.picture_member.to_string());
    marks.push(Mark::Text(layout::line_block(
        &member,
        NAME,
        palette::TEXT,
        left,
        MARGIN,
        RIGHT - date_width - 24.0 - left,
    )));
    let icon_y = MARGIN + AVATAR - ICON - 4.0;
    layout::face(marks, summary.icon, Rect::new(left, icon_y, ICON, ICON));
    let server = text::best_name(summary.server).unwrap_or_else(|| t.picture_server.to_string());
    let x = left + ICON + 12.0;
    marks.push(Mark::Text(layout::line_block(
        &server,
        SERVER,
        palette::MUTED,
        x,
        icon_y + (ICON - SERVER.line_height()) / 2.0,
        RIGHT - x,
    )));
}

fn panel(marks: &mut Vec<Mark>, rect: Rect) {
    marks.push(Mark::Panel {
        rect,
        fill: palette::PANEL,
        outline: Some(palette::OUTLINE),
        radius: 14.0,
    });
}

/// The milestone's name (with a graduation cap once reached), "7 of 11 sections" and its bar.
fn milestone(marks: &mut Vec<Mark>, summary: &Summary, track: &TrackStanding, rect: Rect) {
    let t = summary.locale.texts();
    panel(marks, rect);
    let (required, met) = (track.required_sections(), track.met_sections());
    let count = t.summary_sections.fill(required, &[("met", &met)]);
    let count_width = text::measure(&count, COUNT) + 1.0;
    let inner = Rect::new(
        rect.x + PAD + 6.0,
        rect.y + PAD - 4.0,
        rect.w - 2.0 * PAD - 12.0,
        0.0,
    );
    marks.push(Mark::Text(layout::line_block(
        &count,
        COUNT,
        palette::MUTED,
        inner.right() - count_width,
        inner.y + (MILESTONE.line_height() - COUNT.line_height()) / 2.0,
        count_width,
    )));
    let cap = if track.milestone() { "🎓 " } else { "" };
    let name = summary
        .roadmap
        .track(summary.track)
        .milestone
        .get(summary.locale);
    marks.push(Mark::Text(layout::line_block(
        &format!("{cap}{name}"),
        MILESTONE,
        palette::TEXT,
        inner.x,
        inner.y,
        inner.w - count_width - 16.0,
    )));
    marks.push(Mark::Bar {
        rect: Rect::new(
            inner.x,
            inner.y + MILESTONE.line_height() + 8.0,
            inner.w,
            18.0,
        ),
        fraction: if required == 0 {
            0.0
        } else {
            met as f32 / required as f32
        },
        fill: palette::BRAND,
        track: palette::OUTLINE,
    });
}

/// The counts (done, learning, verified), the streak and the week's rank, one per line.
fn stats(marks: &mut Vec<Mark>, summary: &Summary, rect: Rect) {
    let t = summary.locale.texts();
    panel(marks, rect);
    let track_items = summary
        .roadmap
        .track(summary.track)
        .sections
        .iter()
        .flat_map(|&s| summary.roadmap.section(s).items.iter());
    let in_track = |state| {
        track_items
            .clone()
            .filter(|i| summary.states.get(i) == Some(&state))
            .count()
    };
    let streak = if summary.streak == 0 {
        (t.summary_no_streak.to_string(), palette::MUTED)
    } else {
        (
            t.summary_streak.fill(summary.streak as usize, &[]),
            palette::TEXT,
        )
    };
    let rank = match summary.rank {
        Some(rank) => (
            crate::i18n::fill(t.summary_rank, &[("rank", &rank)]),
            palette::TEXT,
        ),
        None => (t.summary_unranked.to_string(), palette::MUTED),
    };
    let lines: [(Option<Icon>, String, super::scene::Rgb); 5] = [
        (
            Some(Icon::Done),
            t.count_done.fill(in_track(State::Done), &[]),
            palette::TEXT,
        ),
        (
            Some(Icon::Learning),
            t.count_learning.fill(in_track(State::Learning), &[]),
            palette::TEXT,
        ),
        (
            Some(Icon::Verified),
            t.count_verified.fill(summary.verified, &[]),
            palette::TEXT,
        ),
        (None, streak.0, streak.1),
        (None, rank.0, rank.1),
    ];
    let row = (rect.h - 2.0 * PAD) / lines.len() as f32;
    let x = rect.x + PAD + 4.0;
    for (n, (icon, label, colour)) in lines.into_iter().enumerate() {
        let y = rect.y + PAD + n as f32 * row + (row - STAT.line_height()) / 2.0;
        let text_x = match icon {
            Some(icon) => {
                let side = 26.0;
                marks.push(Mark::Icon {
                    rect: Rect::new(x, y + (STAT.line_height() - side) / 2.0, side, side),
                    icon,
                });
                x + side + 12.0
            }
            None => x,
        };
        marks.push(Mark::Text(layout::line_block(
            &label,
            STAT,
            colour,
            text_x,
            y,
            rect.right() - PAD - text_x,
        )));
    }
}

/// One compact bar per section, in card order, down the columns.
fn sections(marks: &mut Vec<Mark>, summary: &Summary, track: &TrackStanding, rect: Rect) {
    panel(marks, rect);
    let t = summary.locale.texts();
    let count = track.sections.len();
    let columns = count.div_ceil(ROWS).clamp(1, COLUMNS);
    let rows = count.div_ceil(columns).clamp(1, ROWS);
    let slots = rows * columns;
    // More sections than slots: the last slot says how many are left out.
    let shown = if count > slots { slots - 1 } else { count };
    let gap = 24.0;
    let inner = Rect::new(
        rect.x + PAD,
        rect.y + PAD,
        rect.w - 2.0 * PAD,
        rect.h - 2.0 * PAD,
    );
    let width = (inner.w - gap * (columns - 1) as f32) / columns as f32;
    let height = inner.h / rows as f32;
    for (n, section) in track.sections.iter().take(shown).enumerate() {
        let slot = Rect::new(
            inner.x + (n / rows) as f32 * (width + gap),
            inner.y + (n % rows) as f32 * height,
            width,
            height,
        );
        section_bar(marks, summary, section, slot);
    }
    if shown < count {
        let n = shown;
        let more = t.summary_more_sections.fill(count - shown, &[]);
        marks.push(Mark::Text(layout::line_block(
            &more,
            SECTION,
            palette::MUTED,
            inner.x + (n / rows) as f32 * (width + gap),
            inner.y + (n % rows) as f32 * height,
            width,
        )));
    }
}

/// A section's short name, its count towards the requirement, and its bar.
fn section_bar(marks: &mut Vec<Mark>, summary: &Summary, section: &SectionStanding, slot: Rect) {
    let (got, of) = if section.required() {
        let needed: usize = section.scopes.iter().map(|s| s.needed).sum();
        let got: usize = section.scopes.iter().map(|s| s.done.min(s.needed)).sum();
        (got, needed)
    } else {
        (section.done, section.items)
    };
    let met = section.required() && section.met();
    let count = format!("{got}/{of}");
    let count_width = text::measure(&count, SECTION) + 1.0;
    marks.push(Mark::Text(layout::line_block(
        &count,
        SECTION,
        if met { palette::DONE } else { palette::MUTED },
        slot.right() - count_width,
        slot.y,
        count_width,
    )));
    let name = summary
        .roadmap
        .section(section.section)
        .short_name(summary.locale);
    marks.push(Mark::Text(layout::line_block(
        name,
        SECTION,
        palette::TEXT,
        slot.x,
        slot.y,
        slot.w - count_width - 10.0,
    )));
    let fill = if !section.required() {
        palette::PENDING
    } else if met {
        palette::DONE
    } else {
        palette::LEARNING
    };
    marks.push(Mark::Bar {
        rect: Rect::new(slot.x, slot.y + SECTION.line_height() + 2.0, slot.w, 7.0),
        fraction: section.fraction() as f32,
        fill,
        track: palette::OUTLINE,
    });
}
