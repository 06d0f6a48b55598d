//! `/streak view`: the streak, the record, freezes held, and the last 12 weeks as a calendar.

use std::collections::HashMap;

use super::COLOUR_BRAND;
use crate::i18n::{Locale, fill};
use crate::progress::streak::{Day, DayKind, Streak, date_of};
use crate::reply::{Embed, Field, Reply};

pub struct StreakView {
    pub user: u64,
    /// As of today.
    pub streak: Streak,
    pub today: Day,
    /// The calendar's first day (a Monday).
    pub first: Day,
    pub kinds: HashMap<Day, DayKind>,
    /// The member's first study day.
    pub started: Option<Day>,
    /// The member's own reminder: (time, time zone).
    pub reminder: Option<(String, String)>,
    pub locale: Locale,
}

fn cell(view: &StreakView, day: Day) -> &'static str {
    if day > view.today {
        return "▫️";
    }
    if day == view.today && !view.streak.studied_on(day) {
        return "▫️"; // still open: today is never missed before it ends
    }
    match view.kinds.get(&day) {
        Some(DayKind::Studied) => "🟩",
        Some(DayKind::Frozen) => "🧊",
        Some(DayKind::Missed) => "⬛",
        None if view.started.is_none_or(|s| day < s) => "⬜",
        None => "⬛",
    }
}

pub fn streak(view: &StreakView) -> Reply {
    let t = view.locale.texts();
    let s = &view.streak;
    let mut description = fill(
        t.streak_summary,
        &[
            ("user", &view.user),
            ("current", &t.streak_days.fill(s.current as usize, &[])),
            ("longest", &t.streak_days.fill(s.longest as usize, &[])),
            ("freezes", &s.freezes),
        ],
    );
    description.push('\n');
    description.push_str(if s.current == 0 {
        t.streak_none
    } else if s.studied_on(view.today) {
        t.streak_kept_today
    } else {
        t.streak_keep_today
    });
    if let Some((time, timezone)) = &view.reminder {
        description.push('\n');
        description.push_str(&fill(
            t.streak_reminder_line,
            &[("time", time), ("timezone", timezone)],
        ));
    }
    // One line per week, Monday to Sunday, with the week's first date.
    let mut weeks = Vec::new();
    let mut monday = view.first;
    while monday <= view.today {
        let date = date_of(monday);
        let label = match view.locale {
            Locale::PtBr => format!("{:02}/{:02}", date.day(), date.month()),
            Locale::En => format!("{:02}-{:02}", date.month(), date.day()),
        };
        let cells: String = (0..7).map(|d| cell(view, monday + d)).collect();
        weeks.push(format!("`{label}` {cells}"));
        monday += 7;
    }
    weeks.push(t.streak_legend.to_string());
    Reply::ephemeral(Embed {
        title: t.streak_title.into(),
        description,
        colour: COLOUR_BRAND,
        fields: vec![Field::new(t.streak_calendar_field, weeks.join("\n"))],
        footer: Some(t.streak_rules.to_string()),
        ..Embed::default()
    })
}
/// `/streak reminder`'s answer: on at a time (in the server's time zone), or off.
pub fn reminder_set(on: Option<(&str, &str)>, locale: Locale) -> Reply {
    let t = locale.texts();
    crate::render::prompts::notice(match on {
        Some((time, timezone)) => fill(
            t.streak_reminder_on,
            &[("time", &time), ("timezone", &timezone)],
        ),
        None => t.streak_reminder_off.to_string(),
    })
}

/// A reply with the notice that the member's reminders were turned off (Discord refused the
/// DM) above it.
pub fn with_dms_closed_notice(mut reply: Reply, locale: Locale) -> Reply {
    let notice = locale.texts().streak_notice_dms_closed;
    reply.content = Some(match reply.content.take() {
        Some(content) => crate::reply::truncate(
            &format!("{notice}\n\n{content}"),
            crate::reply::limits::CONTENT,
        ),
        None => notice.to_string(),
    });
    reply
}

/// The streak reminder DM: the streak at stake, the server and its time zone.
pub fn reminder_dm(current: u32, server: Option<&str>, timezone: &str, locale: Locale) -> Reply {
    let t = locale.texts();
    let text = fill(
        t.streak_reminder_dm,
        &[
            ("days", &t.streak_days.fill(current as usize, &[])),
            ("server", &server.unwrap_or(t.picture_server)),
            ("timezone", &timezone),
        ],
    );
    Reply::ephemeral_text(text).public_text()
}
