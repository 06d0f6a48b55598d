//! When study prompts are due: a local time on chosen weekdays, in the server's time zone.
//!
//! Slots are computed from the local calendar, so 09:00 stays 09:00 across daylight-saving
//! changes. A time that does not exist on a day (the clock jumps over it) moves forward by the
//! jump; a time that happens twice (the clock falls back) is the first of the two, once.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::{Disambiguation, TimeZone};
use jiff::{Timestamp, ToSpan};

use crate::i18n::Locale;
use crate::roadmap::search::normalize;

/// A set of weekdays (bit 0 = Monday ... bit 6 = Sunday).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Days(pub u8);

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

const NAMES_PT: [&str; 7] = ["seg", "ter", "qua", "qui", "sex", "sáb", "dom"];
const NAMES_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl Days {
    pub const EVERY_DAY: Days = Days(0b111_1111);
    pub const WEEKDAYS: Days = Days(0b001_1111);
    pub const WEEKENDS: Days = Days(0b110_0000);

    pub fn contains(self, day: Weekday) -> bool {
        let bit = WEEK.iter().position(|d| *d == day).unwrap_or(0);
        self.0 & (1 << bit) != 0
    }

    /// Parses what an admin types, in Portuguese or English: "todos os dias", "every day",
    /// "dias úteis", "weekdays", "fim de semana", "weekends", or a list such as "seg,qua,sex",
    /// "mon wed fri", "segunda, quarta".
    pub fn parse(text: &str) -> Option<Days> {
        let n = normalize(text);
        match n.as_str() {
            "" | "todos" | "todos os dias" | "todo dia" | "diario" | "every day" | "everyday"
            | "daily" | "all" => {
                return Some(Days::EVERY_DAY);
            }
            "dias uteis" | "uteis" | "seg a sex" | "segunda a sexta" | "weekdays"
            | "mon to fri" | "mon fri" => {
                return Some(Days::WEEKDAYS);
            }
            "fim de semana" | "fins de semana" | "weekend" | "weekends" => {
                return Some(Days::WEEKENDS);
            }
            _ => {}
        }
        let mut bits = 0u8;
        for word in n.split(' ') {
            let day = match word {
                "seg" | "segunda" | "mon" | "monday" => 0,
                "ter" | "terca" | "tue" | "tues" | "tuesday" => 1,
                "qua" | "quarta" | "wed" | "wednesday" => 2,
                "qui" | "quinta" | "thu" | "thur" | "thurs" | "thursday" => 3,
                "sex" | "sexta" | "fri" | "friday" => 4,
                "sab" | "sabado" | "sat" | "saturday" => 5,
                "dom" | "domingo" | "sun" | "sunday" => 6,
                "e" | "and" | "feira" => continue,
                _ => return None,
            };
            bits |= 1 << day;
        }
        (bits != 0).then_some(Days(bits))
    }

    /// "seg, qua, sex" / "Mon, Wed, Fri", or a word for the usual sets.
    pub fn label(self, locale: Locale) -> String {
        match (self, locale) {
            (Days::EVERY_DAY, Locale::PtBr) => "todos os dias".into(),
            (Days::EVERY_DAY, Locale::En) => "every day".into(),
            (Days::WEEKDAYS, Locale::PtBr) => "dias úteis (seg a sex)".into(),
            (Days::WEEKDAYS, Locale::En) => "weekdays (Mon to Fri)".into(),
            _ => {
                let names = if locale == Locale::PtBr {
                    NAMES_PT
                } else {
                    NAMES_EN
                };
                (0..7)
                    .filter(|i| self.0 & (1 << i) != 0)
                    .map(|i| names[i])
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    }
}

/// Parses a time of day: "09:00", "9:00", "9h", "9h30", "21".
pub fn parse_time(text: &str) -> Option<Time> {
    let t = text.trim().to_lowercase().replace(['h', '.'], ":");
    let t = t.trim_end_matches(':');
    let (hour, minute) = match t.split_once(':') {
        Some((h, m)) => (
            h.trim().parse::<i8>().ok()?,
            if m.trim().is_empty() {
                0
            } else {
                m.trim().parse::<i8>().ok()?
            },
        ),
        None => (t.parse::<i8>().ok()?, 0),
    };
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) {
        return None;
    }
    Time::new(hour, minute, 0, 0).ok()
}

/// A server's posting schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub time: Time,
    pub days: Days,
    pub tz: TimeZone,
}

