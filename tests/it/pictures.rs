//! The pictures: the member's card and the heat map, checked on their layout model (what is
//! drawn where, in which state, never overlapping or clipped) and on the decoded PNG's pixels.

use std::collections::{HashMap, HashSet};

use trilha::i18n::Locale;
use trilha::picture::emoji::Emoji;
use trilha::picture::layout::line_block;
use trilha::picture::scene::Mark;
use trilha::picture::scene::{Icon, Rect, Rgb, Scene};
use trilha::picture::text::{EMOJI_SIDE, GlyphKind, Style};
use trilha::picture::{MAX_HEIGHT, card, heat, palette, render};
use trilha::progress::{ItemStates, State};
use trilha::roadmap::{Roadmap, TrackIdx};

use crate::support::{generated_roadmap, roadmap};

const DATE: &str = "1 de dezembro de 2026";

fn card_of(roadmap: &Roadmap, states: &ItemStates, member: &[&str], locale: Locale) -> Scene {
    card_verified(roadmap, states, &HashSet::new(), member, locale)
}

fn card_verified(
    roadmap: &Roadmap,
    states: &ItemStates,
    verified: &HashSet<trilha::roadmap::ItemIdx>,
    member: &[&str],
    locale: Locale,
) -> Scene {
    card::scene(&card::Card {
        roadmap,
        track: TrackIdx(0),
        states,
        verified,
        member,
        server: &["Comunidade Backend"],
        date: DATE,
        locale,
    })
}

/// A member with every state: done, learning, skipped, pending in turn through the roadmap.
fn mixed(roadmap: &Roadmap) -> ItemStates {
    roadmap
        .items()
        .enumerate()
        .filter_map(|(n, (item, _))| {
            let state = match n % 4 {
                0 => State::Done,
                1 => State::Learning,
                2 => State::Skipped,
                _ => return None,
            };
            Some((item, state))
        })
        .collect()
}

