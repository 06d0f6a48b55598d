//! Draws a [`Scene`] into pixels and encodes them as PNG. Shapes go through tiny-skia (anti-
//! aliased paths); glyphs are rasterized by ab_glyph from the embedded fonts' outlines and
//! blended in directly.

use ab_glyph::{Font, GlyphId, PxScale, point};
use tiny_skia::{
    FillRule, FilterQuality, LineCap, Paint, Path, PathBuilder, Pixmap, PixmapPaint, Stroke,
    Transform,
};

use super::emoji::Emoji;
use super::image::Decoded;
use super::scene::{Icon, Mark, Rect, Rgb, Scene, TextBlock};
use super::text::{EMOJI_SIDE, GlyphKind, font};
use super::{PictureError, palette};

/// Renders a scene to an opaque RGB image: the raw rows (3 bytes per pixel).
pub fn rasterize(scene: &Scene) -> Result<Vec<u8>, PictureError> {
    let mut pixmap = Pixmap::new(scene.width, scene.height).ok_or(PictureError::Size {
        width: scene.width,
        height: scene.height,
    })?;
    let Rgb(r, g, b) = scene.background;
    pixmap.fill(tiny_skia::Color::from_rgba8(r, g, b, 255));
    for mark in &scene.marks {
        match mark {
            Mark::Panel {
                rect,
                fill,
                outline,
                radius,
            } => panel(&mut pixmap, rect, *fill, *outline, *radius),
            Mark::Bar {
                rect,
                fraction,
                fill,
                track,
            } => {
                let radius = rect.h / 2.0;
                panel(&mut pixmap, rect, *track, None, radius);
                if *fraction > 0.0 {
                    let filled = Rect {
                        w: (rect.w * fraction.clamp(0.0, 1.0)).max(rect.h),
                        ..*rect
                    };
                    panel(&mut pixmap, &filled, *fill, None, radius);
                }
            }
            Mark::Icon { rect, icon } => draw_icon(&mut pixmap, rect, *icon),
            Mark::Image { rect, image, round } => {
                if *round {
                    draw_round_image(&mut pixmap, image, rect);
                } else {
                    draw_image(&mut pixmap, image, rect);
                }
            }
            Mark::Text(text) => draw_text(&mut pixmap, text),
        }
    }
    // Opaque throughout: drop the alpha channel (a quarter of the PNG's raw size).
    Ok(pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect())
}

/// Encodes RGB rows as a PNG: zlib level 1 with adaptive filtering. Measured on the half-done
/// card: fdeflate (`Compression::Fast`) 330 KB in 3 ms; level 1 291 KB in 8 ms; level 6
/// (`Balanced`) 250 KB in 32 ms, too slow for the render budget.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, PictureError> {
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_deflate_compression(png::DeflateCompression::Level(1));
    encoder.set_filter(png::Filter::Adaptive);
    let mut writer = encoder
        .write_header()
        .map_err(|e| PictureError::Encode(e.to_string()))?;
    writer
        .write_image_data(rgb)
        .map_err(|e| PictureError::Encode(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| PictureError::Encode(e.to_string()))?;
    Ok(out)
}

fn paint_of(colour: Rgb) -> Paint<'static> {
    let mut paint = Paint::default();
    paint.set_color_rgba8(colour.0, colour.1, colour.2, 255);
    paint.anti_alias = true;
    paint
}

fn rounded(rect: &Rect, radius: f32) -> Option<Path> {
    let r = radius.min(rect.w / 2.0).min(rect.h / 2.0).max(0.0);
    if rect.w == rect.h && r >= rect.w / 2.0 {
        // Quadratic corners of half the side would make a rounded square: a face is a circle.
        let (cx, cy) = rect.centre();
        return PathBuilder::from_circle(cx, cy, r);
    }
    let (x, y, right, bottom) = (rect.x, rect.y, rect.right(), rect.bottom());
    let mut pb = PathBuilder::new();
    pb.move_to(x + r, y);
    pb.line_to(right - r, y);
    pb.quad_to(right, y, right, y + r);
    pb.line_to(right, bottom - r);
    pb.quad_to(right, bottom, right - r, bottom);
    pb.line_to(x + r, bottom);
    pb.quad_to(x, bottom, x, bottom - r);
    pb.line_to(x, y + r);
    pb.quad_to(x, y, x + r, y);
    pb.close();
    pb.finish()
}

fn panel(pixmap: &mut Pixmap, rect: &Rect, fill: Rgb, outline: Option<Rgb>, radius: f32) {
    let Some(path) = rounded(rect, radius) else {
        return;
    };
    pixmap.fill_path(
        &path,
        &paint_of(fill),
        FillRule::Winding,
        Transform::identity(),
        None,
    );
    if let Some(outline) = outline {
        let stroke = Stroke {
            width: 1.0,
            ..Stroke::default()
        };
        pixmap.stroke_path(
            &path,
            &paint_of(outline),
            &stroke,
            Transform::identity(),
            None,
        );
    }
}