impl Schedule {
    /// The instant of the slot on a local date, if that weekday is scheduled.
    pub fn slot_on(&self, date: Date) -> Option<Timestamp> {
        if !self.days.contains(date.weekday()) {
            return None;
        }
        // Compatible: a skipped time moves forward by the gap, a repeated time takes the first.
        let zoned = self
            .tz
            .to_ambiguous_zoned(date.to_datetime(self.time))
            .disambiguate(Disambiguation::Compatible)
            .ok()?;
        Some(zoned.timestamp())
    }

    /// The first slot strictly after `after`.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let start = after.to_zoned(self.tz.clone()).date();
        // Look a little behind too: a date's slot can land before the date starts locally.
        (-1..9)
            .filter_map(|d: i64| start.checked_add(d.days()).ok())
            .filter_map(|date| self.slot_on(date))
            .find(|slot| *slot > after)
    }

    /// The latest slot at or before `at`, at or after `from` (missed slots after downtime).
    pub fn latest_between(&self, from: Timestamp, at: Timestamp) -> Option<Timestamp> {
        let mut latest = None;
        let mut cursor = from.checked_sub(1.second()).ok()?;
        while let Some(slot) = self.next_after(cursor) {
            if slot > at {
                break;
            }
            latest = Some(slot);
            cursor = slot;
        }
        latest
    }
}

/// What to do with a due slot after downtime: post it once if it is still recent, or skip it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    Post,
    TooLate,
}

pub fn within_grace(slot: i64, now: i64, grace_seconds: i64) -> Due {
    if now - slot <= grace_seconds {
        Due::Post
    } else {
        Due::TooLate
    }
}

