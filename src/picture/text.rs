//! Text for pictures: the embedded fonts, which characters they can draw, measuring, wrapping
//! and ellipsizing. Nothing here touches the host: the fonts are bytes inside the binary.
//!
//! Faces: Noto Sans (regular and bold; Latin with every Portuguese accent, Greek, Cyrillic) and
//! Noto Emoji (monochrome). A character none of them has is never drawn as a "tofu" box: names
//! fall back to a form that draws ([`best_name`]), and any other text skips it and counts it
//! in [`Line::missing`] (tests require zero for every text trilha ships).

use std::sync::LazyLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont};
use unicode_normalization::UnicodeNormalization;

/// How heavy a text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// One of the embedded font faces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Face {
    Regular,
    Bold,
    Emoji,
}

struct Faces {
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    emoji: FontRef<'static>,
}

static FACES: LazyLock<Faces> = LazyLock::new(|| Faces {
    regular: FontRef::try_from_slice(notosans::REGULAR_TTF).expect("embedded Noto Sans parses"),
    bold: FontRef::try_from_slice(notosans::BOLD_TTF).expect("embedded Noto Sans Bold parses"),
    emoji: FontRef::try_from_slice(epaint_default_fonts::NOTO_EMOJI_REGULAR)
        .expect("embedded Noto Emoji parses"),
});

/// The font of a face.
pub fn font(face: Face) -> &'static FontRef<'static> {
    match face {
        Face::Regular => &FACES.regular,
        Face::Bold => &FACES.bold,
        Face::Emoji => &FACES.emoji,
    }
}

/// A size and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Style {
    pub weight: Weight,
    /// Pixels from the highest ascender to the lowest descender.
    pub size: f32,
}

impl Style {
    pub const fn regular(size: f32) -> Style {
        Style {
            weight: Weight::Regular,
            size,
        }
    }

    pub const fn bold(size: f32) -> Style {
        Style {
            weight: Weight::Bold,
            size,
        }
    }

    fn primary(self) -> Face {
        match self.weight {
            Weight::Regular => Face::Regular,
            Weight::Bold => Face::Bold,
        }
    }

    /// Distance between the baselines of two lines.
    pub fn line_height(self) -> f32 {
        (self.size * 1.25).ceil()
    }

    /// From the top of a line to its baseline.
    pub fn ascent(self) -> f32 {
        font(self.primary())
            .as_scaled(PxScale::from(self.size))
            .ascent()
    }
}

/// Characters that take no room and draw nothing (controls, joiners, variation selectors,
/// direction marks, tags): dropped before drawing rather than shown as boxes.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E007F}' | '\u{E0100}'..='\u{E01EF}')
}

/// A text as it will be drawn: composed (NFC, so "é" typed as e + accent is one glyph), every run
/// of whitespace a single space, invisible characters dropped, trimmed.
pub fn clean(text: &str) -> String {
    let composed: String = text.nfc().collect();
    let mut out = String::with_capacity(composed.len());
    let mut space = false;
    let mut rest = composed.as_str();
    while let Some(c) = rest.chars().next() {
        // An emoji sequence keeps its joiners and selectors: they are what makes it one.
        let (taken, kept) = match super::emoji::at_start(rest) {
            Some((len, _)) => (len, Some(&rest[..len])),
            None if c.is_whitespace() || invisible(c) => (c.len_utf8(), None),
            None => (c.len_utf8(), Some(&rest[..c.len_utf8()])),
        };
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if let Some(kept) = kept {
            if space {
                out.push(' ');
                space = false;
            }
            out.push_str(kept);
        }
        rest = &rest[taken..];
    }
    out
}

