//! Colour emoji for pictures, from Twemoji's images (the `twemoji-assets` crate: 72×72 PNGs
//! embedded in the binary; graphics © Twitter and contributors, CC-BY 4.0).
//!
//! An emoji is a sequence, not a character: a flag is two regional indicators, a family is
//! people joined by zero-width joiners, a thumbs-up may carry a skin tone, a keycap is a digit,
//! a variation selector and the keycap mark. [`at_start`] finds the longest sequence Twemoji
//! draws at the start of a text; a sequence it does not know that would otherwise draw as
//! letters (regional indicators) becomes a clean placeholder. Characters whose default look is
//! text (© ® ↔ …) stay text unless a variation selector asks for the emoji.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use twemoji_assets::png::PngTwemojiAsset;

use super::image::Decoded;

/// What an emoji draws as.
#[derive(Clone, Copy)]
pub enum Emoji {
    /// A Twemoji image: its PNG.
    Image(&'static [u8]),
    /// A sequence no image exists for: a neutral rounded square, never letters.
    Placeholder,
}

impl PartialEq for Emoji {
    fn eq(&self, other: &Emoji) -> bool {
        match (self, other) {
            (Emoji::Image(a), Emoji::Image(b)) => std::ptr::eq(*a, *b),
            (Emoji::Placeholder, Emoji::Placeholder) => true,
            _ => false,
        }
    }
}

impl std::fmt::Debug for Emoji {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Emoji::Image(png) => write!(f, "Image({} bytes)", png.len()),
            Emoji::Placeholder => f.write_str("Placeholder"),
        }
    }
}

/// The longest Twemoji sequence the fonts would not otherwise draw right: characters are at
/// most 10 in Twemoji's table.
const LONGEST: usize = 10;
const VARIATION_EMOJI: char = '\u{FE0F}';
const KEYCAP: char = '\u{20E3}';

fn regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// Characters below the supplementary planes that Unicode presents as emoji by default
/// (`Emoji_Presentation=Yes`); others there (© ® ↔ ☺ …) are text unless followed by U+FE0F.
fn emoji_by_default(c: char) -> bool {
    if u32::from(c) >= 0x1F000 {
        return true;
    }
    matches!(c,
        '\u{231A}'..='\u{231B}' | '\u{23E9}'..='\u{23EC}' | '\u{23F0}' | '\u{23F3}'
        | '\u{25FD}'..='\u{25FE}' | '\u{2614}'..='\u{2615}' | '\u{2648}'..='\u{2653}'
        | '\u{267F}' | '\u{2693}' | '\u{26A1}' | '\u{26AA}'..='\u{26AB}'
        | '\u{26BD}'..='\u{26BE}' | '\u{26C4}'..='\u{26C5}' | '\u{26CE}' | '\u{26D4}'
        | '\u{26EA}' | '\u{26F2}'..='\u{26F3}' | '\u{26F5}' | '\u{26FA}' | '\u{26FD}'
        | '\u{2705}' | '\u{270A}'..='\u{270B}' | '\u{2728}' | '\u{274C}' | '\u{274E}'
        | '\u{2753}'..='\u{2755}' | '\u{2757}' | '\u{2795}'..='\u{2797}' | '\u{27B0}'
        | '\u{27BF}' | '\u{2B1B}'..='\u{2B1C}' | '\u{2B50}' | '\u{2B55}')
}

/// Whether an emoji could start at `c` (a cheap test before looking anything up).
fn may_start(c: char, next: Option<char>) -> bool {
    if c.is_ascii() {
        // Keycaps: a digit, # or *, then the keycap mark (with or without U+FE0F).
        return matches!(c, '0'..='9' | '#' | '*')
            && matches!(next, Some(VARIATION_EMOJI) | Some(KEYCAP));
    }
    !c.is_alphanumeric() && u32::from(c) >= 0xA9
}

fn twemoji(sequence: &str) -> Option<&'static [u8]> {
    let found = PngTwemojiAsset::from_emoji(sequence).or_else(|| {
        // Twemoji names most sequences without their variation selectors.
        sequence
            .contains(VARIATION_EMOJI)
            .then(|| sequence.replace(VARIATION_EMOJI, ""))
            .and_then(|bare| PngTwemojiAsset::from_emoji(&bare))
    })?;
    let png: &'static [u8] = found;
    Some(png)
}

