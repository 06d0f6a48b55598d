//! Pictures: the member's roadmap card and the community's heat map, drawn from the data members
//! create, in pure Rust with fonts embedded in the binary (no system libraries or fonts at run
//! time).
//!
//! A builder ([`card`], [`heat`]) lays a picture out as a [`scene::Scene`] (a pure function of
//! its input, which tests inspect); [`render`] draws a scene and encodes it as PNG. Rendering
//! is CPU work: the Discord side runs it off the async runtime and caches the result
//! ([`cache`]) by a fingerprint of everything drawn.

pub mod attach;
pub mod board;
pub mod cache;
pub mod card;
pub mod cdn;
pub mod emoji;
pub mod face;
pub mod heat;
pub mod image;
pub mod layout;
mod paint;
pub mod samples;
pub mod scene;
pub mod summary;
pub mod text;

use std::sync::Arc;

/// A rendered picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    /// The PNG file.
    pub png: Arc<[u8]>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum PictureError {
    #[error("a {width}×{height} picture cannot be drawn")]
    Size { width: u32, height: u32 },
    #[error("PNG encoding failed: {0}")]
    Encode(String),
    #[error("rendering did not finish: {0}")]
    Aborted(String),
    /// Too many pictures already wait for a renderer: this one is not queued (the reply goes
    /// without it rather than waiting behind a crowd).
    #[error("{0} pictures already wait to be drawn")]
    Busy(usize),
}

/// The tallest picture drawn. A roadmap that would need more (thousands of items) gets its
/// text answer alone: Discord's clients scale such images down past reading anyway.
pub const MAX_HEIGHT: u32 = 16_384;

/// Draws a scene and encodes it as PNG.
pub fn render(scene: &scene::Scene) -> Result<Picture, PictureError> {
    if scene.height > MAX_HEIGHT || scene.width > MAX_HEIGHT {
        return Err(PictureError::Size {
            width: scene.width,
            height: scene.height,
        });
    }
    let rgb = paint::rasterize(scene)?;
    let png = paint::encode_png(&rgb, scene.width, scene.height)?;
    Ok(Picture {
        png: png.into(),
        width: scene.width,
        height: scene.height,
    })
}

/// Names in the roadmap with characters the embedded fonts cannot draw, as (id, characters):
/// `trilha check` warns about them (a card would leave those characters out).
pub fn undrawable(roadmap: &crate::roadmap::Roadmap) -> Vec<(String, String)> {
    let mut names: Vec<(&str, &crate::roadmap::Text)> = Vec::new();
    for track in roadmap.tracks() {
        names.push((&track.id, &track.name));
        names.push((&track.id, &track.milestone));
    }
    names.extend(roadmap.sections().map(|(_, s)| (s.id.as_str(), &s.name)));
    names.extend(roadmap.groups().map(|(_, g)| (g.id.as_str(), &g.name)));
    names.extend(roadmap.items().map(|(_, i)| (i.id.as_str(), &i.name)));
    names
        .into_iter()
        .filter_map(|(id, text)| {
            let missing: String = [&text.pt_br, &text.en]
                .iter()
                .flat_map(|t| self::text::clean(t).chars().collect::<Vec<_>>())
                .filter(|c| !self::text::has_glyph(*c))
                .collect();
            (!missing.is_empty()).then(|| (id.to_string(), missing))
        })
        .collect()
}

/// The colours pictures use.
pub mod palette {
    use super::scene::Rgb;

    pub const BACKGROUND: Rgb = Rgb::hex(0xf3f4f8);
    pub const PANEL: Rgb = Rgb::hex(0xffffff);
    pub const OUTLINE: Rgb = Rgb::hex(0xd9dde6);
    pub const TEXT: Rgb = Rgb::hex(0x1f2330);
    pub const MUTED: Rgb = Rgb::hex(0x5b6272);
    pub const BRAND: Rgb = Rgb::hex(0x1f8b4c);
    pub const DONE: Rgb = Rgb::hex(0x2e7d32);
    pub const LEARNING: Rgb = Rgb::hex(0xe09600);
    pub const SKIPPED: Rgb = Rgb::hex(0x757575);
    pub const PENDING: Rgb = Rgb::hex(0x9aa1b1);
    pub const VERIFIED: Rgb = Rgb::hex(0xb07d00);
    /// Marks drawn on a filled icon (the check, the dash).
    pub const ON_COLOUR: Rgb = Rgb::hex(0xffffff);
    /// The heat map's scale, from no member to every active member.
    pub const HEAT_NONE: Rgb = Rgb::hex(0xe8f3ea);
    pub const HEAT_ALL: Rgb = Rgb::hex(0x1b5e20);
}