/// The text's drawing units, in order: an emoji sequence, or one character.
pub fn units(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = super::emoji::at_start(rest).map_or(c.len_utf8(), |(len, _)| len);
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

/// The face that draws `c` in `weight`: the text face, else the emoji face, else none.
fn face_of(c: char, weight: Weight) -> Option<Face> {
    let primary = Style { weight, size: 1.0 }.primary();
    if font(primary).glyph_id(c) != GlyphId(0) {
        Some(primary)
    } else if font(Face::Emoji).glyph_id(c) != GlyphId(0) {
        Some(Face::Emoji)
    } else {
        None
    }
}

/// Whether the embedded fonts draw every character of `c`, in both weights.
pub fn has_glyph(c: char) -> bool {
    c == ' ' || (face_of(c, Weight::Regular).is_some() && face_of(c, Weight::Bold).is_some())
}

/// Whether a drawing unit (an emoji, or one character) can be drawn.
fn unit_drawable(unit: &str) -> bool {
    super::emoji::at_start(unit).is_some() || unit.chars().all(has_glyph)
}

/// Whether every character of the (cleaned) text can be drawn.
pub fn drawable(text: &str) -> bool {
    units(&clean(text)).into_iter().all(unit_drawable)
}

/// The text with the characters no embedded font has removed.
pub fn without_undrawable(text: &str) -> String {
    let cleaned = clean(text);
    let kept: String = units(&cleaned)
        .into_iter()
        .filter(|u| unit_drawable(u))
        .collect();
    clean(&kept)
}

/// The name to draw for a person or server, from the most to the least preferred form (display
/// name, then username, ...): the first one that draws completely; else the first that still
/// has a letter or digit once what cannot be drawn is removed; else `None` (the caller shows a
/// generic word). A name in a script the fonts lack ("田中") thus shows as the member's
/// username, never as boxes.
pub fn best_name(candidates: &[&str]) -> Option<String> {
    let cleaned: Vec<String> = candidates
        .iter()
        .map(|c| clean(c))
        .filter(|c| !c.is_empty())
        .collect();
    if let Some(whole) = cleaned.iter().find(|c| drawable(c)) {
        return Some(whole.clone());
    }
    cleaned
        .iter()
        .map(|c| without_undrawable(c))
        .find(|c| c.chars().any(char::is_alphanumeric))
}

/// What a glyph is drawn from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GlyphKind {
    /// A glyph outline of one of the embedded fonts.
    Outline { face: Face, id: u16 },
    /// A colour emoji, drawn as an image the size of the text.
    Emoji(super::emoji::Emoji),
}

/// One glyph of a line: what it is and its horizontal position from the line's start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlacedGlyph {
    pub kind: GlyphKind,
    pub x: f32,
}

/// An emoji's square, as a share of the text's size, and the room after it.
pub const EMOJI_SIDE: f32 = 0.92;
const EMOJI_ADVANCE: f32 = 1.04;

/// One line of laid-out text.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub text: String,
    pub glyphs: Vec<PlacedGlyph>,
    pub width: f32,
    /// Characters that no embedded font has, skipped.
    pub missing: usize,
}

/// Lays out one line: glyphs, kerning within a face, colour emoji, the total advance.
pub fn shape(text: &str, style: Style) -> Line {
    let scale = PxScale::from(style.size);
    let mut glyphs = Vec::with_capacity(text.len());
    let mut x = 0.0f32;
    let mut missing = 0;
    let mut previous: Option<(Face, GlyphId)> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some((len, emoji)) = super::emoji::at_start(rest) {
            glyphs.push(PlacedGlyph {
                kind: GlyphKind::Emoji(emoji),
                x,
            });
            x += style.size * EMOJI_ADVANCE;
            previous = None;
            rest = &rest[len..];
            continue;
        }
        rest = &rest[c.len_utf8()..];
        let Some(face) = face_of(c, style.weight) else {
            if c == ' ' {
                // Noto Sans has a space; this is only reached for a font without one.
                x += style.size * 0.25;
            } else {
                missing += 1;
            }
            previous = None;
            continue;
        };
        let scaled = font(face).as_scaled(scale);
        let id = scaled.glyph_id(c);
        if let Some((previous_face, previous_id)) = previous
            && previous_face == face
        {
            x += scaled.kern(previous_id, id);
        }
        glyphs.push(PlacedGlyph {
            kind: GlyphKind::Outline { face, id: id.0 },
            x,
        });
        x += scaled.h_advance(id);
        previous = Some((face, id));
    }
    Line {
        text: text.to_string(),
        glyphs,
        width: x,
        missing,
    }
}

/// The width of a one-line text.
pub fn measure(text: &str, style: Style) -> f32 {
    shape(text, style).width
}

