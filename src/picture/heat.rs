//! The community's heat map: the roadmap's layout, each item shaded by the share of the server's
//! active members who have it done (the share is also written, so the shade is never the only
//! cue), and what the server studied this week.

use std::collections::HashMap;

use super::card::footer;
use super::layout::{
    self, BODY, Canvas, HEADING, Look, MARGIN, SMALL, SUBTITLE, StatusLine, TITLE,
};
use super::palette;
use super::scene::{ItemPlace, Mark, Rect, Rgb, Scene};
use super::text;
use crate::i18n::{Locale, fill};
use crate::render::requirement_label;
use crate::roadmap::{GroupIdx, ItemIdx, Roadmap, SectionIdx, TrackIdx};

/// What the heat map shows.
pub struct Heat<'a> {
    pub roadmap: &'a Roadmap,
    pub track: TrackIdx,
    /// Active members: still in the server, with at least one item done.
    pub active: u64,
    /// Active members who have each item done.
    pub done: &'a HashMap<ItemIdx, u64>,
    /// This week's most completed items, most first, with how many members completed them.
    pub week_done: &'a [(ItemIdx, u64)],
    /// This week's most started items (marked "learning"), most first.
    pub week_learning: &'a [(ItemIdx, u64)],
    /// The lists are about the week before (the weekly digest), not this one.
    pub last_week: bool,
    pub server: &'a [&'a str],
    pub date: &'a str,
    pub locale: Locale,
}

/// The shade of an item done by `share` of the active members: five steps, so neighbouring
/// shades stay distinguishable.
pub fn shade(share: f32) -> Rgb {
    let step = (share.clamp(0.0, 1.0) * 4.0).round() / 4.0;
    palette::HEAT_NONE.mix(palette::HEAT_ALL, step)
}

struct HeatLook<'a> {
    heat: &'a Heat<'a>,
}

impl HeatLook<'_> {
    fn share(&self, item: ItemIdx) -> f32 {
        let done = self.heat.done.get(&item).copied().unwrap_or(0);
        if self.heat.active == 0 {
            0.0
        } else {
            (done as f32 / self.heat.active as f32).min(1.0)
        }
    }
}

impl Look for HeatLook<'_> {
    fn marker(&self, item: ItemIdx, rect: Rect) -> Vec<Mark> {
        vec![Mark::Panel {
            rect,
            fill: shade(self.share(item)),
            outline: Some(palette::OUTLINE),
            radius: 4.0,
        }]
    }

    fn trailing(&self, item: ItemIdx) -> Option<String> {
        Some(format!("{}%", (self.share(item) * 100.0).round() as u32))
    }

    fn name_colour(&self, _item: ItemIdx) -> Rgb {
        palette::TEXT
    }

    fn place(&self, item: ItemIdx, rect: Rect, marker: Rect) -> ItemPlace {
        ItemPlace {
            item,
            rect,
            marker,
            state: None,
            verified: false,
            share: Some(self.share(item)),
        }
    }

    fn status(&self, section: SectionIdx, group: Option<GroupIdx>) -> Vec<StatusLine> {
        let roadmap = self.heat.roadmap;
        let requirement = match group {
            Some(g) => roadmap.group(g).requirement,
            None => roadmap.section(section).requirement,
        };
        let optional = group.is_none() && roadmap.requirements(section).is_empty();
        if requirement.is_none() && !optional {
            return Vec::new();
        }
        vec![StatusLine {
            marker: None,
            text: requirement_label(requirement, self.heat.locale),
            colour: palette::MUTED,
        }]
    }
}

/// Lays the heat map out.
pub fn scene(heat: &Heat) -> Scene {
    let roadmap = heat.roadmap;
    let mut canvas = Canvas::default();
    header(&mut canvas, heat);
    week(&mut canvas, heat);
    scale(&mut canvas, heat.locale);
    let look = HeatLook { heat };
    canvas.sections(roadmap, heat.track, &look, heat.locale);
    footer(
        &mut canvas,
        roadmap.track(heat.track).name.get(heat.locale),
        heat.locale,
    );
    canvas.finish()
}

/// The server's name, then how many members are active and the date.
fn header(canvas: &mut Canvas, heat: &Heat) {
    let t = heat.locale.texts();
    let width = Canvas::inner_width();
    let server = text::best_name(heat.server).unwrap_or_else(|| t.picture_server.to_string());
    canvas.push_text(layout::line_block(
        &server,
        TITLE,
        palette::TEXT,
        MARGIN,
        canvas.y,
        width,
    ));
    canvas.y += TITLE.line_height();
    let members = t.heat_members.fill(heat.active as usize, &[]);
    canvas.push_text(layout::line_block(
        &format!("{members} · {}", heat.date),
        SUBTITLE,
        palette::MUTED,
        MARGIN,
        canvas.y,
        width,
    ));
    canvas.y += SUBTITLE.line_height() + 14.0;
}

/// The week's most completed and most started items, in two columns side by side.
fn week(canvas: &mut Canvas, heat: &Heat) {
    let t = heat.locale.texts();
    let column = (Canvas::inner_width() - 24.0) / 2.0;
    let top = canvas.y;
    let mut bottom = top;
    let (done_title, learning_title) = if heat.last_week {
        (t.heat_lastweek_done, t.heat_lastweek_learning)
    } else {
        (t.heat_week_done, t.heat_week_learning)
    };
    for (i, (title, entries)) in [
        (done_title, heat.week_done),
        (learning_title, heat.week_learning),
    ]
    .into_iter()
    .enumerate()
    {
        let x = MARGIN + i as f32 * (column + 24.0);
        let mut y = top;
        canvas.push_text(layout::line_block(
            title,
            HEADING,
            palette::TEXT,
            x,
            y,
            column,
        ));
        y += HEADING.line_height() + 2.0;
        let block = layout::text_block(
            &week_list(heat, entries),
            BODY,
            palette::MUTED,
            x,
            y,
            column,
            3,
        );
        y += block.bounds().h;
        canvas.push_text(block);
        bottom = bottom.max(y);
    }
    canvas.y = bottom + 16.0;
}

/// Up to five items with how many members moved on each, or a note that nobody did.
fn week_list(heat: &Heat, entries: &[(ItemIdx, u64)]) -> String {
    if entries.is_empty() {
        return heat.locale.texts().heat_week_none.to_string();
    }
    entries
        .iter()
        .take(5)
        .map(|(item, n)| {
            let name = heat.roadmap.item(*item).name.get(heat.locale);
            format!("{name} (+{n})")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The scale: five swatches from none to every active member, and what they mean.
fn scale(canvas: &mut Canvas, locale: Locale) {
    let lh = BODY.line_height();
    let mut x = MARGIN;
    for step in 0..5 {
        let share = step as f32 / 4.0;
        canvas.marks.push(Mark::Panel {
            rect: Rect::new(
                x,
                canvas.y + (lh - layout::MARKER) / 2.0,
                layout::MARKER,
                layout::MARKER,
            ),
            fill: shade(share),
            outline: Some(palette::OUTLINE),
            radius: 4.0,
        });
        x += layout::MARKER + 4.0;
    }
    let scale_note = fill(locale.texts().heat_legend, &[]);
    canvas.push_text(layout::line_block(
        &scale_note,
        SMALL,
        palette::MUTED,
        x + 8.0,
        canvas.y + (lh - SMALL.line_height()) / 2.0,
        MARGIN + Canvas::inner_width() - x - 8.0,
    ));
    canvas.y += lh + 18.0;
}
