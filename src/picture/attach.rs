//! Pictures as attachments of replies and posts: what a picture shows is gathered, drawn off the
//! async runtime (through the shared cache) and attached. A picture that cannot be ready in
//! time, or cannot be drawn, is left out: the text answer always goes, alone if it must.

use std::sync::Arc;
use tracing::Instrument;

use jiff::Timestamp;

use super::board::{self, BoardPicture};
use super::cache::{fingerprint, shared};
use super::cdn::{FACE_WAIT, Whose};
use super::face::Face;
use super::{Picture, card, heat, summary};
use crate::app::App;
use crate::guild::{Appearance, GuildSettings};
use crate::i18n::{Locale, fill};
use crate::ops::metrics::{PictureKind, PictureOutcome};
use crate::progress::community::Community;
use crate::progress::standing::standing;
use crate::progress::{ItemStates, State};
use crate::reply::{Attachment, limits, truncate};
use crate::roadmap::{Roadmap, TrackIdx};

/// File names of the pictures (what Discord shows under them).
pub const CARD_FILE: &str = "trilha-roadmap.png";
pub const HEAT_FILE: &str = "trilha-community.png";
pub const SUMMARY_FILE: &str = "trilha-summary.png";
pub const BOARD_FILE: &str = "trilha-leaderboard.png";

/// The roadmap file a member's card shows: the one they marked most in (the first on a tie).
pub fn track_of(roadmap: &Roadmap, states: &ItemStates) -> TrackIdx {
    let marked = |t: &crate::roadmap::Track| {
        t.sections
            .iter()
            .flat_map(|&s| roadmap.section(s).items.iter())
            .filter(|i| states.contains_key(i))
            .count()
    };
    roadmap
        .tracks()
        .iter()
        .enumerate()
        .max_by_key(|(i, t)| (marked(t), std::cmp::Reverse(*i)))
        .map_or(TrackIdx(0), |(i, _)| TrackIdx(i))
}

/// Today's date in the server's time zone, written in `locale`.
pub fn today(now: i64, settings: &GuildSettings, locale: Locale) -> String {
    let date = Timestamp::from_second(now)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(settings.timezone())
        .date();
    locale.date(date)
}

/// Draws through the shared cache, within `app.picture_wait`; `None` (logged and counted)
/// otherwise. The drawing runs as its own task: when it is late, it still finishes and is
/// cached for the next request.
async fn draw(
    app: &App,
    kind: PictureKind,
    key: u64,
    build: impl FnOnce() -> super::scene::Scene + Send + 'static,
) -> Option<Picture> {
    let within = app.picture_wait;
    let task = tokio::spawn(async move { shared().picture(key, build).await }.in_current_span());
    let outcome = match tokio::time::timeout(within, task).await {
        Ok(Ok(Ok(picture))) => Ok(picture),
        Ok(Ok(Err(error))) => Err((PictureOutcome::Failed, error.to_string())),
        Ok(Err(error)) => Err((PictureOutcome::Failed, error.to_string())),
        Err(_) => Err((PictureOutcome::Late, format!("not ready within {within:?}"))),
    };
    match outcome {
        Ok(picture) => {
            app.metrics.picture(kind, PictureOutcome::Attached);
            Some(picture)
        }
        Err((outcome, error)) => {
            app.metrics.picture(kind, outcome);
            tracing::warn!(picture = kind.as_str(), %error, "picture left out; the text answer goes alone");
            None
        }
    }
}

/// What a member's card shows.
pub struct CardRequest {
    pub user: u64,
    /// The member's names, most preferred first.
    pub names: Vec<String>,
    pub states: ItemStates,
    /// Items verified in the quiz.
    pub verified: std::collections::HashSet<crate::roadmap::ItemIdx>,
    pub settings: GuildSettings,
    pub locale: Locale,
}

