//! Discord's CDN, as far as a bot drawing faces uses it: members' avatars
//! (`/avatars/{user}/{hash}.png`), default avatars (`/embed/avatars/{n}.png`) and server icons
//! (`/icons/{guild}/{hash}.png`), served on the REST port. Each image is a PNG of the size asked
//! for (`?size=`, 128 by default) in one colour: the first six hex digits of its hash (so a test
//! can tell from the pixels which image was drawn), or one of Discord's five default-avatar
//! colours. An unknown user, server or hash gets Discord's 404.
//!
//! A test can make the CDN misbehave ([`CdnFault`]): answer slowly, 404 every image, send a
//! 50 MB body, or send bytes that are not a PNG.

use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::world::World;

/// How the CDN misbehaves, for every image until changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CdnFault {
    #[default]
    None,
    /// Every image answers after this long.
    Slow(Duration),
    /// Every image is 404.
    NotFound,
    /// Every image is a 50 MB body, streamed without a Content-Length.
    Huge,
    /// Every image is a PNG signature followed by garbage.
    Malformed,
}

/// Discord's default avatars, by `(id >> 22) % 6`: blurple, grey, green, yellow, red, pink.
const DEFAULT_COLOURS: [[u8; 3]; 6] = [
    [0x58, 0x65, 0xf2],
    [0x75, 0x7e, 0x8a],
    [0x3b, 0xa5, 0x5c],
    [0xfa, 0xa6, 0x1a],
    [0xed, 0x42, 0x45],
    [0xeb, 0x45, 0x9f],
];

/// Whether a path is the CDN's.
pub fn is_cdn(path: &str) -> bool {
    path.starts_with("/avatars/")
        || path.starts_with("/icons/")
        || path.starts_with("/embed/avatars/")
}

/// The colour an image hash is drawn in.
pub fn colour_of(hash: &str) -> [u8; 3] {
    let hex = hash.strip_prefix("a_").unwrap_or(hash);
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(0x80);
    [byte(0), byte(2), byte(4)]
}

/// The colour the CDN draws a default avatar in.
pub fn default_colour(index: usize) -> [u8; 3] {
    DEFAULT_COLOURS[index % DEFAULT_COLOURS.len()]
}

/// What the world knows the path to be: the colour of its image, if it exists.
fn image_colour(world: &World, path: &str) -> Option<[u8; 3]> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["avatars", user, file] => {
            let hash = file.strip_suffix(".png")?;
            let user: u64 = user.parse().ok()?;
            let known = world
                .guilds
                .iter()
                .flat_map(|g| g.members.iter())
                .any(|m| m.user.id == user && m.user.avatar.as_deref() == Some(hash));
            known.then(|| colour_of(hash))
        }
        ["icons", guild, file] => {
            let hash = file.strip_suffix(".png")?;
            let guild: u64 = guild.parse().ok()?;
            let known = world
                .guilds
                .iter()
                .any(|g| g.id == guild && g.icon.as_deref() == Some(hash));
            known.then(|| colour_of(hash))
        }
        ["embed", "avatars", file] => {
            let index: usize = file.strip_suffix(".png")?.parse().ok()?;
            (index < DEFAULT_COLOURS.len()).then(|| default_colour(index))
        }
        _ => None,
    }
}

/// A `side`×`side` PNG in one colour.
pub fn png(side: u32, colour: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("a PNG header");
    let pixels: Vec<u8> = (0..side * side).flat_map(|_| colour).collect();
    writer.write_image_data(&pixels).expect("PNG data");
    writer.finish().expect("a PNG");
    out
}

/// Answers a CDN request (the caller records it).
pub(crate) async fn serve(shared: &crate::Shared, path: &str, query: Option<&str>) -> Response {
    let (fault, colour) = {
        let mut world = shared.world.lock().expect("world lock");
        world.cdn_requests.push(path.to_string());
        (world.cdn_fault, image_colour(&world, path))
    };
    if let CdnFault::Slow(delay) = fault {
        tokio::time::sleep(delay).await;
    }
    let Some(colour) = colour else {
        return (StatusCode::NOT_FOUND, "404: Not Found").into_response();
    };
    match fault {
        CdnFault::NotFound => (StatusCode::NOT_FOUND, "404: Not Found").into_response(),
        CdnFault::Huge => {
            // 800 chunks of 64 KiB: 50 MiB, produced as they are read.
            let chunks = futures_util::stream::iter(
                (0..800).map(|_| Ok::<_, std::io::Error>(vec![0x42u8; 64 * 1024])),
            );
            Response::builder()
                .header(header::CONTENT_TYPE, "image/png")
                .body(Body::from_stream(chunks))
                .expect("a response")
        }
        CdnFault::Malformed => {
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend_from_slice(b"\0\0\0\rIHDR this is not an image at all");
            ([(header::CONTENT_TYPE, "image/png")], bytes).into_response()
        }
        CdnFault::None | CdnFault::Slow(_) => {
            let side = query
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("size=")))
                .and_then(|s| s.parse::<u32>().ok())
                .filter(|s| s.is_power_of_two() && (16..=4096).contains(s))
                .unwrap_or(128);
            ([(header::CONTENT_TYPE, "image/png")], png(side, colour)).into_response()
        }
    }
}
