//! The layout both pictures share: a header, then the roadmap's sections as panels in the card's
//! order (left to right, top to bottom, three to a row), each listing its groups and items, then
//! a footer. What differs between the card and the heat map (an item's marker and what a
//! section's requirement line says) comes from the [`Look`] they pass in.

use super::palette;
use super::scene::{ItemPlace, Mark, Rect, Rgb, Scene, TextBlock};
use super::text::{self, Style};
use crate::i18n::Locale;
use crate::roadmap::{GroupIdx, ItemIdx, Roadmap, SectionIdx, TrackIdx};

pub const WIDTH: u32 = 1200;
pub const MARGIN: f32 = 40.0;
const GAP: f32 = 16.0;
const COLUMNS: usize = 3;
const PAD: f32 = 14.0;
pub const MARKER: f32 = 18.0;
const MARKER_GAP: f32 = 8.0;
const ROW_GAP: f32 = 6.0;
/// Item names take up to three lines before they are shortened with "…".
const NAME_LINES: usize = 3;

pub const TITLE: Style = Style::bold(40.0);
pub const SUBTITLE: Style = Style::regular(20.0);
pub const HEADING: Style = Style::bold(20.0);
pub const BODY: Style = Style::regular(16.0);
pub const SMALL: Style = Style::regular(15.0);
const SECTION: Style = Style::bold(20.0);
const GROUP: Style = Style::bold(16.0);

/// One line under a section's or group's name ("pick 1 · 1 of 1"), with its marker.
pub struct StatusLine {
    pub marker: Option<super::scene::Icon>,
    pub text: String,
    pub colour: Rgb,
}

/// What a picture shows per item and per requirement.
pub trait Look {
    /// The marker drawn before an item's name, in `rect`.
    fn marker(&self, item: ItemIdx, rect: Rect) -> Vec<Mark>;
    /// Text after the name, right-aligned (a share on the heat map).
    fn trailing(&self, item: ItemIdx) -> Option<String>;
    /// The colour of the item's name.
    fn name_colour(&self, item: ItemIdx) -> Rgb;
    /// What the place records about the item.
    fn place(&self, item: ItemIdx, rect: Rect, marker: Rect) -> ItemPlace;
    /// The lines under a section's name (`group` None) or a group's name.
    fn status(&self, section: SectionIdx, group: Option<GroupIdx>) -> Vec<StatusLine>;
}

/// A text block laid out at (x, y) within `width`.
pub fn text_block(
    source: &str,
    style: Style,
    colour: Rgb,
    x: f32,
    y: f32,
    width: f32,
    max_lines: usize,
) -> TextBlock {
    let lines = text::wrap(source, style, width, max_lines);
    let frame = Rect::new(x, y, width, lines.len() as f32 * style.line_height());
    TextBlock {
        lines,
        style,
        colour,
        x,
        y,
        frame,
        source: text::clean(source),
    }
}

/// A one-line text block, shortened with "…" to fit `width`.
pub fn line_block(
    source: &str,
    style: Style,
    colour: Rgb,
    x: f32,
    y: f32,
    width: f32,
) -> TextBlock {
    let line = text::single_line(source, style, width);
    TextBlock {
        lines: vec![line],
        style,
        colour,
        x,
        y,
        frame: Rect::new(x, y, width, style.line_height()),
        source: text::clean(source),
    }
}

/// A face in `rect`: the image cut to a circle, or the initials centred on their colour.
pub fn face(marks: &mut Vec<Mark>, face: &super::face::Face, rect: Rect) {
    match face {
        super::face::Face::Image { image, .. } => marks.push(Mark::Image {
            rect,
            image: image.clone(),
            round: true,
        }),
        super::face::Face::Initials { letters, colour } => {
            marks.push(Mark::Panel {
                rect,
                fill: *colour,
                outline: None,
                radius: rect.w / 2.0,
            });
            // 0.43 of the side: a 56 px face has 24 px initials, legible in a scaled picture.
            let style = Style::bold((rect.h * 0.43).ceil());
            let width = text::measure(letters, style) + 1.0;
            let (cx, cy) = rect.centre();
            marks.push(Mark::Text(line_block(
                letters,
                style,
                palette::ON_COLOUR,
                cx - width / 2.0,
                cy - style.line_height() / 2.0,
                width,
            )));
        }
    }
}

/// A picture being laid out from top to bottom.
pub struct Canvas {
    pub marks: Vec<Mark>,
    pub items: Vec<ItemPlace>,
    pub panels: Vec<Rect>,
    /// Where the next thing goes.
    pub y: f32,
}

impl Default for Canvas {
    fn default() -> Canvas {
        Canvas {
            marks: Vec::new(),
            items: Vec::new(),
            panels: Vec::new(),
            y: MARGIN,
        }
    }
}

impl Canvas {
    /// The width inside the margins.
    pub fn inner_width() -> f32 {
        WIDTH as f32 - 2.0 * MARGIN
    }

    pub fn push_text(&mut self, block: TextBlock) {
        self.marks.push(Mark::Text(block));
    }