fn circle(cx: f32, cy: f32, r: f32) -> Option<Path> {
    PathBuilder::from_circle(cx, cy, r)
}

fn fill(pixmap: &mut Pixmap, path: Option<Path>, colour: Rgb) {
    if let Some(path) = path {
        pixmap.fill_path(
            &path,
            &paint_of(colour),
            FillRule::Winding,
            Transform::identity(),
            None,
        );
    }
}

fn stroke(pixmap: &mut Pixmap, path: Option<Path>, colour: Rgb, width: f32) {
    if let Some(path) = path {
        let stroke = Stroke {
            width,
            line_cap: LineCap::Round,
            ..Stroke::default()
        };
        pixmap.stroke_path(
            &path,
            &paint_of(colour),
            &stroke,
            Transform::identity(),
            None,
        );
    }
}

/// The left half of a disc (a half-moon), from cubic quarter arcs.
fn left_half_disc(cx: f32, cy: f32, r: f32) -> Option<Path> {
    const K: f32 = 0.552_284_8; // cubic approximation of a quarter circle
    let mut pb = PathBuilder::new();
    pb.move_to(cx, cy - r);
    pb.cubic_to(cx - K * r, cy - r, cx - r, cy - K * r, cx - r, cy);
    pb.cubic_to(cx - r, cy + K * r, cx - K * r, cy + r, cx, cy + r);
    pb.close();
    pb.finish()
}

/// The state icons. Their geometry is what tests sample: the upper-left and upper-right points
/// at (±0.45 r, -0.45 r) from the centre tell all four apart (see `palette::icon_samples`).
fn draw_icon(pixmap: &mut Pixmap, rect: &Rect, icon: Icon) {
    let (cx, cy) = rect.centre();
    let r = rect.w.min(rect.h) / 2.0;
    let ring = (r * 0.16).max(1.5);
    match icon {
        Icon::Done => {
            fill(pixmap, circle(cx, cy, r), palette::DONE);
            let mut pb = PathBuilder::new();
            pb.move_to(cx - 0.45 * r, cy + 0.05 * r);
            pb.line_to(cx - 0.12 * r, cy + 0.38 * r);
            pb.line_to(cx + 0.48 * r, cy - 0.22 * r);
            stroke(pixmap, pb.finish(), palette::ON_COLOUR, r * 0.28);
        }
        Icon::Learning => {
            fill(pixmap, circle(cx, cy, r), palette::PANEL);
            fill(pixmap, left_half_disc(cx, cy, r), palette::LEARNING);
            stroke(
                pixmap,
                circle(cx, cy, r - ring / 2.0),
                palette::LEARNING,
                ring,
            );
        }
        Icon::Skipped => {
            fill(pixmap, circle(cx, cy, r), palette::SKIPPED);
            let mut pb = PathBuilder::new();
            pb.move_to(cx - 0.5 * r, cy + 0.08 * r);
            pb.line_to(cx + 0.5 * r, cy + 0.08 * r);
            stroke(pixmap, pb.finish(), palette::ON_COLOUR, r * 0.26);
        }
        Icon::Pending => {
            fill(pixmap, circle(cx, cy, r), palette::PANEL);
            stroke(
                pixmap,
                circle(cx, cy, r - ring / 2.0),
                palette::PENDING,
                ring,
            );
        }
        Icon::Verified => {
            // A gap between the ring and the disc: the shape differs from "done" at a glance.
            fill(pixmap, circle(cx, cy, r), palette::PANEL);
            stroke(
                pixmap,
                circle(cx, cy, r - ring / 2.0),
                palette::VERIFIED,
                ring,
            );
            let inner = r * 0.62;
            fill(pixmap, circle(cx, cy, inner), palette::VERIFIED);
            let mut pb = PathBuilder::new();
            pb.move_to(cx - 0.45 * inner, cy + 0.05 * inner);
            pb.line_to(cx - 0.12 * inner, cy + 0.38 * inner);
            pb.line_to(cx + 0.48 * inner, cy - 0.22 * inner);
            stroke(pixmap, pb.finish(), palette::ON_COLOUR, inner * 0.3);
        }
    }
}

