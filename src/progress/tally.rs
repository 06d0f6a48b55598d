//! Leaderboard tallies: how many items a member has done, per scope and period.
//!
//! Tallies are a cache of `progress` that makes a leaderboard page an index read. A change
//! recomputes the tallies it touches from the member's own rows (never increments them blindly),
//! in the same transaction as the change; a roadmap or time-zone change rebuilds them. The store
//! tests check them against an oracle computed from `progress` alone.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;

use super::periods::{Period, RETENTION_SECONDS, starts};
use super::{Mark, State};
use crate::roadmap::Roadmap;

/// What a leaderboard ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum BoardKind {
    /// Items done in the period and still done (the default).
    #[default]
    Done,
    /// Items verified in the quiz in the period.
    Verified,
    /// Current study streaks (periods and sections do not apply).
    Streak,
}

/// One leaderboard: the whole roadmap (`scope` empty) or a section, over a period.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TallyKey {
    pub scope: String,
    pub period: Period,
    pub starts: i64,
}

/// A member's count in one leaderboard and when they reached it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TallyValue {
    pub done: i64,
    pub reached_at: i64,
}

/// A tally row to write (`Some`) or remove (`None`).
pub type TallyWrite = (TallyKey, Option<TallyValue>);

/// What the tally computation is given, inside the write transaction.
pub struct TallyInput<'a> {
    /// The member's marks after the change.
    pub marks: &'a [Mark],
    /// The item's mark before the change.
    pub previous: Option<&'a Mark>,
    /// Every tally of the member must be rewritten (they came back to the server).
    pub full: bool,
}

/// The tally rows a change to `item_id` must write: the affected keys (or every key when the
/// member's tallies are rebuilt), computed from the marks as they are inside the transaction.
pub fn change_writes(
    roadmap: &Roadmap,
    tz: &TimeZone,
    now: i64,
    item_id: &str,
    input: TallyInput<'_>,
) -> Vec<TallyWrite> {
    let all = member_tallies(roadmap, input.marks, tz, now);
    if input.full {
        return all.into_iter().map(|(k, v)| (k, Some(v))).collect();
    }
    let mut times = vec![now];
    if let Some(previous) = input.previous.filter(|m| m.state == State::Done) {
        times.push(previous.since);
    }
    affected_keys(roadmap, item_id, &times, tz, now)
        .into_iter()
        .map(|k| {
            let value = all.get(&k).copied();
            (k, value)
        })
        .collect()
}

/// Every tally of one member, for rebuilds.
pub fn all_writes(roadmap: &Roadmap, tz: &TimeZone, now: i64, marks: &[Mark]) -> Vec<TallyWrite> {
    member_tallies(roadmap, marks, tz, now)
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect()
}

/// Every tally of one member as plain rows, for a server-wide rebuild.
pub fn all_rows(
    roadmap: &Roadmap,
    tz: &TimeZone,
    now: i64,
    marks: &[Mark],
) -> Vec<(TallyKey, TallyValue)> {
    member_tallies(roadmap, marks, tz, now)
        .into_iter()
        .collect()
}

/// The oldest week or month start still kept, given the current time.
pub fn retention_cutoff(now: i64) -> i64 {
    now - RETENTION_SECONDS
}

/// The keys an item completed at `at` counts in.
fn keys_for(
    roadmap: &Roadmap,
    item_id: &str,
    at: i64,
    tz: &TimeZone,
    cutoff: i64,
) -> Vec<TallyKey> {
    let Some(item) = roadmap.item_by_id(item_id) else {
        return Vec::new();
    };
    let section = roadmap.section(roadmap.item(item).section).id.clone();
    let mut keys = Vec::with_capacity(6);
    for scope in [String::new(), section] {
        keys.push(TallyKey {
            scope: scope.clone(),
            period: Period::All,
            starts: 0,
        });
        for period in [Period::Week, Period::Month] {
            let start = starts(period, at, tz);
            if start >= cutoff {
                keys.push(TallyKey {
                    scope: scope.clone(),
                    period,
                    starts: start,
                });
            }
        }
    }
    keys
}

/// Every tally of one member, from their marks.
pub fn member_tallies(
    roadmap: &Roadmap,
    marks: &[Mark],
    tz: &TimeZone,
    now: i64,
) -> BTreeMap<TallyKey, TallyValue> {
    let cutoff = retention_cutoff(now);
    let mut out: BTreeMap<TallyKey, TallyValue> = BTreeMap::new();
    for mark in marks.iter().filter(|m| m.state == State::Done) {
        for key in keys_for(roadmap, &mark.item_id, mark.since, tz, cutoff) {
            let entry = out.entry(key).or_insert(TallyValue {
                done: 0,
                reached_at: i64::MIN,
            });
            entry.done += 1;
            entry.reached_at = entry.reached_at.max(mark.since);
        }
    }
    out
}

/// The keys a change to `item_id` can affect: those of a completion now and, when a completion
/// is being withdrawn, those of its original time.
pub fn affected_keys(
    roadmap: &Roadmap,
    item_id: &str,
    times: &[i64],
    tz: &TimeZone,
    now: i64,
) -> Vec<TallyKey> {
    let cutoff = retention_cutoff(now);
    let mut keys: Vec<TallyKey> = times
        .iter()
        .flat_map(|&at| keys_for(roadmap, item_id, at, tz, cutoff))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// One ranked member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ranked {
    /// 1-based.
    pub rank: u64,
    pub user_id: u64,
    pub done: i64,
    pub reached_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::roadmap::shipped_for_tests as roadmap;

    fn mark(item: &str, state: State, since: i64) -> Mark {
        Mark {
            item_id: item.into(),
            state,
            since,
        }
    }

    #[test]
    fn tallies_count_done_items_per_scope_and_period() {
        let r = roadmap();
        let tz = TimeZone::UTC;
        let now = 1_800_000_000; // a Friday
        let marks = vec![
            mark("kafka", State::Done, now - 10),
            mark("rabbitmq", State::Done, now - 20 * 86_400),
            mark("java", State::Done, now - 400 * 86_400),
            mark("postgresql", State::Learning, now),
            mark("gone-from-roadmap", State::Done, now),
        ];
        let t = member_tallies(&r, &marks, &tz, now);
        let all = TallyKey {
            scope: String::new(),
            period: Period::All,
            starts: 0,
        };
        assert_eq!(
            t[&all],
            TallyValue {
                done: 3,
                reached_at: now - 10
            }
        );
        let brokers = TallyKey {
            scope: "message-brokers".into(),
            period: Period::All,
            starts: 0,
        };
        assert_eq!(t[&brokers].done, 2);
        let week = TallyKey {
            scope: String::new(),
            period: Period::Week,
            starts: starts(Period::Week, now, &tz),
        };
        assert_eq!(t[&week].done, 1);
        // The 400-day-old completion has no week or month tally (retention), only all-time.
        assert!(
            !t.keys()
                .any(|k| k.scope == "languages" && k.period != Period::All)
        );
    }

    #[test]
    fn affected_keys_cover_now_and_the_original_time() {
        let r = roadmap();
        let now = 1_800_000_000;
        let keys = affected_keys(&r, "kafka", &[now, now - 40 * 86_400], &TimeZone::UTC, now);
        // 2 scopes x (all + this week + this month + old week + old month), all-time deduplicated.
        assert_eq!(keys.len(), 10);
        assert!(affected_keys(&r, "not-an-item", &[now], &TimeZone::UTC, now).is_empty());
    }
}
