//! Images drawn into pictures (emoji, avatars, server icons), decoded defensively from PNG.
//!
//! A PNG from the network is hostile input: its header is read first, and one larger than the
//! limits (bytes, pixels per side) is refused before anything is decoded; the decoder itself
//! may not allocate past the limit either.

use std::io::Cursor;

/// A decoded image, premultiplied RGBA as tiny-skia draws it.
#[derive(PartialEq, Eq)]
pub struct Decoded {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

/// What a PNG may be to be decoded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The file's size at most.
    pub bytes: usize,
    /// The longest side, in pixels.
    pub side: u32,
}

impl Limits {
    /// Twemoji's own images (72×72).
    pub const EMOJI: Limits = Limits {
        bytes: 64 * 1024,
        side: 128,
    };
    /// Avatars and server icons: trilha asks Discord for 128×128 PNGs (a few tens of KB).
    pub const FACE: Limits = Limits {
        bytes: 1024 * 1024,
        side: 1024,
    };
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    #[error("{0} bytes is more than an image may be")]
    TooLarge(usize),
    #[error("{width}×{height} pixels is more than an image may be")]
    TooManyPixels { width: u32, height: u32 },
    #[error("not a PNG that can be read: {0}")]
    Malformed(String),
}

/// Decodes a PNG into premultiplied RGBA, within `limits`.
pub fn decode_png(bytes: &[u8], limits: Limits) -> Result<Decoded, ImageError> {
    if bytes.len() > limits.bytes {
        return Err(ImageError::TooLarge(bytes.len()));
    }
    let side = limits.side as usize;
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(bytes),
        png::Limits {
            // The output (8 bits per channel, alpha added) and the decoder's own buffers.
            bytes: side * side * 4 * 2,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let malformed = |e: png::DecodingError| ImageError::Malformed(e.to_string());
    let mut reader = decoder.read_info().map_err(malformed)?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width == 0 || height == 0 || width > limits.side || height > limits.side {
        return Err(ImageError::TooManyPixels { width, height });
    }
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ImageError::Malformed("no output size".into()))?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(malformed)?;
    let pixels = &buffer[..frame.buffer_size()];
    let rgba = to_premultiplied_rgba(pixels, frame.color_type);
    if rgba.len() != (width * height * 4) as usize {
        return Err(ImageError::Malformed("unexpected pixel layout".into()));
    }
    Ok(Decoded {
        width,
        height,
        rgba,
    })
}

/// The image scaled down (smoothly) so that its longer side is at most `side`; smaller images
/// are kept as they are.
pub fn fit(image: Decoded, side: u32) -> Decoded {
    let longer = image.width.max(image.height);
    if longer <= side {
        return image;
    }
    let scale = side as f32 / longer as f32;
    let width = ((image.width as f32 * scale).round() as u32).max(1);
    let height = ((image.height as f32 * scale).round() as u32).max(1);
    let (Some(source), Some(mut target)) = (
        tiny_skia::PixmapRef::from_bytes(&image.rgba, image.width, image.height),
        tiny_skia::Pixmap::new(width, height),
    ) else {
        return image;
    };
    let paint = tiny_skia::PixmapPaint {
        quality: tiny_skia::FilterQuality::Bicubic,
        ..tiny_skia::PixmapPaint::default()
    };
    target.draw_pixmap(
        0,
        0,
        source,
        &paint,
        tiny_skia::Transform::from_scale(scale, scale),
        None,
    );
    Decoded {
        width,
        height,
        rgba: target.take(),
    }
}

/// 8-bit pixels of any PNG colour type (after EXPAND: no palettes) as premultiplied RGBA.
fn to_premultiplied_rgba(pixels: &[u8], colour: png::ColorType) -> Vec<u8> {
    let premultiply = |r: u8, g: u8, b: u8, a: u8| {
        let m = |c: u8| ((u16::from(c) * u16::from(a) + 127) / 255) as u8;
        [m(r), m(g), m(b), a]
    };
    let channels = match colour {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Grayscale => 1,
        png::ColorType::Indexed => return Vec::new(), // EXPAND turns palettes into RGB(A)
    };
    // Allocated at its exact size: a cache keeps these, and a vector grown by doubling would
    // hold up to twice the pixels it needs.
    let mut out = Vec::with_capacity(pixels.len() / channels * 4);
    for p in pixels.chunks_exact(channels) {
        out.extend_from_slice(&match colour {
            png::ColorType::Rgba => premultiply(p[0], p[1], p[2], p[3]),
            png::ColorType::Rgb => [p[0], p[1], p[2], 255],
            png::ColorType::GrayscaleAlpha => premultiply(p[0], p[0], p[0], p[1]),
            _ => [p[0], p[0], p[0], 255],
        });
    }
    out
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Decoded({}×{})", self.width, self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        let pixels: Vec<u8> = (0..width * height)
            .flat_map(|_| [200, 100, 50, 128])
            .collect();
        writer.write_image_data(&pixels).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn a_png_within_the_limits_decodes_premultiplied() {
        let decoded = decode_png(&png(4, 3), Limits::FACE).unwrap();
        assert_eq!((decoded.width, decoded.height), (4, 3));
        assert_eq!(&decoded.rgba[..4], &[100, 50, 25, 128]);
    }

    #[test]
    fn too_many_bytes_too_many_pixels_or_garbage_are_refused() {
        let small = Limits {
            bytes: 100,
            side: 16,
        };
        assert!(matches!(
            decode_png(&[0; 101], small),
            Err(ImageError::TooLarge(101))
        ));
        let big = png(64, 8);
        let limits = Limits {
            bytes: 1 << 20,
            side: 16,
        };
        assert_eq!(
            decode_png(&big, limits).err(),
            Some(ImageError::TooManyPixels {
                width: 64,
                height: 8
            })
        );
        assert!(matches!(
            decode_png(b"\x89PNG\r\n\x1a\nnot really", Limits::FACE),
            Err(ImageError::Malformed(_))
        ));
        let truncated = png(32, 32);
        assert!(decode_png(&truncated[..truncated.len() / 2], Limits::FACE).is_err());
    }

    #[test]
    fn large_faces_are_scaled_to_the_side_kept() {
        let decoded = decode_png(&png(512, 256), Limits::FACE).unwrap();
        let fitted = fit(decoded, 128);
        assert_eq!((fitted.width, fitted.height), (128, 64));
        assert_eq!(fitted.rgba.len(), 128 * 64 * 4);
        assert_eq!(
            &fitted.rgba[4 * 130..4 * 131],
            &[100, 50, 25, 128],
            "same colour"
        );
    }
}
