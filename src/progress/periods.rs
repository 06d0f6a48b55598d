//! Leaderboard periods: calendar weeks (Monday to Sunday) and months in the server's time zone.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// The period a leaderboard covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Week,
    Month,
    All,
}

impl Period {
    pub const ALL: [Period; 3] = [Period::Week, Period::Month, Period::All];

    /// The stored form (and the slash-command choice value).
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::All => "all",
        }
    }

    pub fn parse(text: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// The first second of the local day `date` in `tz` (the next existing instant when midnight
/// falls in a DST gap, as it did in São Paulo before 2019).
fn start_of_day(date: Date, tz: &TimeZone) -> i64 {
    date.to_zoned(tz.clone())
        .map(|z| z.timestamp().as_second())
        .unwrap_or_else(|_| {
            date.to_datetime(jiff::civil::time(0, 0, 0, 0))
                .to_zoned(TimeZone::UTC)
                .map_or(0, |z| z.timestamp().as_second())
        })
}

fn local_date(at: i64, tz: &TimeZone) -> Date {
    Timestamp::from_second(at)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .date()
}

/// The first second (epoch) of the period containing `at`; 0 for all time.
pub fn starts(period: Period, at: i64, tz: &TimeZone) -> i64 {
    let date = local_date(at, tz);
    match period {
        Period::All => 0,
        Period::Week => {
            let back = date.weekday().since(Weekday::Monday) as i64;
            start_of_day(date.checked_sub(back.days()).unwrap_or(date), tz)
        }
        Period::Month => start_of_day(date.first_of_month(), tz),
    }
}

/// The first second after the period that starts at `starts`; `i64::MAX` for all time.
pub fn ends(period: Period, starts: i64, tz: &TimeZone) -> i64 {
    let date = local_date(starts, tz);
    let next = match period {
        Period::All => return i64::MAX,
        Period::Week => date.checked_add(7.days()),
        Period::Month => date.first_of_month().checked_add(1.month()),
    };
    next.map_or(i64::MAX, |d| start_of_day(d, tz))
}

/// The local dates a period covers (first and last day), for display.
pub fn local_range(period: Period, starts: i64, tz: &TimeZone) -> (Date, Date) {
    let first = local_date(starts, tz);
    let last = local_date(ends(period, starts, tz) - 1, tz);
    (first, last)
}

/// Week and month tallies older than this are not kept: leaderboards show the current period.
pub const RETENTION_SECONDS: i64 = 70 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_second()
    }

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_at_local_midnight() {
        let sp = tz("America/Sao_Paulo"); // UTC-3, no DST since 2019
        // Sunday 2026-11-29 23:30 in São Paulo is Monday 02:30 UTC: still the week of the 23rd.
        let at = ts("2026-11-30T02:30:00Z");
        assert_eq!(starts(Period::Week, at, &sp), ts("2026-11-23T03:00:00Z"));
        // Monday 00:30 local belongs to the new week.
        assert_eq!(
            starts(Period::Week, ts("2026-11-30T03:30:00Z"), &sp),
            ts("2026-11-30T03:00:00Z")
        );
        assert_eq!(
            ends(Period::Week, ts("2026-11-23T03:00:00Z"), &sp),
            ts("2026-11-30T03:00:00Z")
        );
    }

    #[test]
    fn months_follow_the_local_calendar() {
        let sp = tz("America/Sao_Paulo");
        // 2026-12-01 01:00 UTC is still November 30 in São Paulo.
        assert_eq!(
            starts(Period::Month, ts("2026-12-01T01:00:00Z"), &sp),
            ts("2026-11-01T03:00:00Z")
        );
        assert_eq!(
            ends(Period::Month, ts("2026-11-01T03:00:00Z"), &sp),
            ts("2026-12-01T03:00:00Z")
        );
        let utc = TimeZone::UTC;
        assert_eq!(
            starts(Period::Month, ts("2026-12-01T01:00:00Z"), &utc),
            ts("2026-12-01T00:00:00Z")
        );
    }

    #[test]
    fn periods_across_a_dst_change_keep_local_midnight() {
        let ny = tz("America/New_York");
        // DST ends on Sunday 2026-11-01: the week of Monday Oct 26 starts at 00:00 EDT (-4).
        assert_eq!(
            starts(Period::Week, ts("2026-11-01T12:00:00Z"), &ny),
            ts("2026-10-26T04:00:00Z")
        );
        // and ends at Monday Nov 2, 00:00 EST (-5): a week of 7 days and 1 hour.
        assert_eq!(
            ends(Period::Week, ts("2026-10-26T04:00:00Z"), &ny),
            ts("2026-11-02T05:00:00Z")
        );
    }

    #[test]
    fn all_time_starts_at_zero() {
        assert_eq!(starts(Period::All, 1_800_000_000, &TimeZone::UTC), 0);
        assert_eq!(ends(Period::All, 0, &TimeZone::UTC), i64::MAX);
    }
}