/// The schedule of a stored row, or `None` when it cannot be read (then it is paused).
pub fn schedule_of(row: &crate::prompts::records::PromptSchedule) -> Option<Schedule> {
    Some(Schedule {
        time: parse_time(&row.local_time)?,
        days: Days(row.days),
        tz: TimeZone::get(&row.timezone).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn schedule(zone: &str, time: &str, days: Days) -> Schedule {
        Schedule {
            time: parse_time(time).unwrap(),
            days,
            tz: TimeZone::get(zone).unwrap(),
        }
    }

    #[test]
    fn parses_times_and_days_in_both_languages() {
        assert_eq!(parse_time("09:00"), Time::new(9, 0, 0, 0).ok());
        assert_eq!(parse_time("9h30"), Time::new(9, 30, 0, 0).ok());
        assert_eq!(parse_time("21"), Time::new(21, 0, 0, 0).ok());
        assert_eq!(parse_time("9h"), Time::new(9, 0, 0, 0).ok());
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("nine"), None);
        assert_eq!(Days::parse("dias úteis"), Some(Days::WEEKDAYS));
        assert_eq!(Days::parse("weekdays"), Some(Days::WEEKDAYS));
        assert_eq!(Days::parse("todos os dias"), Some(Days::EVERY_DAY));
        assert_eq!(Days::parse("seg, qua e sex"), Some(Days(0b10101)));
        assert_eq!(Days::parse("Mon Wed Fri"), Some(Days(0b10101)));
        assert_eq!(Days::parse("sábado, domingo"), Some(Days::WEEKENDS));
        assert_eq!(Days::parse("someday"), None);
        assert_eq!(Days(0b10101).label(Locale::PtBr), "seg, qua, sex");
        assert_eq!(Days(0b10101).label(Locale::En), "Mon, Wed, Fri");
    }

    #[test]
    fn new_york_keeps_nine_oclock_across_both_changes() {
        let s = schedule("America/New_York", "09:00", Days::EVERY_DAY);
        // Spring forward: Sunday 2026-03-08. 09:00 EST (-5) the day before, 09:00 EDT (-4) after.
        assert_eq!(
            s.next_after(ts("2026-03-07T15:00:00Z")),
            Some(ts("2026-03-08T13:00:00Z"))
        );
        assert_eq!(
            s.next_after(ts("2026-03-06T15:00:00Z")),
            Some(ts("2026-03-07T14:00:00Z"))
        );
        // Fall back: Sunday 2026-11-01.
        assert_eq!(
            s.next_after(ts("2026-10-31T14:00:00Z")),
            Some(ts("2026-11-01T14:00:00Z"))
        );
    }

    #[test]
    fn a_time_that_does_not_exist_moves_forward_and_a_repeated_one_posts_once() {
        // New York skips 02:00-03:00 on 2026-03-08: a 02:30 schedule posts at 03:30 EDT.
        let s = schedule("America/New_York", "02:30", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2026, 3, 8).unwrap()),
            Some(ts("2026-03-08T07:30:00Z"))
        );
        // 01:30 happens twice on 2026-11-01 (EDT, then EST): one slot, the first.
        let s = schedule("America/New_York", "01:30", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2026, 11, 1).unwrap()),
            Some(ts("2026-11-01T05:30:00Z"))
        );
        let after_first = s.next_after(ts("2026-11-01T05:30:00Z")).unwrap();
        assert_eq!(
            after_first,
            ts("2026-11-02T06:30:00Z"),
            "the repeated 01:30 EST is not a second slot"
        );
    }

    #[test]
    fn lisbon_follows_the_european_change() {
        let s = schedule("Europe/Lisbon", "09:00", Days::EVERY_DAY);
        // Lisbon: WET (+0) until 2026-03-29 01:00 UTC, then WEST (+1).
        assert_eq!(
            s.slot_on(Date::new(2026, 3, 28).unwrap()),
            Some(ts("2026-03-28T09:00:00Z"))
        );
        assert_eq!(
            s.slot_on(Date::new(2026, 3, 29).unwrap()),
            Some(ts("2026-03-29T08:00:00Z"))
        );
        // 01:30 does not exist on 2026-03-29 (01:00 -> 02:00): moves to 02:30 WEST.
        let s = schedule("Europe/Lisbon", "01:30", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2026, 3, 29).unwrap()),
            Some(ts("2026-03-29T01:30:00Z"))
        );
    }

    #[test]
    fn sao_paulo_today_and_in_its_daylight_saving_years() {
        let s = schedule("America/Sao_Paulo", "09:00", Days::WEEKDAYS);
        // No DST since 2019: always UTC-3. Friday 2026-11-20 -> next is Monday 2026-11-23.
        assert_eq!(
            s.next_after(ts("2026-11-20T12:00:00Z")),
            Some(ts("2026-11-23T12:00:00Z"))
        );
        // In 2018 DST began at midnight on Sunday 2018-11-04 (00:00 -> 01:00): a 00:30 schedule
        // on that day moves to 01:30 -02.
        let s = schedule("America/Sao_Paulo", "00:30", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2018, 11, 4).unwrap()),
            Some(ts("2018-11-04T03:30:00Z"))
        );
        // and 09:00 the day before was at -03, the day after at -02.
        let s = schedule("America/Sao_Paulo", "09:00", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2018, 11, 3).unwrap()),
            Some(ts("2018-11-03T12:00:00Z"))
        );
        assert_eq!(
            s.slot_on(Date::new(2018, 11, 5).unwrap()),
            Some(ts("2018-11-05T11:00:00Z"))
        );
    }

    #[test]
    fn half_hour_and_quarter_hour_offsets() {
        // Lord Howe Island moves by 30 minutes: +10:30 standard, +11 in summer (from 2026-10-04 02:00).
        let s = schedule("Australia/Lord_Howe", "09:00", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2026, 10, 3).unwrap()),
            Some(ts("2026-10-02T22:30:00Z"))
        );
        assert_eq!(
            s.slot_on(Date::new(2026, 10, 4).unwrap()),
            Some(ts("2026-10-03T22:00:00Z"))
        );
        // 02:15 does not exist that night (02:00 -> 02:30): it moves forward 30 minutes.
        let s = schedule("Australia/Lord_Howe", "02:15", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2026, 10, 4).unwrap()),
            Some(ts("2026-10-03T15:45:00Z"))
        );
        // Kathmandu: +05:45 all year.
        let s = schedule("Asia/Kathmandu", "09:00", Days::EVERY_DAY);
        assert_eq!(
            s.slot_on(Date::new(2026, 7, 1).unwrap()),
            Some(ts("2026-07-01T03:15:00Z"))
        );
    }

    #[test]
    fn only_the_latest_missed_slot_is_a_candidate_and_only_within_the_grace_window() {
        let s = schedule("America/Sao_Paulo", "09:00", Days::EVERY_DAY);
        // Down from Monday 08:00 until Wednesday 10:30 local: three slots missed.
        let from = ts("2026-11-23T11:00:00Z");
        let now = ts("2026-11-25T13:30:00Z");
        let latest = s.latest_between(from, now).unwrap();
        assert_eq!(latest, ts("2026-11-25T12:00:00Z"), "Wednesday's 09:00 only");
        let grace = 2 * 3600;
        assert_eq!(
            within_grace(latest.as_second(), now.as_second(), grace),
            Due::Post
        );
        assert_eq!(
            within_grace(latest.as_second(), now.as_second() + 2 * 3600, grace),
            Due::TooLate
        );
        assert_eq!(
            within_grace(latest.as_second(), latest.as_second() + grace, grace),
            Due::Post,
            "the edge is inclusive"
        );
        assert_eq!(s.latest_between(ts("2026-11-25T12:00:01Z"), now), None);
    }
}
