//! Made-up members and a made-up community, for `trilha render-sample` and tests: a member with
//! nothing marked, one half-way (every state present, an avatar), one with everything done
//! (named in a script the fonts lack, so the username shows), their summaries, the heat map
//! and a leaderboard page.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::face::{Face, initials};
use super::image::Decoded;
use super::scene::Scene;
use super::{board, card, heat, summary};
use crate::i18n::Locale;
use crate::progress::{ItemStates, State};
use crate::roadmap::{ItemIdx, Roadmap, TrackIdx};

const SERVER: &[&str] = &["Comunidade Backend Brasil 🇧🇷"];
const SERVER_ID: u64 = 41771983423143937;

/// The made-up members: who they are and what they marked.
struct Members {
    none: ItemStates,
    half: ItemStates,
    all: ItemStates,
    /// Items the half-way member proved in the quiz.
    verified: HashSet<ItemIdx>,
}

impl Members {
    fn of(roadmap: &Roadmap) -> Members {
        let items: Vec<_> = roadmap.items().map(|(i, _)| i).collect();
        let half: ItemStates = items
            .iter()
            .enumerate()
            .filter_map(|(n, &i)| {
                let state = match n % 6 {
                    0 | 1 => State::Done,
                    2 => State::Learning,
                    3 => State::Skipped,
                    _ => return None,
                };
                Some((i, state))
            })
            .collect();
        // The half-way member proved every third item they have done.
        let verified = half
            .iter()
            .filter(|(i, s)| **s == State::Done && i.0 % 3 == 0)
            .map(|(i, _)| *i)
            .collect();
        Members {
            none: ItemStates::new(),
            all: items.iter().map(|&i| (i, State::Done)).collect(),
            half,
            verified,
        }
    }
}

/// A made-up avatar: a soft two-colour gradient with a light disc, as a photo would give the
/// painter (an image, scaled and cut to a circle).
pub fn sample_avatar() -> Face {
    let side = 128u32;
    let rgba = (0..side * side)
        .flat_map(|n| {
            let (x, y) = ((n % side) as f32, (n / side) as f32);
            let t = (x + y) / (2.0 * side as f32);
            let (dx, dy) = (x - 64.0, y - 50.0);
            let disc = if dx * dx + dy * dy < 26.0 * 26.0 {
                0.45
            } else {
                0.0
            };
            let mix = |a: f32, b: f32| ((a + (b - a) * t) * (1.0 - disc) + 250.0 * disc) as u8;
            [mix(32.0, 88.0), mix(96.0, 101.0), mix(190.0, 242.0), 255]
        })
        .collect();
    Face::Image {
        image: Arc::new(Decoded {
            width: side,
            height: side,
            rgba,
        }),
        source: "sample".into(),
    }
}

/// Every sample picture, by file name.
pub fn samples(
    roadmap: &Roadmap,
    locale: Locale,
    date: jiff::civil::Date,
) -> Vec<(&'static str, Scene)> {
    let date = locale.date(date);
    let members = Members::of(roadmap);
    let mut out = summary_samples(roadmap, &members, &date, locale);
    let nothing_verified = HashSet::new();
    let card = |states: &ItemStates, verified: &HashSet<ItemIdx>, member: &[&str]| {
        card::scene(&card::Card {
            roadmap,
            track: TrackIdx(0),
            states,
            verified,
            member,
            server: SERVER,
            date: &date,
            locale,
        })
    };
    out.extend([
        (
            "card-empty",
            card(&members.none, &nothing_verified, &["Ana Souza"]),
        ),
        (
            "card-half",
            card(
                &members.half,
                &members.verified,
                &["João Pedro 🚀", "joaop"],
            ),
        ),
        (
            "card-complete",
            card(&members.all, &nothing_verified, &["田中太郎", "tanaka"]),
        ),
        ("heatmap", heat_sample(roadmap, &date, locale)),
        ("leaderboard", board_sample(&date, locale)),
    ]);
    out
}

