//! Recognition: what a member is reminded of (their streak) and what they earn (roles for
//! achievements). The rules are pure functions here; the store keeps the records, the scheduler
//! sends reminders, and [`roles`] gives and takes reward roles through Discord.

pub mod roles;

use std::collections::HashMap;
use std::sync::Arc;

use crate::i18n::Locale;
use crate::progress::standing::TrackStanding;
use crate::progress::streak::Streak;
use crate::progress::{ItemStates, State};
use crate::roadmap::Roadmap;

/// A streak this long or longer is worth a reminder.
pub const REMINDER_MIN_STREAK: u32 = 3;
/// How late a reminder missed while the bot was down may still be sent (the same day only).
pub const REMINDER_GRACE: i64 = 2 * 3600;
/// The time reminders default to.
pub const DEFAULT_REMINDER_TIME: &str = "20:00";

/// A member's streak reminder, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub guild: u64,
    pub user: u64,
    /// "HH:MM" in the server's time zone.
    pub local_time: String,
    pub locale: Locale,
    pub enabled: bool,
    pub next_due_at: Option<i64>,
    /// When Discord refused a DM (the member closed them).
    pub dms_closed_at: Option<i64>,
}

/// Whether a member should be reminded today: a streak worth keeping, not yet kept today.
pub fn needs_reminder(streak: &Streak, today: crate::progress::streak::Day) -> bool {
    let now = streak.as_of(today);
    now.current >= REMINDER_MIN_STREAK && !now.studied_on(today)
}

/// What a role reward is given for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Achievement {
    /// A section's requirement met.
    Section(String),
    /// A roadmap's milestone (every required section met).
    Milestone(String),
    /// At least N items done.
    Items(u32),
    /// A current streak of at least N days.
    Streak(u32),
}

impl Achievement {
    /// The stored form: `section:<id>`, `milestone:<id>`, `items:<n>`, `streak:<n>`.
    pub fn encode(&self) -> String {
        match self {
            Achievement::Section(id) => format!("section:{id}"),
            Achievement::Milestone(id) => format!("milestone:{id}"),
            Achievement::Items(n) => format!("items:{n}"),
            Achievement::Streak(n) => format!("streak:{n}"),
        }
    }

    pub fn parse(text: &str) -> Option<Achievement> {
        let (kind, value) = text.split_once(':')?;
        Some(match kind {
            "section" => Achievement::Section(value.to_string()),
            "milestone" => Achievement::Milestone(value.to_string()),
            "items" => Achievement::Items(value.parse().ok().filter(|n| *n > 0)?),
            "streak" => Achievement::Streak(value.parse().ok().filter(|n| *n > 0)?),
            _ => return None,
        })
    }

    /// Whether a member with these states, standing and streak (as of today) has it.
    pub fn held(
        &self,
        roadmap: &Roadmap,
        states: &ItemStates,
        standing: &[TrackStanding],
        streak: &Streak,
    ) -> bool {
        match self {
            Achievement::Section(id) => standing
                .iter()
                .flat_map(|t| &t.sections)
                .any(|s| roadmap.section(s.section).id == *id && s.required() && s.met()),
            Achievement::Milestone(id) => standing
                .iter()
                .any(|t| roadmap.track(t.track).id == *id && t.milestone()),
            Achievement::Items(n) => {
                states.values().filter(|s| **s == State::Done).count() >= *n as usize
            }
            Achievement::Streak(n) => streak.current >= *n,
        }
    }

    /// Whether the roadmap still has what the achievement names.
    pub fn exists(&self, roadmap: &Roadmap) -> bool {
        match self {
            Achievement::Section(id) => roadmap.section_by_id(id).is_some(),
            Achievement::Milestone(id) => roadmap.tracks().iter().any(|t| t.id == *id),
            Achievement::Items(_) | Achievement::Streak(_) => true,
        }
    }
}

/// Why a reward is paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewardPause {
    /// Discord answered 403: the bot lost Manage Roles, or the role moved above the bot's.
    Forbidden,
    /// Discord answered 404: the role is gone.
    Missing,
}

impl RewardPause {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardPause::Forbidden => "forbidden",
            RewardPause::Missing => "missing",
        }
    }

    pub fn parse(text: &str) -> Option<RewardPause> {
        match text {
            "forbidden" => Some(RewardPause::Forbidden),
            "missing" => Some(RewardPause::Missing),
            _ => None,
        }
    }
}