fn draw_text(pixmap: &mut Pixmap, text: &TextBlock) {
    let scale = PxScale::from(text.style.size);
    let ascent = text.style.ascent();
    let (width, height) = (pixmap.width() as i64, pixmap.height() as i64);
    let mut emoji = Vec::new();
    let data = pixmap.data_mut();
    for (i, line) in text.lines.iter().enumerate() {
        let top = text.y + i as f32 * text.style.line_height();
        let baseline = top + ascent;
        for glyph in &line.glyphs {
            let (face, id) = match glyph.kind {
                GlyphKind::Outline { face, id } => (face, id),
                GlyphKind::Emoji(e) => {
                    emoji.push((e, text.x + glyph.x, top));
                    continue;
                }
            };
            let positioned =
                GlyphId(id).with_scale_and_position(scale, point(text.x + glyph.x, baseline));
            let Some(outlined) = font(face).outline_glyph(positioned) else {
                continue; // a space
            };
            let bounds = outlined.px_bounds();
            let (left, top) = (bounds.min.x as i64, bounds.min.y as i64);
            outlined.draw(|gx, gy, coverage| {
                let (x, y) = (left + i64::from(gx), top + i64::from(gy));
                if x < 0 || y < 0 || x >= width || y >= height {
                    return;
                }
                let at = ((y * width + x) * 4) as usize;
                blend(&mut data[at..at + 3], text.colour, coverage);
            });
        }
    }
    let side = text.style.size * EMOJI_SIDE;
    for (e, x, top) in emoji {
        // Centred in the line's em box, like the letters around it.
        let rect = Rect::new(x, top + (text.style.size - side) / 2.0, side, side);
        draw_emoji(pixmap, e, &rect);
    }
}

/// A colour emoji in `rect`, or the placeholder for one no image exists for.
fn draw_emoji(pixmap: &mut Pixmap, emoji: Emoji, rect: &Rect) {
    let decoded = match emoji {
        Emoji::Image(png) => super::emoji::decoded(png),
        Emoji::Placeholder => None,
    };
    match decoded {
        Some(image) => draw_image(pixmap, &image, rect),
        None => {
            let inset = Rect::new(rect.x + 1.0, rect.y + 1.0, rect.w - 2.0, rect.h - 2.0);
            panel(
                pixmap,
                &inset,
                palette::PANEL,
                Some(palette::PENDING),
                rect.w * 0.2,
            );
        }
    }
}

/// An image scaled into `rect` (smoothly: it is usually enlarged or reduced).
pub(super) fn draw_image(pixmap: &mut Pixmap, image: &Decoded, rect: &Rect) {
    let Some(size) = tiny_skia::IntSize::from_wh(image.width, image.height) else {
        return;
    };
    let Some(source) = Pixmap::from_vec(image.rgba.clone(), size) else {
        return;
    };
    let transform = Transform::from_row(
        rect.w / image.width as f32,
        0.0,
        0.0,
        rect.h / image.height as f32,
        rect.x,
        rect.y,
    );
    let paint = PixmapPaint {
        quality: FilterQuality::Bicubic,
        ..PixmapPaint::default()
    };
    pixmap.draw_pixmap(0, 0, source.as_ref(), &paint, transform, None);
}

/// An image scaled into `rect` and cut to the circle inside it (how Discord shows faces).
fn draw_round_image(pixmap: &mut Pixmap, image: &Decoded, rect: &Rect) {
    let Some(size) = tiny_skia::IntSize::from_wh(image.width, image.height) else {
        return;
    };
    let Some(source) = Pixmap::from_vec(image.rgba.clone(), size) else {
        return;
    };
    let (cx, cy) = rect.centre();
    let Some(circle) = PathBuilder::from_circle(cx, cy, rect.w.min(rect.h) / 2.0) else {
        return;
    };
    let pattern = tiny_skia::Pattern::new(
        source.as_ref(),
        tiny_skia::SpreadMode::Pad,
        FilterQuality::Bicubic,
        1.0,
        Transform::from_row(
            rect.w / image.width as f32,
            0.0,
            0.0,
            rect.h / image.height as f32,
            rect.x,
            rect.y,
        ),
    );
    let paint = Paint {
        shader: pattern,
        anti_alias: true,
        ..Paint::default()
    };
    pixmap.fill_path(
        &circle,
        &paint,
        FillRule::Winding,
        Transform::identity(),
        None,
    );
}

/// Source-over onto an opaque pixel. Coverage is kept to 16 levels: text looks the same, and
/// fewer distinct colours make a smaller PNG.
fn blend(pixel: &mut [u8], colour: Rgb, coverage: f32) {
    let a = (coverage.clamp(0.0, 1.0) * 15.0).round() / 15.0;
    if a == 0.0 {
        return;
    }
    for (channel, source) in pixel.iter_mut().zip([colour.0, colour.1, colour.2]) {
        let mixed = f32::from(source) * a + f32::from(*channel) * (1.0 - a);
        *channel = mixed.round() as u8;
    }
}