/// The three members' summaries: nothing marked (initials, no streak, unranked), half-way (an
/// avatar, a streak, third this week), everything done (first).
fn summary_samples(
    roadmap: &Roadmap,
    members: &Members,
    date: &str,
    locale: Locale,
) -> Vec<(&'static str, Scene)> {
    let icon = initials(SERVER[0], SERVER_ID);
    let summary = |states: &ItemStates, verified, member: &[&str], avatar: &Face, streak, rank| {
        summary::scene(&summary::Summary {
            roadmap,
            track: TrackIdx(0),
            states,
            verified,
            member,
            server: SERVER,
            avatar,
            icon: &icon,
            streak,
            rank,
            date,
            locale,
        })
    };
    let ana = initials("Ana Souza", 80351110224678912);
    let tanaka = initials("tanaka", 175928847299117063);
    let half = &members.half;
    let proved = members.verified.len();
    vec![
        (
            "summary-empty",
            summary(&members.none, 0, &["Ana Souza"], &ana, 0, None),
        ),
        (
            "summary-half",
            summary(
                half,
                proved,
                &["João Pedro 🚀", "joaop"],
                &sample_avatar(),
                12,
                Some(3),
            ),
        ),
        (
            "summary-complete",
            summary(
                &members.all,
                0,
                &["田中太郎", "tanaka"],
                &tanaka,
                87,
                Some(1),
            ),
        ),
    ]
}

/// The heat map of a made-up community of 120 active members.
fn heat_sample(roadmap: &Roadmap, date: &str, locale: Locale) -> Scene {
    let items: Vec<_> = roadmap.items().map(|(i, _)| i).collect();
    let done: HashMap<_, u64> = items
        .iter()
        .enumerate()
        .map(|(n, &i)| (i, (n as u64 * 37) % 120))
        .collect();
    let week_done: Vec<_> = items.iter().take(4).map(|&i| (i, 9)).collect();
    let week_learning: Vec<_> = items.iter().skip(10).take(3).map(|&i| (i, 4)).collect();
    heat::scene(&heat::Heat {
        roadmap,
        track: TrackIdx(0),
        active: 120,
        done: &done,
        week_done: &week_done,
        week_learning: &week_learning,
        last_week: false,
        server: SERVER,
        date,
        locale,
    })
}

/// A made-up page (the second of six) for `trilha render-sample`: names with emoji, flags and
/// other scripts, one with an avatar, the viewer pinned at #57.
fn board_sample(date: &str, locale: Locale) -> Scene {
    let t = locale.texts();
    let names = [
        "Mariana Lima 🇧🇷",
        "dev.rafa",
        "Lucas 👨‍👩‍👧",
        "Beatriz Oliveira",
        "Kenji 山田",
        "Paulo #1️⃣",
        "Camila Rocha 👍🏽",
        "Thiago",
        "Fernanda Souza Albuquerque de Alencar",
        "Zé",
    ];
    let rows: Vec<board::Row> = names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let user = 100_000 + n as u64 * 7_919;
            board::Row {
                rank: 11 + n as u64,
                user,
                name: (*name).to_string(),
                face: if n == 2 {
                    sample_avatar()
                } else {
                    initials(name, user)
                },
                count: 14 - n as i64 / 2,
            }
        })
        .collect();
    let own = board::Row {
        rank: 57,
        user: 1,
        name: "Ana Souza".into(),
        face: initials("Ana Souza", 1),
        count: 3,
    };
    let title = crate::i18n::fill(t.board_title, &[("period", &t.period_week)]);
    let page = crate::i18n::fill(t.page_indicator, &[("page", &2), ("pages", &6)]);
    board::scene(&board::BoardPicture {
        title: &title,
        subtitle: date,
        page: Some(&page),
        rows: &rows,
        own: Some(&own),
        unit: "✅",
        empty: t.board_empty,
        viewer: 1,
    })
}