    /// The panels of every section of a track, in card order: each goes to the top of the
    /// shortest of three columns (so the card reads left to right, then down, without the gaps
    /// rows of unequal panels would leave).
    pub fn sections(
        &mut self,
        roadmap: &Roadmap,
        track: TrackIdx,
        look: &dyn Look,
        locale: Locale,
    ) {
        let width = (Canvas::inner_width() - GAP * (COLUMNS as f32 - 1.0)) / COLUMNS as f32;
        let mut bottoms = [self.y; COLUMNS];
        for &section in &roadmap.track(track).sections {
            let mut panel = panel(roadmap, section, look, locale, width);
            let column = (0..COLUMNS)
                .min_by(|&a, &b| bottoms[a].total_cmp(&bottoms[b]))
                .expect("at least one column");
            let (x, y) = (MARGIN + column as f32 * (width + GAP), bottoms[column]);
            let rect = Rect::new(x, y, width, panel.height);
            self.marks.push(Mark::Panel {
                rect,
                fill: palette::PANEL,
                outline: Some(palette::OUTLINE),
                radius: 10.0,
            });
            for mark in &mut panel.marks {
                mark.translate(x, y);
            }
            for place in &mut panel.items {
                place.translate(x, y);
            }
            self.marks.extend(panel.marks);
            self.items.extend(panel.items);
            self.panels.push(rect);
            bottoms[column] = y + panel.height + GAP;
        }
        self.y = bottoms.into_iter().fold(self.y, f32::max);
    }

    /// The finished scene, with the bottom margin.
    pub fn finish(self) -> Scene {
        Scene {
            width: WIDTH,
            height: (self.y + MARGIN).ceil() as u32,
            background: palette::BACKGROUND,
            marks: self.marks,
            items: self.items,
            panels: self.panels,
        }
    }
}

/// One section's panel, laid out from its own top-left corner.
struct Panel {
    marks: Vec<Mark>,
    items: Vec<ItemPlace>,
    height: f32,
}

fn panel(
    roadmap: &Roadmap,
    section: SectionIdx,
    look: &dyn Look,
    locale: Locale,
    width: f32,
) -> Panel {
    let s = roadmap.section(section);
    let inner = width - 2.0 * PAD;
    let mut out = Panel {
        marks: Vec::new(),
        items: Vec::new(),
        height: 0.0,
    };
    let mut y = PAD;
    let title = text_block(s.name.get(locale), SECTION, palette::TEXT, PAD, y, inner, 2);
    y += title.bounds().h + 2.0;
    out.marks.push(Mark::Text(title));
    y = status_lines(&mut out.marks, look.status(section, None), y, inner);
    y += 6.0;
    let ungrouped: Vec<ItemIdx> = s
        .items
        .iter()
        .copied()
        .filter(|&i| roadmap.item(i).group.is_none())
        .collect();
    for item in ungrouped {
        y = item_row(&mut out, roadmap, item, look, locale, y, inner);
    }
    for &group in &s.groups {
        let g = roadmap.group(group);
        y += 4.0;
        let name = text_block(g.name.get(locale), GROUP, palette::MUTED, PAD, y, inner, 2);
        y += name.bounds().h;
        out.marks.push(Mark::Text(name));
        y = status_lines(&mut out.marks, look.status(section, Some(group)), y, inner);
        y += 2.0;
        for &item in &g.items {
            y = item_row(&mut out, roadmap, item, look, locale, y, inner);
        }
    }
    out.height = y + PAD - ROW_GAP;
    out
}

fn status_lines(marks: &mut Vec<Mark>, lines: Vec<StatusLine>, mut y: f32, inner: f32) -> f32 {
    const ICON: f32 = 14.0;
    for line in lines {
        let lh = SMALL.line_height();
        let x = match line.marker {
            Some(icon) => {
                let rect = Rect::new(PAD, y + (lh - ICON) / 2.0, ICON, ICON);
                marks.push(Mark::Icon { rect, icon });
                PAD + ICON + 6.0
            }
            None => PAD,
        };
        let block = text_block(&line.text, SMALL, line.colour, x, y, inner - (x - PAD), 2);
        y += block.bounds().h;
        marks.push(Mark::Text(block));
    }
    y
}

fn item_row(
    out: &mut Panel,
    roadmap: &Roadmap,
    item: ItemIdx,
    look: &dyn Look,
    locale: Locale,
    y: f32,
    inner: f32,
) -> f32 {
    let lh = BODY.line_height();
    let marker = Rect::new(PAD, y + (lh - MARKER) / 2.0, MARKER, MARKER);
    out.marks.extend(look.marker(item, marker));
    let name_x = PAD + MARKER + MARKER_GAP;
    let mut name_width = inner - MARKER - MARKER_GAP;
    if let Some(trailing) = look.trailing(item) {
        let width = text::measure(&trailing, SMALL);
        let block = line_block(
            &trailing,
            SMALL,
            palette::MUTED,
            PAD + inner - width,
            y + (lh - SMALL.line_height()) / 2.0,
            width + 1.0,
        );
        out.marks.push(Mark::Text(block));
        name_width -= width + MARKER_GAP;
    }
    let name = text_block(
        roadmap.item(item).name.get(locale),
        BODY,
        look.name_colour(item),
        name_x,
        y,
        name_width,
        NAME_LINES,
    );
    let height = name.bounds().h.max(MARKER);
    out.marks.push(Mark::Text(name));
    out.items
        .push(look.place(item, Rect::new(PAD, y, inner, height), marker));
    y + height + ROW_GAP
}