/// The emoji at the start of `text`, with its length in bytes: the longest sequence Twemoji
/// draws, followed by any variation selector that belongs to it. `None` when the text starts
/// with ordinary text (a letter, a text-style symbol, a digit that is no keycap).
pub fn at_start(text: &str) -> Option<(usize, Emoji)> {
    let mut chars = text.chars();
    let first = chars.next()?;
    let second = chars.next();
    if !may_start(first, second) {
        return None;
    }
    if regional_indicator(first) {
        return Some(flag(first, second));
    }
    let ends: Vec<usize> = text
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take(LONGEST)
        .collect();
    for &end in ends.iter().rev() {
        let sequence = &text[..end];
        let Some(png) = twemoji(sequence) else {
            continue;
        };
        let single = end == first.len_utf8();
        let selected =
            text[end..].starts_with(VARIATION_EMOJI) || sequence.ends_with(VARIATION_EMOJI);
        if single && !emoji_by_default(first) && !selected {
            return None; // ©, ↔, ☺: text unless asked otherwise
        }
        let end = if text[end..].starts_with(VARIATION_EMOJI) {
            end + VARIATION_EMOJI.len_utf8()
        } else {
            end
        };
        return Some((end, Emoji::Image(png)));
    }
    None
}

/// A flag: two regional indicators Twemoji has a flag for; a pair it has none for, or a lone
/// indicator, is a placeholder (Twemoji draws a lone one as a boxed letter: letters again).
fn flag(first: char, second: Option<char>) -> (usize, Emoji) {
    let Some(second) = second.filter(|c| regional_indicator(*c)) else {
        return (first.len_utf8(), Emoji::Placeholder);
    };
    let len = first.len_utf8() + second.len_utf8();
    let pair: String = [first, second].iter().collect();
    match twemoji(&pair) {
        Some(png) => (len, Emoji::Image(png)),
        None => (len, Emoji::Placeholder),
    }
}

/// Emoji decoded so far (at most a few hundred distinct ones in practice: each is 20 KB).
const DECODED_AT_MOST: usize = 512;

/// The decoded image of an emoji's PNG (decoded once, then shared).
pub fn decoded(png: &'static [u8]) -> Option<Arc<Decoded>> {
    static DECODED: LazyLock<Mutex<HashMap<usize, Arc<Decoded>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let key = png.as_ptr() as usize;
    let mut cache = DECODED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = cache.get(&key) {
        return Some(found.clone());
    }
    let image = Arc::new(super::image::decode_png(png, super::image::Limits::EMOJI).ok()?);
    if cache.len() >= DECODED_AT_MOST {
        cache.clear();
    }
    cache.insert(key, image.clone());
    Some(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Option<(usize, Emoji)> {
        at_start(text)
    }

    #[test]
    fn flags_families_skin_tones_and_keycaps_are_one_emoji_each() {
        for sequence in ["🇧🇷", "👨‍👩‍👧‍👦", "👍🏽", "1️⃣", "#️⃣", "🏳️‍🌈", "🎉"]
        {
            let (len, emoji) = one(sequence).unwrap_or_else(|| panic!("{sequence}"));
            assert_eq!(len, sequence.len(), "{sequence} is consumed whole");
            assert!(matches!(emoji, Emoji::Image(_)), "{sequence}");
        }
        // Followed by text, only the emoji is taken.
        assert_eq!(one("🇧🇷 Brasil").map(|(n, _)| n), Some("🇧🇷".len()));
    }

    #[test]
    fn letters_digits_and_text_style_symbols_stay_text() {
        for text in ["B", "é", "1", "12", "©", "↔", "a🎉"] {
            assert!(one(text).is_none(), "{text}");
        }
        // With the emoji variation selector, a text-style symbol is an emoji.
        assert!(matches!(one("©\u{FE0F}"), Some((_, Emoji::Image(_)))));
    }

    #[test]
    fn regional_indicators_without_a_flag_are_a_placeholder_never_letters() {
        // ZZ is no country: no flag image, and never "Z Z".
        let (len, emoji) = one("🇿🇿").unwrap();
        assert_eq!((len, emoji), ("🇿🇿".len(), Emoji::Placeholder));
    }
}
