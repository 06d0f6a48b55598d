//! Study streaks: consecutive study days in the server's time zone, with freezes.
//!
//! A study day is a calendar day (in the server's time zone) on which the member changed their
//! progress (marked an item done, learning or skipped) or answered a quiz question. The streak
//! counts consecutive study days; every 7 consecutive study days earn a freeze (at most 2 held),
//! and a missed day is covered by a held freeze automatically: the streak stays alive but the
//! covered day does not count. Today is never missed before it ends.
//!
//! Everything follows from the list of study days, so it can always be recomputed from the
//! event log ([`Streak::from_days`]); the store keeps a summary updated one study day at a time
//! ([`Streak::study`]), equal to the recomputation (a randomized test checks it).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Consecutive study days that earn a freeze.
pub const FREEZE_EVERY: u32 = 7;
/// Freezes a member can hold.
pub const MAX_FREEZES: u32 = 2;

/// A calendar day as a number (days since 1970-01-01), so gaps are subtractions.
pub type Day = i32;

/// The day of an instant in a time zone.
pub fn day_of(at: i64, tz: &TimeZone) -> Day {
    let date = Timestamp::from_second(at)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .date();
    day_number(date)
}

pub fn day_number(date: Date) -> Day {
    date.since(Date::constant(1970, 1, 1))
        .map_or(0, |span| span.get_days())
}

pub fn date_of(day: Day) -> Date {
    Date::constant(1970, 1, 1)
        .checked_add(jiff::Span::new().days(i64::from(day)))
        .unwrap_or(Date::constant(1970, 1, 1))
}

/// A member's streak as of their last study day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Streak {
    /// Consecutive study days (covered days keep it alive without counting).
    pub current: u32,
    pub longest: u32,
    /// Freezes held.
    pub freezes: u32,
    /// Consecutive study days towards the next freeze.
    pub run: u32,
    pub last_day: Option<Day>,
    /// When the current streak reached its length: the first activity of its last study day
    /// (ties on a streak leaderboard go to who got there first).
    pub reached_at: i64,
}

/// What a day of a member's calendar was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    Studied,
    /// Missed, covered by a freeze.
    Frozen,
    Missed,
}

impl Streak {
    /// `missed` whole days passed without study: freezes cover them while they last; past that
    /// the streak breaks. Returns how many were covered.
    fn miss(&mut self, missed: u32) -> u32 {
        self.run = 0;
        if missed <= self.freezes {
            self.freezes -= missed;
            missed
        } else {
            let covered = self.freezes;
            self.freezes = 0;
            self.current = 0;
            covered
        }
    }

    /// Adds a study day (days come in order; the same day again, or an earlier one, changes
    /// nothing). `at` is the activity's time.
    pub fn study(&mut self, day: Day, at: i64) -> bool {
        if let Some(last) = self.last_day {
            if day <= last {
                return false;
            }
            let missed = (day - last - 1) as u32;
            if missed > 0 {
                self.miss(missed);
            }
        }
        self.current += 1;
        self.run += 1;
        if self.run.is_multiple_of(FREEZE_EVERY) {
            self.freezes = (self.freezes + 1).min(MAX_FREEZES);
        }
        self.longest = self.longest.max(self.current);
        self.last_day = Some(day);
        self.reached_at = at;
        true
    }

    /// The streak as of `today`: the days after the last study day that are over are missed.
    pub fn as_of(&self, today: Day) -> Streak {
        let mut out = *self;
        if let Some(last) = self.last_day {
            let missed = today - last - 1;
            if missed > 0 {
                out.miss(missed as u32);
            }
        }
        out
    }

    /// Whether the member studied on `today`.
    pub fn studied_on(&self, today: Day) -> bool {
        self.last_day == Some(today)
    }

    /// The streak from the study activities (times, any order) in a time zone.
    pub fn from_times(times: &[i64], tz: &TimeZone) -> Streak {
        let mut days: Vec<(Day, i64)> = times.iter().map(|&at| (day_of(at, tz), at)).collect();
        days.sort_unstable();
        Streak::from_days(days)
    }

    /// The streak from (day, time) pairs in order.
    pub fn from_days(days: impl IntoIterator<Item = (Day, i64)>) -> Streak {
        let mut streak = Streak::default();
        for (day, at) in days {
            streak.study(day, at);
        }
        streak
    }
}

