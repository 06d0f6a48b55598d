//! The layout model: everything a picture shows, as positioned shapes and laid-out text, before
//! any pixel exists. Builders ([`super::card`], [`super::heat`]) produce a [`Scene`]; the
//! painter draws it. Tests read the scene (every item's box and icon, every text's lines) to
//! check what was drawn, where, and that nothing overlaps or leaves its frame.

use super::text::{Line, Style};
use crate::progress::State;
use crate::roadmap::ItemIdx;

/// An opaque colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const fn hex(value: u32) -> Rgb {
        Rgb((value >> 16) as u8, (value >> 8) as u8, value as u8)
    }

    /// This colour mixed with `other`: `t` = 0 is this one, 1 is `other`.
    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let m = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
}

/// An axis-aligned rectangle in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl Rect {
    pub const fn new(x: f32, y: f32, w: f32, h: f32) -> Rect {
        Rect { x, y, w, h }
    }

    pub fn right(&self) -> f32 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f32 {
        self.y + self.h
    }

    pub fn centre(&self) -> (f32, f32) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Whether `other` lies entirely inside this rectangle (touching the edge counts).
    pub fn contains(&self, other: &Rect) -> bool {
        const SLACK: f32 = 0.01;
        other.x >= self.x - SLACK
            && other.y >= self.y - SLACK
            && other.right() <= self.right() + SLACK
            && other.bottom() <= self.bottom() + SLACK
    }

    /// Whether the two rectangles share any area (touching edges do not).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.right()
            && other.x < self.right()
            && self.y < other.bottom()
            && other.y < self.bottom()
    }
}

/// The small symbols pictures use. Each is told apart by its shape, not only its colour (for
/// colour-blind members): a check, a half-filled circle, a dash, an empty ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    /// A filled circle with a check mark.
    Done,
    /// A ring filled on its left half.
    Learning,
    /// A filled circle with a dash.
    Skipped,
    /// An empty ring.
    Pending,
    /// Proved in the quiz: a gold disc with a check inside a gold ring.
    Verified,
}

impl Icon {
    pub fn of(state: Option<State>) -> Icon {
        match state {
            Some(State::Done) => Icon::Done,
            Some(State::Learning) => Icon::Learning,
            Some(State::Skipped) => Icon::Skipped,
            None => Icon::Pending,
        }
    }
}

/// A block of text: its lines, where the first baseline is, its colour, and the frame it must
/// stay inside.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBlock {
    pub lines: Vec<Line>,
    pub style: Style,
    pub colour: Rgb,
    /// Left edge of every line.
    pub x: f32,
    /// Top of the first line.
    pub y: f32,
    /// The space the text was laid out for.
    pub frame: Rect,
    /// What the text says (the source before wrapping), for tests and accessibility.
    pub source: String,
}

impl TextBlock {
    /// The area the lines cover.
    pub fn bounds(&self) -> Rect {
        let width = self.lines.iter().map(|l| l.width).fold(0.0, f32::max);
        Rect::new(
            self.x,
            self.y,
            width,
            self.lines.len() as f32 * self.style.line_height(),
        )
    }

    /// The drawn lines joined with spaces: what a reader sees.
    pub fn shown(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One thing to draw, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// A filled rectangle, optionally with rounded corners and an outline.
    Panel {
        rect: Rect,
        fill: Rgb,
        outline: Option<Rgb>,
        radius: f32,
    },
    /// A progress bar: `fraction` of the track filled.
    Bar {
        rect: Rect,
        fraction: f32,
        fill: Rgb,
        track: Rgb,
    },
    Icon {
        rect: Rect,
        icon: Icon,
    },
    /// A picture (an avatar, a server icon) scaled into `rect`, cut to a circle when `round`.
    Image {
        rect: Rect,
        image: std::sync::Arc<super::image::Decoded>,
        round: bool,
    },
    Text(TextBlock),
}

/// Where an item was drawn, and as what.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemPlace {
    pub item: ItemIdx,
    /// The item's whole row.
    pub rect: Rect,
    /// Its state icon (the card) or shade swatch (the heat map).
    pub marker: Rect,
    /// The member's state (the card), or `None` on the heat map.
    pub state: Option<State>,
    /// Verified in the quiz (the card).
    pub verified: bool,
    /// The share of active members who have it done (the heat map).
    pub share: Option<f32>,
}

/// A whole picture, laid out.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub width: u32,
    pub height: u32,
    pub background: Rgb,
    pub marks: Vec<Mark>,
    pub items: Vec<ItemPlace>,
    /// The section panels, in card order: they must never overlap.
    pub panels: Vec<Rect>,
}

impl Scene {
    pub fn texts(&self) -> impl Iterator<Item = &TextBlock> {
        self.marks.iter().filter_map(|m| match m {
            Mark::Text(t) => Some(t),
            _ => None,
        })
    }

    /// The whole canvas.
    pub fn canvas(&self) -> Rect {
        Rect::new(0.0, 0.0, self.width as f32, self.height as f32)
    }
}

impl TextBlock {
    fn translate(&mut self, dx: f32, dy: f32) {
        self.x += dx;
        self.y += dy;
        self.frame.x += dx;
        self.frame.y += dy;
    }
}

impl Rect {
    pub fn translated(&self, dx: f32, dy: f32) -> Rect {
        Rect::new(self.x + dx, self.y + dy, self.w, self.h)
    }
}

impl Mark {
    /// Moves the mark by (dx, dy).
    pub fn translate(&mut self, dx: f32, dy: f32) {
        match self {
            Mark::Panel { rect, .. }
            | Mark::Bar { rect, .. }
            | Mark::Icon { rect, .. }
            | Mark::Image { rect, .. } => {
                *rect = rect.translated(dx, dy);
            }
            Mark::Text(text) => text.translate(dx, dy),
        }
    }
}

impl ItemPlace {
    pub fn translate(&mut self, dx: f32, dy: f32) {
        self.rect = self.rect.translated(dx, dy);
        self.marker = self.marker.translated(dx, dy);
    }
}