/// A role reward, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reward {
    pub guild: u64,
    pub id: u64,
    pub achievement: Achievement,
    pub role: u64,
    /// The role stays when the member falls below the achievement (an undo).
    pub keep: bool,
    pub paused: Option<(RewardPause, Option<i64>)>,
}

/// What a member should gain and lose: rewards held now but not given, and rewards given but no
/// longer held (unless kept). Paused rewards change nothing.
pub fn reward_changes(
    rewards: &[Reward],
    given: &[u64],
    held: impl Fn(&Achievement) -> bool,
) -> (Vec<Reward>, Vec<Reward>) {
    let mut gain = Vec::new();
    let mut lose = Vec::new();
    for reward in rewards.iter().filter(|r| r.paused.is_none()) {
        let has = given.contains(&reward.id);
        let earned = held(&reward.achievement);
        if earned && !has {
            gain.push(reward.clone());
        } else if !earned && has && !reward.keep {
            lose.push(reward.clone());
        }
    }
    (gain, lose)
}

/// One role reconciliation at a time per member: a `/done` quickly followed by an `/undo`
/// spawns two checks, and without this the first could give the role after the second found
/// nothing to take. Entries live only while someone holds or waits for them.
#[derive(Debug, Default)]
pub struct MemberLocks {
    held: std::sync::Mutex<HashMap<MemberKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// (server, member).
type MemberKey = (u64, u64);

/// Held while a member's roles are reconciled; dropping it lets the next check in.
pub struct MemberGuard<'a> {
    locks: &'a MemberLocks,
    key: MemberKey,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl MemberLocks {
    pub async fn lock(&self, guild: u64, user: u64) -> MemberGuard<'_> {
        let key = (guild, user);
        let lock = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        let guard = lock.clone().lock_owned().await;
        MemberGuard {
            locks: self,
            key,
            lock,
            guard: Some(guard),
        }
    }

    /// Members with an entry (held or awaited).
    pub fn len(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for MemberGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut held = self
            .locks
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The map's copy and ours: nobody else waits, so the entry goes.
        if Arc::strong_count(&self.lock) == 2 {
            held.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn achievements_round_trip_and_garbage_is_refused() {
        for a in [
            Achievement::Section("databases".into()),
            Achievement::Milestone("backend".into()),
            Achievement::Items(10),
            Achievement::Streak(7),
        ] {
            assert_eq!(Achievement::parse(&a.encode()), Some(a));
        }
        assert_eq!(Achievement::parse("items:0"), None);
        assert_eq!(Achievement::parse("items:x"), None);
        assert_eq!(Achievement::parse("level:3"), None);
    }

    #[test]
    fn gains_and_losses_respect_keep_and_pauses() {
        let reward = |id, keep, paused: bool| Reward {
            guild: 1,
            id,
            achievement: Achievement::Items(id as u32),
            role: 100 + id,
            keep,
            paused: paused.then_some((RewardPause::Forbidden, Some(50013))),
        };
        let rewards = vec![
            reward(1, false, false),
            reward(2, true, false),
            reward(3, false, true),
            reward(4, false, false),
        ];
        // Holding 1 item: reward 1 is earned; 2 (kept) and 4 are not, and were given.
        let (gain, lose) = reward_changes(&rewards, &[2, 4], |a| *a == Achievement::Items(1));
        assert_eq!(gain.iter().map(|r| r.id).collect::<Vec<_>>(), [1]);
        assert_eq!(
            lose.iter().map(|r| r.id).collect::<Vec<_>>(),
            [4],
            "kept and paused ones stay"
        );
    }

    #[test]
    fn a_reminder_needs_a_streak_of_three_not_kept_today() {
        let streak = Streak::from_days([(10, 0), (11, 0), (12, 0)]);
        assert!(needs_reminder(&streak, 13));
        assert!(!needs_reminder(&streak, 12), "studied today");
        assert!(
            !needs_reminder(&Streak::from_days([(11, 0), (12, 0)]), 13),
            "only two days"
        );
        assert!(!needs_reminder(&streak, 15), "broken by then");
    }

    #[tokio::test]
    async fn member_locks_serialize_one_member_and_forget_idle_ones() {
        let locks = Arc::new(MemberLocks::default());
        let first = locks.lock(1, 2).await;
        let other = locks.lock(1, 3).await; // another member is not held up
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _second = locks.lock(1, 2).await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "the same member waits");
        drop(first);
        waiter.await.unwrap();
        drop(other);
        assert!(locks.is_empty(), "idle entries are removed");
    }
}