/// Each day from `first` to `today` (inclusive) as studied, frozen or missed, replaying the
/// member's whole history (freezes held before `first` matter).
pub fn calendar(study_days: &[Day], first: Day, today: Day) -> Vec<(Day, DayKind)> {
    let mut days: Vec<Day> = study_days.to_vec();
    days.sort_unstable();
    days.dedup();
    let mut out = Vec::new();
    let mut streak = Streak::default();
    let record = |day: Day, kind: DayKind, out: &mut Vec<(Day, DayKind)>| {
        if day >= first && day <= today {
            out.push((day, kind));
        }
    };
    let mut previous: Option<Day> = None;
    for &day in days.iter().filter(|d| **d <= today) {
        if let Some(last) = previous {
            let held = streak.freezes;
            let missed = (day - last - 1).max(0) as u32;
            let covered = missed.min(held);
            for n in 0..missed {
                let kind = if n < covered {
                    DayKind::Frozen
                } else {
                    DayKind::Missed
                };
                record(last + 1 + n as i32, kind, &mut out);
            }
        }
        streak.study(day, 0);
        record(day, DayKind::Studied, &mut out);
        previous = Some(day);
    }
    // Days since the last study day, up to yesterday (today is not over). Before any study
    // day there is nothing to show: those days are before the start, not missed.
    let Some(last) = previous else {
        return out;
    };
    let start = last + 1;
    let mut held = streak.freezes;
    for day in start..today {
        let kind = if held > 0 {
            held -= 1;
            DayKind::Frozen
        } else {
            DayKind::Missed
        };
        record(day, kind, &mut out);
    }
    out.retain(|(d, _)| *d >= first);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(list: &[Day]) -> Streak {
        Streak::from_days(list.iter().map(|&d| (d, i64::from(d) * 86_400)))
    }

    #[test]
    fn consecutive_days_count_and_a_gap_without_freezes_breaks() {
        let s = days(&[10, 11, 12]);
        assert_eq!((s.current, s.longest, s.freezes), (3, 3, 0));
        assert_eq!(s.as_of(13).current, 3, "today is not missed yet");
        assert_eq!(s.as_of(14).current, 0, "yesterday was missed");
        let s = days(&[10, 11, 12, 14]);
        assert_eq!((s.current, s.longest), (1, 3));
    }

    #[test]
    fn seven_days_earn_a_freeze_that_covers_a_missed_day_without_counting_it() {
        let s = days(&[1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(s.freezes, 1);
        let s = days(&[1, 2, 3, 4, 5, 6, 7, 9]);
        assert_eq!((s.current, s.freezes), (8, 0), "day 8 covered, not counted");
        // Two freezes at most; a gap longer than what is held breaks the streak.
        let long: Vec<Day> = (1..=21).collect();
        assert_eq!(days(&long).freezes, 2);
        let mut broken = long.clone();
        broken.push(25); // 22, 23, 24 missed: two covered, the third breaks it
        assert_eq!(days(&broken).current, 1);
        let mut saved = long;
        saved.push(24); // 22 and 23 covered
        assert_eq!(days(&saved).current, 22);
    }

    #[test]
    fn the_calendar_shows_studied_frozen_and_missed_days() {
        let studied: Vec<Day> = (1..=7).chain([9, 12]).collect();
        let cal = calendar(&studied, 5, 13);
        use DayKind::*;
        assert_eq!(
            cal,
            vec![
                (5, Studied),
                (6, Studied),
                (7, Studied),
                (8, Frozen),
                (9, Studied),
                (10, Missed),
                (11, Missed),
                (12, Studied),
            ]
        );
    }

    #[test]
    fn a_member_who_never_studied_has_no_missed_days() {
        assert!(calendar(&[], 5, 13).is_empty());
        // Today (13) is open, not missed, even after a study day.
        assert_eq!(calendar(&[12], 5, 13), vec![(12, DayKind::Studied)]);
    }

    #[test]
    fn days_follow_the_time_zone() {
        // 2026-03-01 02:00 UTC is still February 28 in São Paulo, March 1 in Kiritimati (+14).
        let at = 1_772_330_400;
        let sp = TimeZone::get("America/Sao_Paulo").unwrap();
        let kiri = TimeZone::get("Pacific/Kiritimati").unwrap();
        assert_eq!(date_of(day_of(at, &sp)), Date::constant(2026, 2, 28));
        assert_eq!(date_of(day_of(at, &kiri)), Date::constant(2026, 3, 1));
    }
}