/// A member's roadmap card, as an attachment.
pub async fn card(app: &App, request: CardRequest) -> Option<Attachment> {
    let roadmap = app.roadmap.clone();
    let track = track_of(&roadmap, &request.states);
    let date = today(app.clock.now(), &request.settings, request.locale);
    let server: Vec<String> = request.settings.name.clone().into_iter().collect();
    let mut states: Vec<(usize, &'static str)> = request
        .states
        .iter()
        .map(|(item, state)| (item.0, state.as_str()))
        .collect();
    states.sort_unstable();
    let mut verified: Vec<usize> = request.verified.iter().map(|i| i.0).collect();
    verified.sort_unstable();
    let key = fingerprint(&(
        "card",
        Arc::as_ptr(&roadmap) as usize,
        track.0,
        &states,
        &verified,
        &request.names,
        &server,
        &date,
        request.locale,
    ));
    let alt = card_alt(&roadmap, track, &request);
    let CardRequest {
        names,
        states,
        verified,
        locale,
        ..
    } = request;
    let picture = draw(app, PictureKind::Card, key, move || {
        let member: Vec<&str> = names.iter().map(String::as_str).collect();
        let server: Vec<&str> = server.iter().map(String::as_str).collect();
        card::scene(&card::Card {
            roadmap: &roadmap,
            track,
            states: &states,
            verified: &verified,
            member: &member,
            server: &server,
            date: &date,
            locale,
        })
    })
    .await?;
    Some(Attachment {
        name: CARD_FILE.into(),
        data: picture.png,
        description: Some(alt),
    })
}

/// The card's alt text: the member's counts and the milestone, in words.
fn card_alt(roadmap: &Roadmap, track: TrackIdx, request: &CardRequest) -> String {
    let t = request.locale.texts();
    let count = |state: State| request.states.values().filter(|s| **s == state).count();
    let standing = standing(roadmap, &request.states);
    let track_standing = standing.iter().find(|s| s.track == track);
    let (met, required) =
        track_standing.map_or((0, 0), |s| (s.met_sections(), s.required_sections()));
    let name =
        super::text::best_name(&request.names.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or_else(|| t.picture_member.to_string());
    let text = fill(
        t.picture_card_alt,
        &[
            ("member", &name),
            ("roadmap", &roadmap.track(track).name.get(request.locale)),
            ("done", &t.count_done.fill(count(State::Done), &[])),
            (
                "learning",
                &t.count_learning.fill(count(State::Learning), &[]),
            ),
            ("skipped", &t.count_skipped.fill(count(State::Skipped), &[])),
            (
                "sections",
                &t.picture_sections.fill(required, &[("met", &met)]),
            ),
        ],
    );
    truncate(&text, limits::ATTACHMENT_DESCRIPTION)
}

/// The community's heat map, as an attachment; `last_week` when its lists are about the week
/// before (the weekly digest).
pub async fn heat_map(
    app: &App,
    community: &Community,
    settings: &GuildSettings,
    locale: Locale,
    last_week: bool,
) -> Option<Attachment> {
    let roadmap = app.roadmap.clone();
    let track = TrackIdx(0);
    let date = today(app.clock.now(), settings, locale);
    let server: Vec<String> = settings.name.clone().into_iter().collect();
    let mut done: Vec<(usize, u64)> = community.done.iter().map(|(i, n)| (i.0, *n)).collect();
    done.sort_unstable();
    let window = |list: &[(crate::roadmap::ItemIdx, u64)]| -> Vec<(usize, u64)> {
        list.iter().map(|(i, n)| (i.0, *n)).collect()
    };
    let key = fingerprint(&(
        "heat",
        Arc::as_ptr(&roadmap) as usize,
        community.active,
        &done,
        window(&community.window_done),
        window(&community.window_learning),
        last_week,
        &server,
        &date,
        locale,
    ));
    let t = locale.texts();
    let alt = truncate(
        &fill(
            t.picture_heat_alt,
            &[(
                "members",
                &t.heat_members.fill(community.active as usize, &[]),
            )],
        ),
        limits::ATTACHMENT_DESCRIPTION,
    );
    let community = community.clone();
    let picture = draw(app, PictureKind::HeatMap, key, move || {
        let server: Vec<&str> = server.iter().map(String::as_str).collect();
        heat::scene(&heat::Heat {
            roadmap: &roadmap,
            track,
            active: community.active,
            done: &community.done,
            week_done: &community.window_done,
            week_learning: &community.window_learning,
            last_week,
            server: &server,
            date: &date,
            locale,
        })
    })
    .await?;
    Some(Attachment {
        name: HEAT_FILE.into(),
        data: picture.png,
        description: Some(alt),
    })
}

/// The faces of `whose`, fetched together: each waits at most [`FACE_WAIT`], then is initials.
async fn faces(app: &App, whose: &[Whose<'_>]) -> Vec<Face> {
    let lookups = whose.iter().map(|w| app.faces.face(*w, FACE_WAIT));
    futures_util::future::join_all(lookups)
        .await
        .into_iter()
        .map(|(face, outcome)| {
            app.metrics.face(outcome);
            face
        })
        .collect()
}

/// Whose summary, and what it shows besides their progress.
pub struct SummaryRequest {
    pub guild: u64,
    pub user: u64,
    /// The member's names, most preferred first.
    pub names: Vec<String>,
    /// Their avatar's hash (none: Discord's default avatar).
    pub avatar: Option<String>,
    pub states: ItemStates,
    pub verified: std::collections::HashSet<crate::roadmap::ItemIdx>,
    pub settings: GuildSettings,
    /// Their current streak, in days.
    pub streak: u32,
    /// Their rank in this week's leaderboard.
    pub rank: Option<u64>,
    pub locale: Locale,
}

/// A member's summary card, as an attachment: the faces are fetched first (briefly), then it is
/// drawn through the shared cache.
pub async fn summary(app: &App, request: SummaryRequest) -> Option<Attachment> {
    let roadmap = app.roadmap.clone();
    let track = track_of(&roadmap, &request.states);
    let date = today(app.clock.now(), &request.settings, request.locale);
    let server: Vec<String> = request.settings.name.clone().into_iter().collect();
    let (avatar, icon) = summary_faces(app, &request, &server).await?;
    let verified = verified_in(&roadmap, track, &request.verified);
    let mut states: Vec<(usize, &'static str)> = request
        .states
        .iter()
        .map(|(item, state)| (item.0, state.as_str()))
        .collect();
    states.sort_unstable();
    let key = fingerprint(&(
        "summary",
        Arc::as_ptr(&roadmap) as usize,
        track.0,
        &states,
        verified,
        &request.names,
        &server,
        (avatar.key(), icon.key()),
        (request.streak, request.rank),
        &date,
        request.locale,
    ));
    let alt = summary_alt(&roadmap, track, &request, verified, &server);
    let SummaryRequest {
        names,
        states,
        streak,
        rank,
        locale,
        ..
    } = request;
    let picture = draw(app, PictureKind::Summary, key, move || {
        let member: Vec<&str> = names.iter().map(String::as_str).collect();
        let server: Vec<&str> = server.iter().map(String::as_str).collect();
        summary::scene(&summary::Summary {
            roadmap: &roadmap,
            track,
            states: &states,
            verified,
            member: &member,
            server: &server,
            avatar: &avatar,
            icon: &icon,
            streak,
            rank,
            date: &date,
            locale,
        })
    })
    .await?;
    Some(Attachment {
        name: SUMMARY_FILE.into(),
        data: picture.png,
        description: Some(alt),
    })
}

/// The member's avatar and the server's icon, for their summary.
async fn summary_faces(
    app: &App,
    request: &SummaryRequest,
    server: &[String],
) -> Option<(Face, Face)> {
    let name = request.names.first().map_or("?", String::as_str);
    let server_name = server.first().map_or("?", String::as_str);
    let mut got = faces(
        app,
        &[
            Whose::Member {
                user: request.user,
                avatar: request.avatar.as_deref(),
                name,
            },
            Whose::Server {
                guild: request.guild,
                icon: request.settings.icon_hash.as_deref(),
                name: server_name,
            },
        ],
    )
    .await;
    let icon = got.pop()?;
    let avatar = got.pop()?;
    Some((avatar, icon))
}

/// How many of a track's items are among `verified`.
fn verified_in(
    roadmap: &Roadmap,
    track: TrackIdx,
    verified: &std::collections::HashSet<crate::roadmap::ItemIdx>,
) -> usize {
    roadmap
        .track(track)
        .sections
        .iter()
        .flat_map(|&s| roadmap.section(s).items.iter())
        .filter(|i| verified.contains(i))
        .count()
}

/// The summary's alt text: the milestone, the counts, the streak and the rank, in words.
fn summary_alt(
    roadmap: &Roadmap,
    track: TrackIdx,
    request: &SummaryRequest,
    verified: usize,
    server: &[String],
) -> String {
    let t = request.locale.texts();
    let count = |state: State| request.states.values().filter(|s| **s == state).count();
    let standing = standing(roadmap, &request.states);
    let (met, required) = standing
        .iter()
        .find(|s| s.track == track)
        .map_or((0, 0), |s| (s.met_sections(), s.required_sections()));
    let names: Vec<&str> = request.names.iter().map(String::as_str).collect();
    let name = super::text::best_name(&names).unwrap_or_else(|| t.picture_member.to_string());
    let server: Vec<&str> = server.iter().map(String::as_str).collect();
    let server = super::text::best_name(&server).unwrap_or_else(|| t.picture_server.to_string());
    let streak = match request.streak {
        0 => t.summary_no_streak.to_string(),
        n => t.summary_streak.fill(n as usize, &[]),
    };
    let rank = match request.rank {
        Some(rank) => fill(t.summary_rank, &[("rank", &rank)]),
        None => t.summary_unranked.to_string(),
    };
    let text = fill(
        t.picture_summary_alt,
        &[
            ("member", &name),
            ("server", &server),
            (
                "sections",
                &t.picture_sections.fill(required, &[("met", &met)]),
            ),
            ("done", &t.count_done.fill(count(State::Done), &[])),
            (
                "learning",
                &t.count_learning.fill(count(State::Learning), &[]),
            ),
            ("verified", &t.count_verified.fill(verified, &[])),
            ("streak", &streak),
            ("rank", &rank),
        ],
    );
    truncate(&text, limits::ATTACHMENT_DESCRIPTION)
}

/// A leaderboard page as a picture, with faces and names as members last appeared (`seen`).
pub async fn leaderboard(
    app: &App,
    page: &crate::render::leaderboard::Board,
    seen: &std::collections::HashMap<u64, Appearance>,
    locale: Locale,
) -> Option<Attachment> {
    let t = locale.texts();
    let words = crate::render::leaderboard::picture_words(&app.roadmap, page, locale);
    let ranked: Vec<&crate::progress::tally::Ranked> =
        page.rows.iter().chain(page.own.as_ref()).collect();
    let name_of = |user: u64| {
        seen.get(&user)
            .and_then(|a| a.name.as_deref())
            .and_then(|name| super::text::best_name(&[name]))
            .unwrap_or_else(|| t.picture_member.to_string())
    };
    let names: Vec<String> = ranked.iter().map(|r| name_of(r.user_id)).collect();
    let whose: Vec<Whose> = ranked
        .iter()
        .zip(&names)
        .map(|(r, name)| Whose::Member {
            user: r.user_id,
            avatar: seen.get(&r.user_id).and_then(|a| a.avatar_hash.as_deref()),
            name,
        })
        .collect();
    let got = faces(app, &whose).await;
    let rows: Vec<board::Row> = ranked
        .iter()
        .zip(names)
        .zip(got)
        .map(|((r, name), face)| board::Row {
            rank: r.rank,
            user: r.user_id,
            name,
            face,
            count: r.done,
        })
        .collect();
    let on_page = page.rows.len();
    let key = fingerprint(&(
        "board",
        &words.title,
        &words.range,
        &words.page,
        words.unit,
        page.viewer,
        rows.iter()
            .map(|r| (r.rank, r.user, &r.name, r.face.key(), r.count))
            .collect::<Vec<_>>(),
        on_page,
    ));
    let alt = board_alt(&words, &rows[..on_page], locale);
    let viewer = page.viewer;
    let picture = draw(app, PictureKind::Leaderboard, key, move || {
        board::scene(&BoardPicture {
            title: &words.title,
            subtitle: &words.range,
            page: words.page.as_deref(),
            rows: &rows[..on_page],
            own: rows.get(on_page),
            unit: words.unit,
            empty: words.empty,
            viewer,
        })
    })
    .await?;
    Some(Attachment {
        name: BOARD_FILE.into(),
        data: picture.png,
        description: Some(alt),
    })
}

/// The leaderboard picture's alt text: its title, its days and its rows.
fn board_alt(
    words: &crate::render::leaderboard::PictureWords,
    rows: &[board::Row],
    locale: Locale,
) -> String {
    let t = locale.texts();
    let rows = if rows.is_empty() {
        words.empty.to_string()
    } else {
        rows.iter()
            .map(|r| {
                fill(
                    t.picture_board_alt_row,
                    &[
                        ("rank", &r.rank),
                        ("member", &r.name),
                        ("count", &format!("{} {}", r.count, words.unit)),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let text = fill(
        t.picture_board_alt,
        &[
            ("title", &words.title),
            ("range", &words.range),
            ("rows", &rows),
        ],
    );
    truncate(&text, limits::ATTACHMENT_DESCRIPTION)
}
