//! A face in a picture: a member's avatar or a server's icon, or, when there is no image to be
//! had, initials on a colour of their own (as Discord itself shows a server without an icon).

use std::sync::Arc;

use super::image::Decoded;
use super::scene::Rgb;

/// A face drawn into a picture: an image, or initials on a colour of their own.
#[derive(Clone, Debug, PartialEq)]
pub enum Face {
    Image {
        image: Arc<Decoded>,
        /// Where it came from: what tells two images apart without comparing pixels.
        source: Arc<str>,
    },
    Initials {
        letters: String,
        colour: Rgb,
    },
}

impl Face {
    /// What identifies the face in a picture's fingerprint.
    pub fn key(&self) -> String {
        match self {
            Face::Image { source, .. } => format!("image:{source}"),
            Face::Initials { letters, colour } => {
                format!(
                    "initials:{letters}:{:02x}{:02x}{:02x}",
                    colour.0, colour.1, colour.2
                )
            }
        }
    }
}

/// The colours initials are drawn on: readable with white letters, told apart from each other.
const INITIALS_COLOURS: [Rgb; 8] = [
    Rgb::hex(0x1f8b4c),
    Rgb::hex(0x206694),
    Rgb::hex(0x71368a),
    Rgb::hex(0xad1457),
    Rgb::hex(0xc05600),
    Rgb::hex(0x11806a),
    Rgb::hex(0x5865f2),
    Rgb::hex(0x607d8b),
];

/// A face for someone without a picture: up to two initials of `name`, on a colour derived
/// from `id` (the same member always gets the same one).
pub fn initials(name: &str, id: u64) -> Face {
    let letters: String = name
        .split_whitespace()
        .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    let letters = if letters.is_empty() {
        "?".to_string()
    } else {
        letters
    };
    // The id's timestamp bits change slowly; mix them so neighbours differ.
    let mixed = id.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 59;
    Face::Initials {
        letters,
        colour: INITIALS_COLOURS[mixed as usize % INITIALS_COLOURS.len()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_are_stable_and_never_empty() {
        assert_eq!(
            initials("Ana Souza", 7),
            initials("Ana Souza", 7),
            "the same member, the same face"
        );
        let Face::Initials { letters, .. } = initials("ana souza costa", 7) else {
            panic!()
        };
        assert_eq!(letters, "AS");
        let Face::Initials { letters, .. } = initials("🚀", 7) else {
            panic!()
        };
        assert_eq!(letters, "?");
    }
}
