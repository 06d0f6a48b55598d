//! The leaderboard: a page of ten, the viewer's own rank, the rules in the footer.

use jiff::tz::TimeZone;

use super::{COLOUR_BRAND, page_buttons};
use crate::component::ComponentId;
use crate::i18n::{Locale, fill};
use crate::progress::periods::{Period, local_range};
use crate::progress::tally::Ranked;
use crate::progress::tally::{BoardKind, TallyKey};
use crate::reply::{Button, Embed, Reply, limits, truncate};
use crate::roadmap::{Roadmap, SectionIdx};

/// Everything a leaderboard page shows.
pub struct Board {
    pub owner: u64,
    /// A member's own ephemeral copy (its buttons page it in place).
    pub private: bool,
    pub viewer: u64,
    pub period: Period,
    pub section: Option<SectionIdx>,
    pub key: TallyKey,
    pub timezone: String,
    pub tz: TimeZone,
    pub rows: Vec<Ranked>,
    pub total: u64,
    pub page: usize,
    pub pages: usize,
    pub own: Option<Ranked>,
    pub stale: bool,
    pub kind: BoardKind,
}

pub fn period_name(period: Period, locale: Locale) -> &'static str {
    let t = locale.texts();
    match period {
        Period::Week => t.period_week,
        Period::Month => t.period_month,
        Period::All => t.period_all,
    }
}

fn position(rank: u64) -> String {
    match rank {
        1 => "🥇".into(),
        2 => "🥈".into(),
        3 => "🥉".into(),
        n => format!("`#{n}`"),
    }
}

fn date(d: jiff::civil::Date, locale: Locale) -> String {
    match locale {
        Locale::PtBr => d.strftime("%d/%m/%Y").to_string(),
        Locale::En => d.strftime("%Y-%m-%d").to_string(),
    }
}

/// The texts of one kind of board: the layout is the same for every kind, only the words differ.
struct BoardWords {
    title: &'static str,
    /// The title of a board limited to one section (a streak board's is the same either way).
    title_section: &'static str,
    line: &'static str,
    you: &'static str,
    you_none: &'static str,
    empty: &'static str,
    footer: &'static str,
}

impl BoardWords {
    /// The words for `kind` in `locale`.
    fn of(kind: BoardKind, locale: Locale) -> BoardWords {
        let t = locale.texts();
        match kind {
            BoardKind::Done => BoardWords {
                title: t.board_title,
                title_section: t.board_title_section,
                line: t.board_line,
                you: t.board_you,
                you_none: t.board_you_none,
                empty: t.board_empty,
                footer: t.board_footer,
            },
            BoardKind::Verified => BoardWords {
                title: t.board_title_verified,
                title_section: t.board_title_section_verified,
                line: t.board_line_verified,
                you: t.board_you_verified,
                you_none: t.board_you_none_verified,
                empty: t.board_empty_verified,
                footer: t.board_footer_verified,
            },
            BoardKind::Streak => BoardWords {
                title: t.board_title_streak,
                title_section: t.board_title_streak,
                line: t.board_line_streak,
                you: t.board_you_streak,
                you_none: t.board_you_none_streak,
                empty: t.board_empty_streak,
                footer: t.board_footer_streak,
            },
        }
    }
}

/// A leaderboard page: the ranking in the description (mentions show names without pinging
/// anyone), the viewer's own rank under it, and buttons to the other pages.
pub fn board(roadmap: &Roadmap, b: &Board, locale: Locale) -> Reply {
    let words = BoardWords::of(b.kind, locale);
    let embed = Embed {
        image: None,
        title: truncate(&title(roadmap, b, &words, locale), limits::EMBED_TITLE),
        description: truncate(&description(b, &words, locale), limits::EMBED_DESCRIPTION),
        url: None,
        colour: COLOUR_BRAND,
        fields: Vec::new(),
        footer: Some(truncate(&footer(b, &words, locale), limits::EMBED_FOOTER)),
    };
    // Mentions render as names; allowed_mentions stays empty so nobody is pinged.
    Reply::ephemeral(embed).with_rows(vec![buttons(roadmap, b, locale)])
}