pub(crate) struct Pixels {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

pub(crate) fn decode(png: &[u8]) -> Pixels {
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    Pixels {
        width: info.width,
        height: info.height,
        rgb: buf,
    }
}

impl Pixels {
    pub(crate) fn at(&self, x: f32, y: f32) -> Rgb {
        let (x, y) = (x.floor() as usize, y.floor() as usize);
        let i = (y * self.width as usize + x) * 3;
        Rgb(self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }
}

pub(crate) fn near(a: Rgb, b: Rgb) -> bool {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).abs();
    d(a.0, b.0) <= 40 && d(a.1, b.1) <= 40 && d(a.2, b.2) <= 40
}

/// What the icon of each state looks like at four points (upper left, upper right, on the dash,
/// on the check): tells all four states apart by shape, not only colour.
fn icon_looks(pixels: &Pixels, marker: &Rect, state: Option<State>) -> Result<(), String> {
    let (cx, cy) = marker.centre();
    let r = marker.w / 2.0;
    let upper_left = pixels.at(cx - 0.45 * r, cy - 0.45 * r);
    let upper_right = pixels.at(cx + 0.45 * r, cy - 0.45 * r);
    let on_dash = pixels.at(cx, cy + 0.08 * r);
    let on_check = pixels.at(cx, cy + 0.26 * r);
    let expected: &[(Rgb, Rgb, &str)] = match state {
        Some(State::Done) => &[
            (upper_left, palette::DONE, "filled"),
            (upper_right, palette::DONE, "filled"),
            (on_check, palette::ON_COLOUR, "the check"),
        ],
        Some(State::Learning) => &[
            (upper_left, palette::LEARNING, "left half filled"),
            (upper_right, palette::PANEL, "right half empty"),
        ],
        Some(State::Skipped) => &[
            (upper_left, palette::SKIPPED, "filled"),
            (upper_right, palette::SKIPPED, "filled"),
            (on_dash, palette::ON_COLOUR, "the dash"),
            (on_check, palette::SKIPPED, "no check"),
        ],
        None => &[
            (upper_left, palette::PANEL, "empty"),
            (upper_right, palette::PANEL, "empty"),
            (on_dash, palette::PANEL, "empty"),
        ],
    };
    for (seen, want, what) in expected {
        if !near(*seen, *want) {
            return Err(format!(
                "{state:?}: {what}: saw {seen:?}, expected {want:?}"
            ));
        }
    }
    Ok(())
}

#[test]
fn the_card_has_its_documented_size_and_every_item_is_drawn_in_its_state() {
    let roadmap = roadmap();
    let states = mixed(&roadmap);
    let scene = card_of(&roadmap, &states, &["Ana Souza"], Locale::PtBr);
    let picture = render(&scene).expect("the card renders");
    let pixels = decode(&picture.png);
    // The documented size: 1200 px wide, as tall as the layout (1769 px for the shipped roadmap
    // in pt-BR, see README "Pictures").
    assert_eq!((pixels.width, pixels.height), (1200, scene.height));
    assert_eq!(
        scene.height, 1769,
        "the layout's height changed: update the README"
    );
    assert_eq!(
        scene.items.len(),
        roadmap.item_count(),
        "every item is drawn once"
    );
    let mut seen = HashMap::new();
    for place in &scene.items {
        let expected = states.get(&place.item).copied();
        assert_eq!(place.state, expected);
        icon_looks(&pixels, &place.marker, expected)
            .unwrap_or_else(|e| panic!("{}: {e}", roadmap.item(place.item).id));
        *seen.entry(format!("{expected:?}")).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 4, "all four states were checked: {seen:?}");
    assert!(
        picture.png.len() <= 300 * 1024,
        "{} bytes",
        picture.png.len()
    );
}

#[test]
fn every_item_name_of_the_shipped_roadmap_is_drawn_whole_in_both_languages() {
    let roadmap = roadmap();
    for locale in Locale::ALL {
        let scene = card_of(&roadmap, &mixed(&roadmap), &["Ana"], locale);
        let shown: Vec<String> = scene.texts().map(|t| t.shown()).collect();
        for (_, item) in roadmap.items() {
            let name = trilha::picture::text::clean(item.name.get(locale));
            assert!(
                shown.contains(&name),
                "{locale:?}: `{name}` is not drawn whole"
            );
        }
        for (_, section) in roadmap.sections() {
            let name = trilha::picture::text::clean(section.name.get(locale));
            assert!(shown.contains(&name), "{locale:?}: section `{name}`");
        }
        for text in scene.texts() {
            let missing: usize = text.lines.iter().map(|l| l.missing).sum();
            assert_eq!(
                missing, 0,
                "{locale:?}: `{}` has characters no font draws",
                text.source
            );
        }
    }
}

/// Nothing overlaps and nothing leaves its frame: panels, item rows within a panel, texts.
fn assert_clean_layout(scene: &Scene) {
    let canvas = scene.canvas();
    for (i, a) in scene.panels.iter().enumerate() {
        assert!(canvas.contains(a), "panel {i} leaves the picture: {a:?}");
        for b in &scene.panels[i + 1..] {
            assert!(!a.overlaps(b), "panels overlap: {a:?} {b:?}");
        }
    }
    for (i, a) in scene.items.iter().enumerate() {
        let panel = scene
            .panels
            .iter()
            .find(|p| p.contains(&a.rect))
            .unwrap_or_else(|| panic!("item row {:?} is in no panel", a.rect));
        assert!(panel.contains(&a.marker));
        for b in &scene.items[i + 1..] {
            assert!(!a.rect.overlaps(&b.rect), "item rows overlap: {a:?} {b:?}");
        }
    }
    for text in scene.texts() {
        let bounds = text.bounds();
        assert!(
            text.frame.contains(&bounds) && canvas.contains(&bounds),
            "`{}` is clipped: {bounds:?} in {:?}",
            text.source,
            text.frame
        );
    }
}

#[test]
fn a_roadmap_of_200_items_fits_a_legible_picture_without_overlaps() {
    let big = trilha::roadmap::load_str(&[("big.toml".into(), generated_roadmap(10, 20))])
        .expect("the generated roadmap is valid");
    assert_eq!(big.item_count(), 200);
    let states: ItemStates = big
        .items()
        .step_by(3)
        .map(|(item, _)| (item, State::Done))
        .collect();
    for locale in Locale::ALL {
        let scene = card_of(&big, &states, &["Ana"], locale);
        assert_clean_layout(&scene);
        assert_eq!(scene.items.len(), 200);
        assert!(scene.height <= MAX_HEIGHT, "{}", scene.height);
        let picture = render(&scene).expect("renders");
        assert_eq!(decode(&picture.png).height, scene.height);
        // Every name, the 80-character ones included, is drawn whole (three lines at most).
        let shown: Vec<String> = scene.texts().map(|t| t.shown()).collect();
        for (_, item) in big.items() {
            assert!(shown.contains(&item.name.get(locale).to_string()));
        }
    }
    let heat = heat_of(&big, &HashMap::new(), 0);
    assert_clean_layout(&heat);
}

#[test]
fn the_shipped_cards_and_heat_map_lay_out_cleanly() {
    let roadmap = roadmap();
    for locale in Locale::ALL {
        assert_clean_layout(&card_of(&roadmap, &mixed(&roadmap), &["Ana"], locale));
    }
    assert_clean_layout(&heat_of(&roadmap, &HashMap::new(), 0));
}

#[test]
fn names_in_other_scripts_with_emoji_or_100_characters_draw_without_boxes_or_clipping() {
    let roadmap = roadmap();
    let states = ItemStates::new();
    let title = |scene: &Scene| scene.texts().next().expect("the title").clone();

    // A script the fonts lack: the username shows instead, never boxes.
    let scene = card_of(&roadmap, &states, &["田中太郎", "tanaka"], Locale::PtBr);
    assert_eq!(title(&scene).shown(), "tanaka");
    // Without any drawable form: the generic word, in the member's language.
    let scene = card_of(&roadmap, &states, &["田中太郎"], Locale::En);
    assert_eq!(title(&scene).shown(), "Member");

    // Emoji are drawn in colour, from Twemoji's images.
    let scene = card_of(&roadmap, &states, &["Bia 🚀📚 Ação"], Locale::PtBr);
    let t = title(&scene);
    assert_eq!(t.shown(), "Bia 🚀📚 Ação");
    assert_eq!(
        t.lines[0]
            .glyphs
            .iter()
            .filter(|g| matches!(g.kind, GlyphKind::Emoji(Emoji::Image(_))))
            .count(),
        2
    );

    // 100 characters: one line, shortened with "…", inside the picture.
    let long = "Maria Eduarda ".repeat(8);
    let long: String = long.chars().take(100).collect();
    let scene = card_of(&roadmap, &states, &[&long], Locale::PtBr);
    let t = title(&scene);
    assert_eq!(t.lines.len(), 1);
    assert!(t.shown().ends_with('…') && t.shown().starts_with("Maria Eduarda"));

    for scene in [
        card_of(&roadmap, &states, &["田中太郎", "tanaka"], Locale::PtBr),
        card_of(&roadmap, &states, &["Bia 🚀📚 Ação"], Locale::PtBr),
        card_of(&roadmap, &states, &[&long], Locale::PtBr),
    ] {
        assert_clean_layout(&scene);
        for text in scene.texts() {
            let missing: usize = text.lines.iter().map(|l| l.missing).sum();
            assert_eq!(missing, 0, "`{}`", text.source);
        }
        render(&scene).expect("renders");
    }
}

fn heat_of(roadmap: &Roadmap, done: &HashMap<trilha::roadmap::ItemIdx, u64>, active: u64) -> Scene {
    heat::scene(&heat::Heat {
        roadmap,
        track: TrackIdx(0),
        active,
        done,
        week_done: &[],
        week_learning: &[],
        last_week: false,
        server: &["Comunidade"],
        date: DATE,
        locale: Locale::PtBr,
    })
}

#[test]
fn the_heat_map_shades_each_item_by_the_share_of_members_who_did_it() {
    let roadmap = roadmap();
    let done: HashMap<_, u64> = roadmap
        .items()
        .enumerate()
        .map(|(n, (item, _))| (item, (n as u64 * 13) % 41))
        .collect();
    let scene = heat_of(&roadmap, &done, 40);
    let pixels = decode(&render(&scene).expect("renders").png);
    for place in &scene.items {
        let share = place.share.expect("a share");
        let expected = (done[&place.item] as f32 / 40.0).min(1.0);
        assert!((share - expected).abs() < 1e-6);
        let (cx, cy) = place.marker.centre();
        assert_eq!(
            pixels.at(cx, cy),
            heat::shade(share),
            "{}",
            roadmap.item(place.item).id
        );
        // The share is also written, so the shade is never the only cue.
        let percent = format!("{}%", (share * 100.0).round() as u32);
        assert!(
            scene
                .texts()
                .any(|t| t.shown() == percent && place.rect.contains(&t.bounds())),
            "no {percent} beside {}",
            roadmap.item(place.item).id
        );
    }
    assert_ne!(heat::shade(0.0), heat::shade(1.0));
}

#[test]
fn icons_differ_in_shape_not_only_in_colour() {
    // Done and skipped are both filled circles: the check and the dash tell them apart even in
    // greyscale.
    let roadmap = roadmap();
    let scene = card_of(&roadmap, &mixed(&roadmap), &["Ana"], Locale::PtBr);
    let pixels = decode(&render(&scene).unwrap().png);
    let grey = |c: Rgb| (u32::from(c.0) * 30 + u32::from(c.1) * 59 + u32::from(c.2) * 11) / 100;
    let find = |state| {
        scene
            .items
            .iter()
            .find(|p| p.state == state)
            .expect("the state is present")
            .marker
    };
    let (done, skipped) = (find(Some(State::Done)), find(Some(State::Skipped)));
    let at = |m: Rect, dx: f32, dy: f32| {
        let (cx, cy) = m.centre();
        grey(pixels.at(cx + dx * m.w / 2.0, cy + dy * m.w / 2.0))
    };
    // Where the check is drawn: light for done, the fill for skipped; and skipped's dash is light.
    assert!(at(done, 0.0, 0.26) > at(skipped, 0.0, 0.26) + 80);
    assert!(at(skipped, 0.0, 0.08) > at(skipped, -0.45, -0.45) + 80);
    assert_eq!(Icon::of(None), Icon::Pending);
}

#[test]
fn verified_items_have_their_own_icon() {
    let roadmap = roadmap();
    let states = mixed(&roadmap);
    let verified: HashSet<_> = states
        .iter()
        .filter(|(_, s)| **s == State::Done)
        .map(|(i, _)| *i)
        .take(5)
        .collect();
    let scene = card_verified(&roadmap, &states, &verified, &["Ana"], Locale::PtBr);
    let pixels = decode(&render(&scene).unwrap().png);
    let mut checked = (0, 0);
    for place in &scene.items {
        let (cx, cy) = place.marker.centre();
        let r = place.marker.w / 2.0;
        // Between the inner disc and the ring: empty for verified, filled for done.
        let gap = pixels.at(cx + 0.74 * r, cy);
        let centre_left = pixels.at(cx - 0.3 * r, cy - 0.3 * r);
        if verified.contains(&place.item) {
            assert!(place.verified);
            assert!(near(gap, palette::PANEL), "{gap:?}");
            assert!(near(centre_left, palette::VERIFIED), "{centre_left:?}");
            checked.0 += 1;
        } else if place.state == Some(State::Done) {
            assert!(near(gap, palette::DONE), "{gap:?}");
            checked.1 += 1;
        }
    }
    assert_eq!(checked.0, 5);
    assert!(checked.1 > 5);
    assert!(
        scene.texts().any(|t| t.shown() == "5 verificados"),
        "the legend counts them"
    );
}

/// A flag, a family joined by zero-width joiners, a thumbs-up with a skin tone and a keycap:
/// each is laid out as one glyph, and drawn in colour (the pixels in its square are not the
/// text's grey), never as the letters or digits it is made of.
#[test]
fn flags_families_skin_tones_and_keycaps_draw_as_one_colour_glyph_each() {
    let style = Style::bold(40.0);
    let text = "🇧🇷 👨\u{200D}👩\u{200D}👧\u{200D}👦 👍🏽 1\u{FE0F}\u{20E3}";
    let block = line_block(text, style, palette::TEXT, 20.0, 20.0, 560.0);
    let glyphs = &block.lines[0].glyphs;
    let emoji: Vec<f32> = glyphs
        .iter()
        .filter(|g| matches!(g.kind, GlyphKind::Emoji(Emoji::Image(_))))
        .map(|g| g.x)
        .collect();
    assert_eq!(emoji.len(), 4, "{glyphs:?}");
    assert_eq!(
        glyphs.len(),
        7,
        "four emoji and three spaces, nothing else: {glyphs:?}"
    );
    let scene = Scene {
        width: 600,
        height: 100,
        background: palette::PANEL,
        marks: vec![Mark::Text(block.clone())],
        items: Vec::new(),
        panels: Vec::new(),
    };
    let pixels = decode(&render(&scene).expect("renders").png);
    let side = style.size * EMOJI_SIDE;
    for x in emoji {
        let left = block.x + x;
        let top = block.y + (style.size - side) / 2.0;
        let colourful = (0..side as u32)
            .flat_map(|dy| (0..side as u32).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| pixels.at(left + dx as f32, top + dy as f32))
            .filter(|p| {
                let (max, min) = (p.0.max(p.1).max(p.2), p.0.min(p.1).min(p.2));
                max - min > 80
            })
            .count();
        assert!(
            colourful as f32 > side * side * 0.1,
            "the emoji at x={x} is drawn in colour ({colourful} colourful pixels)"
        );
    }
}

/// Every text of a picture meant to be read inside the chat: at least 11 px tall once the
/// picture is scaled to the 550 px Discord shows it at, inside the canvas and its own frame, and
/// never on top of another text.
fn assert_legible_inline(name: &str, scene: &Scene) {
    use trilha::picture::summary::{MIN_SHOWN_PX, SHOWN_WIDTH};
    let scale = SHOWN_WIDTH / scene.width as f32;
    let texts: Vec<_> = scene.texts().collect();
    assert!(!texts.is_empty(), "{name}: no text");
    for text in &texts {
        let shown = text.style.size * scale;
        assert!(
            shown >= MIN_SHOWN_PX - 1e-3,
            "{name}: `{}` is {:.1} px at {SHOWN_WIDTH} px wide (font {} px)",
            text.source,
            shown,
            text.style.size
        );
        assert!(
            scene.canvas().contains(&text.bounds()),
            "{name}: `{}` leaves the picture: {:?}",
            text.source,
            text.bounds()
        );
        assert!(
            text.frame.contains(&text.bounds()),
            "{name}: `{}` leaves its frame",
            text.source
        );
    }
    for (i, a) in texts.iter().enumerate() {
        for b in &texts[i + 1..] {
            // Line boxes include the font's leading: compare the inked part (the middle 60%).
            let ink = |r: Rect| Rect::new(r.x, r.y + 0.2 * r.h, r.w, 0.6 * r.h);
            assert!(
                !ink(a.bounds()).overlaps(&ink(b.bounds())),
                "{name}: `{}` overlaps `{}`",
                a.source,
                b.source
            );
        }
    }
}

#[test]
fn the_summary_card_and_the_leaderboard_picture_read_at_the_size_discord_shows_them() {
    let roadmap = roadmap();
    let date = jiff::civil::date(2026, 12, 1);
    let mut checked = 0;
    for locale in Locale::ALL {
        for (name, scene) in trilha::picture::samples::samples(&roadmap, locale, date) {
            if !(name.starts_with("summary") || name == "leaderboard") {
                continue;
            }
            assert_eq!(
                (scene.width, scene.height),
                (1200, 600),
                "{name}: about 2:1"
            );
            assert_legible_inline(&format!("{name} ({locale:?})"), &scene);
            checked += 1;
        }
    }
    assert_eq!(
        checked, 8,
        "three summaries and the leaderboard, in both languages"
    );
}

#[test]
fn the_rule_catches_a_text_too_small_to_read_inline() {
    let roadmap = roadmap();
    let date = jiff::civil::date(2026, 12, 1);
    let (_, mut scene) = trilha::picture::samples::samples(&roadmap, Locale::En, date)
        .into_iter()
        .find(|(name, _)| *name == "summary-half")
        .unwrap();
    // What the full card uses for its items: 16 px is 7.3 px at 550 px wide.
    scene.marks.push(Mark::Text(line_block(
        "Apache Kafka",
        Style::regular(16.0),
        palette::TEXT,
        900.0,
        560.0,
        200.0,
    )));
    let caught = std::panic::catch_unwind(|| assert_legible_inline("small", &scene));
    assert!(caught.is_err(), "a 16 px text must fail the rule");
}

#[test]
fn the_summary_shows_the_milestone_every_section_in_card_order_and_the_members_numbers() {
    use trilha::picture::face::initials;
    use trilha::picture::summary::{Summary, scene};
    let roadmap = roadmap();
    let half = mixed(&roadmap);
    let avatar = initials("Ana Souza", 7);
    let icon = initials("Comunidade Backend", 9);
    let summary = scene(&Summary {
        roadmap: &roadmap,
        track: TrackIdx(0),
        states: &half,
        verified: 3,
        member: &["Ana Souza"],
        server: &["Comunidade Backend 🇧🇷"],
        avatar: &avatar,
        icon: &icon,
        streak: 12,
        rank: Some(4),
        date: DATE,
        locale: Locale::PtBr,
    });
    let shown: Vec<String> = summary.texts().map(|t| t.shown()).collect();
    let has = |needle: &str| shown.iter().any(|t| t.contains(needle));
    let done = half.values().filter(|s| **s == State::Done).count();
    for needle in [
        "Ana Souza",
        "Comunidade Backend 🇧🇷",
        "Desenvolvedor(a) backend júnior",
        &format!("{done} concluídos"),
        "3 verificados",
        "🔥 12 dias seguidos",
        "🏆 4º lugar na semana",
        "AS",
    ] {
        assert!(has(needle), "`{needle}` is not on the summary: {shown:#?}");
    }
    assert!(
        shown.iter().any(|t| t.ends_with(" de 11 seções")),
        "{shown:#?}"
    );
    // One bar per section, in card order (down the first column, then the second).
    let names: Vec<&str> = roadmap
        .track(TrackIdx(0))
        .sections
        .iter()
        .map(|&s| roadmap.section(s).short_name(Locale::PtBr))
        .collect();
    let positions: Vec<usize> = names
        .iter()
        .map(|n| {
            shown
                .iter()
                .position(|t| t == n)
                .unwrap_or_else(|| panic!("section `{n}` is not drawn whole: {shown:#?}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "card order");
    let bars = summary
        .marks
        .iter()
        .filter(|m| matches!(m, Mark::Bar { .. }))
        .count();
    assert_eq!(
        bars,
        names.len() + 1,
        "the milestone's bar and one per section"
    );
}

#[test]
fn a_face_is_drawn_round_in_its_own_colours() {
    use std::sync::Arc;
    use trilha::picture::face::{Face, initials};
    use trilha::picture::image::Decoded;
    use trilha::picture::summary::{Summary, scene};
    let roadmap = roadmap();
    let none = ItemStates::new();
    let side = 128u32;
    let avatar = Face::Image {
        image: Arc::new(Decoded {
            width: side,
            height: side,
            rgba: (0..side * side)
                .flat_map(|_| [0xad, 0x14, 0x57, 255])
                .collect(),
        }),
        source: "test".into(),
    };
    let icon = initials("Comunidade Backend", 9);
    let summary = scene(&Summary {
        roadmap: &roadmap,
        track: TrackIdx(0),
        states: &none,
        verified: 0,
        member: &["Ana"],
        server: &["Comunidade Backend"],
        avatar: &avatar,
        icon: &icon,
        streak: 0,
        rank: None,
        date: DATE,
        locale: Locale::En,
    });
    let rect = summary
        .marks
        .iter()
        .find_map(|m| match m {
            Mark::Image {
                rect, round: true, ..
            } => Some(*rect),
            _ => None,
        })
        .expect("the avatar is an image cut round");
    let pixels = decode(&render(&summary).unwrap().png);
    let (cx, cy) = rect.centre();
    assert!(
        near(pixels.at(cx, cy), Rgb(0xad, 0x14, 0x57)),
        "the avatar's colour"
    );
    assert!(
        near(pixels.at(rect.x + 2.0, rect.y + 2.0), summary.background),
        "outside the circle, the background: {:?}",
        pixels.at(rect.x + 2.0, rect.y + 2.0)
    );
}
