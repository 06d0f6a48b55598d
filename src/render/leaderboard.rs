//! The leaderboard: a page of ten, the viewer's own rank, the rules in the footer.

use jiff::tz::TimeZone;

use super::{COLOUR_BRAND, page_buttons};
use crate::component::ComponentId;
use crate::i18n::{Locale, fill};
use crate::progress::periods::{Period, local_range};
use crate::progress::tally::Ranked;
use crate::progress::tally::{BoardKind, TallyKey};
use crate::reply::{Embed, Reply, limits, truncate};
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

pub fn board(roadmap: &Roadmap, b: &Board, locale: Locale) -> Reply {
    let t = locale.texts();
    let period = period_name(b.period, locale);
    // Each kind's own words; the layout is the same.
    let (title_all, title_section, line, you, you_none, empty, footer_text) = match b.kind {
        BoardKind::Done => (
            t.board_title,
            t.board_title_section,
            t.board_line,
            t.board_you,
            t.board_you_none,
            t.board_empty,
            t.board_footer,
        ),
        BoardKind::Verified => (
            t.board_title_verified,
            t.board_title_section_verified,
            t.board_line_verified,
            t.board_you_verified,
            t.board_you_none_verified,
            t.board_empty_verified,
            t.board_footer_verified,
        ),
        BoardKind::Streak => (
            t.board_title_streak,
            t.board_title_streak,
            t.board_line_streak,
            t.board_you_streak,
            t.board_you_none_streak,
            t.board_empty_streak,
            t.board_footer_streak,
        ),
    };
    let title = match b.section {
        Some(s) => fill(
            title_section,
            &[
                ("section", &roadmap.section(s).name.get(locale)),
                ("period", &period),
            ],
        ),
        None => fill(title_all, &[("period", &period)]),
    };
    let mut description = String::new();
    if b.stale {
        description.push_str(t.board_period_over);
        description.push_str("\n\n");
    }
    description.push_str(&match b.period {
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
    });
    description.push_str("\n\n");
    if b.rows.is_empty() {
        description.push_str(empty);
    } else {
        for row in &b.rows {
            let line = fill(
                line,
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
        Some(own) => fill(you, &[("rank", &own.rank), ("done", &own.done)]),
        None => you_none.to_string(),
    });
    let mut footer = fill(
        footer_text,
        &[("ranked", &t.board_ranked.fill(b.total as usize, &[]))],
    );
    if b.pages > 1 {
        footer = format!(
            "{} · {footer}",
            fill(
                t.page_indicator,
                &[("page", &(b.page + 1)), ("pages", &b.pages)]
            )
        );
    }
    let buttons = page_buttons(b.page, b.pages, locale, |page| {
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
    });
    let embed = Embed {
        image: None,
        title: truncate(&title, limits::EMBED_TITLE),
        description: truncate(&description, limits::EMBED_DESCRIPTION),
        url: None,
        colour: COLOUR_BRAND,
        fields: Vec::new(),
        footer: Some(truncate(&footer, limits::EMBED_FOOTER)),
    };
    // Mentions render as names; allowed_mentions stays empty so nobody is pinged.
    Reply::ephemeral(embed).with_rows(vec![buttons])
}
