//! The leaderboard picture: a page of the ranking, legible inside the chat. Landscape like the
//! summary card (1200×600) and held to the same rule: no text under
//! [`summary::MIN_TEXT`](super::summary::MIN_TEXT), so none is under 11 px at 550 px wide.
//! Ten rows in two columns (ranks 1–5 on the left, 6–10 on the right), each with the rank,
//! the member's face, their name and their count; the viewer's own row is highlighted, or
//! pinned under the page when they are ranked elsewhere.

use super::face::Face;
use super::layout::{self, MARGIN};
use super::palette;
use super::scene::{Mark, Rect, Scene};
use super::summary::{HEIGHT, MIN_TEXT, WIDTH};
use super::text::{self, Style};

const TITLE: Style = Style::bold(36.0);
const SUBTITLE: Style = Style::regular(MIN_TEXT);
const RANK: Style = Style::bold(30.0);
const NAME: Style = Style::regular(30.0);
const COUNT: Style = Style::bold(30.0);

/// Rows per column, and columns: a page of ten.
const ROWS: usize = 5;
const COLUMNS: usize = 2;
const ROW_HEIGHT: f32 = 72.0;
/// Large enough for initials to be legible (see [`layout::face`]).
const FACE: f32 = 56.0;
const RIGHT: f32 = WIDTH as f32 - MARGIN;
const TOP: f32 = 134.0;

/// One ranked member.
#[derive(Clone, Debug)]
pub struct Row {
    pub rank: u64,
    pub user: u64,
    /// Their name as last seen (a placeholder when never seen).
    pub name: String,
    pub face: Face,
    pub count: i64,
}

/// What the picture shows.
pub struct BoardPicture<'a> {
    /// The board's kind and period ("🏆 Leaderboard · this week").
    pub title: &'a str,
    /// Which days count.
    pub subtitle: &'a str,
    /// "Page 1 of 3", when there are several.
    pub page: Option<&'a str>,
    /// At most ten.
    pub rows: &'a [Row],
    /// The viewer's own row, pinned under the page when it is not on it.
    pub own: Option<&'a Row>,
    /// What the count counts, drawn after it ("✅", "🏅", "🔥").
    pub unit: &'a str,
    /// What an empty board says.
    pub empty: &'a str,
    pub viewer: u64,
}

/// Lays the page out.
pub fn scene(board: &BoardPicture) -> Scene {
    let mut marks = Vec::new();
    header(&mut marks, board);
    let column_width = (RIGHT - MARGIN - 24.0) / COLUMNS as f32;
    let mut panels = Vec::new();
    if board.rows.is_empty() {
        marks.push(Mark::Text(layout::text_block(
            board.empty,
            NAME,
            palette::MUTED,
            MARGIN,
            TOP + 20.0,
            RIGHT - MARGIN,
            3,
        )));
    }
    for (n, row) in board.rows.iter().take(ROWS * COLUMNS).enumerate() {
        let rect = Rect::new(
            MARGIN + (n / ROWS) as f32 * (column_width + 24.0),
            TOP + (n % ROWS) as f32 * ROW_HEIGHT,
            column_width,
            ROW_HEIGHT - 8.0,
        );
        row_marks(&mut marks, board, row, rect);
        panels.push(rect);
    }
    let on_page = board.rows.iter().any(|r| r.user == board.viewer);
    if let Some(own) = board.own.filter(|_| !on_page) {
        let rect = Rect::new(
            MARGIN,
            TOP + ROWS as f32 * ROW_HEIGHT + 6.0,
            column_width,
            ROW_HEIGHT - 8.0,
        );
        row_marks(&mut marks, board, own, rect);
        panels.push(rect);
    }
    Scene {
        width: WIDTH,
        height: HEIGHT,
        background: palette::BACKGROUND,
        marks,
        items: Vec::new(),
        panels,
    }
}

fn header(marks: &mut Vec<Mark>, board: &BoardPicture) {
    let page_width = board.page.map_or(0.0, |p| text::measure(p, SUBTITLE) + 1.0);
    if let Some(page) = board.page {
        marks.push(Mark::Text(layout::line_block(
            page,
            SUBTITLE,
            palette::MUTED,
            RIGHT - page_width,
            MARGIN + (TITLE.line_height() - SUBTITLE.line_height()) / 2.0,
            page_width,
        )));
    }
    marks.push(Mark::Text(layout::line_block(
        board.title,
        TITLE,
        palette::TEXT,
        MARGIN,
        MARGIN,
        RIGHT - MARGIN - page_width - 24.0,
    )));
    marks.push(Mark::Text(layout::line_block(
        board.subtitle,
        SUBTITLE,
        palette::MUTED,
        MARGIN,
        MARGIN + TITLE.line_height() + 2.0,
        RIGHT - MARGIN,
    )));
}

/// The medals of the first three, the number of the others.
fn rank_label(rank: u64) -> String {
    match rank {
        1 => "🥇".into(),
        2 => "🥈".into(),
        3 => "🥉".into(),
        n => format!("#{n}"),
    }
}

/// One row in its panel: rank, face, name, count (the viewer's own highlighted).
fn row_marks(marks: &mut Vec<Mark>, board: &BoardPicture, row: &Row, rect: Rect) {
    let own = row.user == board.viewer;
    marks.push(Mark::Panel {
        rect,
        fill: if own {
            palette::PANEL.mix(palette::BRAND, 0.14)
        } else {
            palette::PANEL
        },
        outline: Some(if own {
            palette::BRAND
        } else {
            palette::OUTLINE
        }),
        radius: 12.0,
    });
    let middle = |style: Style| rect.y + (rect.h - style.line_height()) / 2.0;
    let rank = rank_label(row.rank);
    // Ranks up to 6 digits fit; the name gives way.
    let rank_width = text::measure(&rank, RANK).max(text::measure("#10", RANK)) + 1.0;
    let x = rect.x + 14.0;
    marks.push(Mark::Text(layout::line_block(
        &rank,
        RANK,
        palette::MUTED,
        x,
        middle(RANK),
        rank_width,
    )));
    let face_x = x + rank_width + 12.0;
    layout::face(
        marks,
        &row.face,
        Rect::new(face_x, rect.y + (rect.h - FACE) / 2.0, FACE, FACE),
    );
    let count = format!("{} {}", row.count, board.unit);
    let count_width = text::measure(&count, COUNT) + 1.0;
    marks.push(Mark::Text(layout::line_block(
        &count,
        COUNT,
        palette::TEXT,
        rect.right() - 16.0 - count_width,
        middle(COUNT),
        count_width,
    )));
    let name_x = face_x + FACE + 14.0;
    marks.push(Mark::Text(layout::line_block(
        &row.name,
        NAME,
        palette::TEXT,
        name_x,
        middle(NAME),
        rect.right() - 16.0 - count_width - 12.0 - name_x,
    )));
}