/// Breaks a text into at most `max_lines` lines no wider than `max_width`: at spaces, inside a
/// word only when the word alone is too wide; the last line ends with "…" when text was cut.
pub fn wrap(text: &str, style: Style, max_width: f32, max_lines: usize) -> Vec<Line> {
    let text = clean(text);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if measure(&candidate, style) <= max_width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        // A word wider than the line is split where it must be (never inside an emoji).
        for unit in units(word) {
            let longer = format!("{current}{unit}");
            if !current.is_empty() && measure(&longer, style) > max_width {
                lines.push(std::mem::take(&mut current));
                current.push_str(unit);
            } else {
                current = longer;
            }
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    let max_lines = max_lines.max(1);
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("at least one line");
        *last = ellipsize(last, style, max_width, true);
    }
    lines.into_iter().map(|l| shape(&l, style)).collect()
}

/// `text` shortened to fit `max_width` with a final "…" (always added when `cut` is true).
pub fn ellipsize(text: &str, style: Style, max_width: f32, cut: bool) -> String {
    if !cut && measure(text, style) <= max_width {
        return text.to_string();
    }
    let mut kept = units(text);
    loop {
        let candidate = format!("{}…", kept.concat().trim_end());
        if kept.is_empty() || measure(&candidate, style) <= max_width {
            return candidate;
        }
        kept.pop();
    }
}

/// One line, ellipsized when it does not fit.
pub fn single_line(text: &str, style: Style, max_width: f32) -> Line {
    shape(&ellipsize(&clean(text), style, max_width, false), style)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portuguese_accents_emoji_and_symbols_draw() {
        let all = "ÁÀÂÃÄÇÉÊÍÓÔÕÚÜáàâãäçéêíóôõúü ºª “aspas” — … · ›";
        assert!(
            drawable(all),
            "{:?}",
            all.chars().filter(|c| !has_glyph(*c)).collect::<String>()
        );
        assert!(drawable("Ana 🎉🚀📚"));
        assert_eq!(shape("Ação 🎉", Style::bold(20.0)).missing, 0);
    }

    #[test]
    fn emoji_sequences_are_one_colour_glyph_each_and_survive_cleaning() {
        let text = "Brasil 🇧🇷 👨\u{200D}👩\u{200D}👧\u{200D}👦 👍🏽 1\u{FE0F}\u{20E3}";
        assert_eq!(
            clean(text),
            text,
            "joiners and selectors inside emoji are kept"
        );
        let line = shape(&clean(text), Style::bold(24.0));
        let emoji: Vec<_> = line
            .glyphs
            .iter()
            .filter(|g| {
                matches!(
                    g.kind,
                    GlyphKind::Emoji(super::super::emoji::Emoji::Image(_))
                )
            })
            .collect();
        assert_eq!(emoji.len(), 4, "{:?}", line.glyphs);
        assert_eq!(line.missing, 0);
        // Regional indicators never come out as the letters they stand for.
        let letters = line
            .glyphs
            .iter()
            .filter(|g| matches!(g.kind, GlyphKind::Outline { .. }))
            .count();
        assert_eq!(
            letters,
            "Brasil".len() + 4,
            "the letters and the four spaces"
        );
        assert!(drawable(text));
    }

    #[test]
    fn decomposed_accents_are_composed_and_invisible_characters_dropped() {
        assert_eq!(
            clean("Jose\u{301}  da\tSilva\u{200D}\u{FE0F}\n"),
            "José da Silva"
        );
    }

    #[test]
    fn a_name_the_fonts_cannot_draw_falls_back_to_one_they_can() {
        assert!(!drawable("田中太郎"));
        assert_eq!(
            best_name(&["田中太郎", "tanaka"]).as_deref(),
            Some("tanaka")
        );
        assert_eq!(best_name(&["Ana 田中"]).as_deref(), Some("Ana"));
        assert_eq!(best_name(&["田中", ""]), None);
        assert_eq!(best_name(&["  ", "Bia"]).as_deref(), Some("Bia"));
    }

    #[test]
    fn wrapping_respects_the_width_and_marks_a_cut() {
        let style = Style::regular(16.0);
        let lines = wrap("Amazon Simple Queue Service and friends", style, 120.0, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.width <= 120.0), "{lines:?}");
        assert!(lines[1].text.ends_with('…'), "{lines:?}");
        let one = wrap("Kafka", style, 120.0, 2);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].text, "Kafka");
        let long_word = wrap(&"a".repeat(80), style, 100.0, 3);
        assert!(long_word.iter().all(|l| l.width <= 100.0));
    }
}