/// What the leaderboard picture writes: the title, which days count, the page indicator (when
/// there are several pages), what a count is (an emoji) and what an empty board says.
pub struct PictureWords {
    pub title: String,
    pub range: String,
    pub page: Option<String>,
    pub unit: &'static str,
    pub empty: &'static str,
}

/// The words of a board's picture, the same as its text's.
pub fn picture_words(roadmap: &Roadmap, b: &Board, locale: Locale) -> PictureWords {
    let words = BoardWords::of(b.kind, locale);
    PictureWords {
        title: title(roadmap, b, &words, locale),
        range: range(b, locale),
        page: (b.pages > 1).then(|| {
            fill(
                locale.texts().page_indicator,
                &[("page", &(b.page + 1)), ("pages", &b.pages)],
            )
        }),
        unit: match b.kind {
            BoardKind::Done => "✅",
            BoardKind::Verified => "🏅",
            BoardKind::Streak => "🔥",
        },
        empty: words.empty,
    }
}

/// The board's kind and period, and its section when it has one.
fn title(roadmap: &Roadmap, b: &Board, words: &BoardWords, locale: Locale) -> String {
    let period = period_name(b.period, locale);
    match b.section {
        Some(s) => fill(
            words.title_section,
            &[
                ("section", &roadmap.section(s).name.get(locale)),
                ("period", &period),
            ],
        ),
        None => fill(words.title, &[("period", &period)]),
    }
}

/// A warning when the period is over, the dates counted, the ranking and the viewer's own rank.
fn description(b: &Board, words: &BoardWords, locale: Locale) -> String {
    let mut description = String::new();
    if b.stale {
        description.push_str(locale.texts().board_period_over);
        description.push_str("\n\n");
    }
    description.push_str(&range(b, locale));
    description.push_str("\n\n");
    if b.rows.is_empty() {
        description.push_str(words.empty);
    } else {
        for row in &b.rows {
            let line = fill(
                words.line,
                &[
                    ("position", &position(row.rank)),
                    ("user", &row.user_id),
                    ("done", &row.done),
                ],
            );
            description.push_str(&line);
            if row.user_id == b.viewer {
                description.push_str(" ◀");
            }
            description.push('\n');
        }
    }
    description.push('\n');
    description.push_str(&match &b.own {
        Some(own) => fill(words.you, &[("rank", &own.rank), ("done", &own.done)]),
        None => words.you_none.to_string(),
    });
    description
}

/// Which days count: a week or month as dates in the server's time zone; streaks and all time
/// say so in words.
fn range(b: &Board, locale: Locale) -> String {
    let t = locale.texts();
    match b.period {
        _ if b.kind == BoardKind::Streak => t.board_range_streak.to_string(),
        Period::All => t.board_range_all.to_string(),
        period => {
            let (from, to) = local_range(period, b.key.starts, &b.tz);
            fill(
                t.board_range,
                &[
                    ("from", &date(from, locale)),
                    ("to", &date(to, locale)),
                    ("timezone", &b.timezone),
                ],
            )
        }
    }
}

/// How many members are ranked, after the page indicator when there are several pages.
fn footer(b: &Board, words: &BoardWords, locale: Locale) -> String {
    let t = locale.texts();
    let footer = fill(
        words.footer,
        &[("ranked", &t.board_ranked.fill(b.total as usize, &[]))],
    );
    if b.pages > 1 {
        let indicator = fill(
            t.page_indicator,
            &[("page", &(b.page + 1)), ("pages", &b.pages)],
        );
        format!("{indicator} · {footer}")
    } else {
        footer
    }
}

/// Page buttons that reopen this same board (kind, period, section, period start) on
/// another page.
fn buttons(roadmap: &Roadmap, b: &Board, locale: Locale) -> Vec<Button> {
    page_buttons(b.page, b.pages, locale, |page| {
        ComponentId::Board {
            owner: b.owner,
            period: b.period,
            section: b
                .section
                .map(|s| roadmap.section(s).id.clone())
                .unwrap_or_default(),
            page,
            starts: b.key.starts,
            private: b.private,
            kind: b.kind,
        }
        .encode()
    })
}
