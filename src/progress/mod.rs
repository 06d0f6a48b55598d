//! Member progress: states, what they mean for the card's requirements, leaderboard periods
//! and tallies, and what to study next. Pure functions over data; the store persists.

pub mod change;
pub mod community;
pub mod next;
pub mod periods;
pub mod standing;
pub mod streak;
pub mod tally;

use std::collections::HashMap;

use crate::roadmap::ItemIdx;

/// The state of one item for one member. No state means "pending".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Learning,
    Done,
    Skipped,
}

impl State {
    pub const ALL: [State; 3] = [State::Learning, State::Done, State::Skipped];

    /// The marker shown beside an item in lists.
    pub fn marker(self) -> &'static str {
        match self {
            State::Done => "✅",
            State::Learning => "📖",
            State::Skipped => "⏭️",
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Learning => "learning",
            State::Done => "done",
            State::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Marker for an item the member has not marked yet.
pub const PENDING_MARKER: &str = "▫️";

/// A member's states by item, as the renderers need them.
pub type ItemStates = HashMap<ItemIdx, State>;

/// One stored progress row, as the store returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub item_id: String,
    pub state: State,
    /// When the state was set (epoch seconds).
    pub since: i64,
}

/// What a member's reply reads about them before the command runs: their marks in the server,
/// and whether a notice waits for them (their streak reminder was turned off).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberView {
    pub marks: Vec<Mark>,
    pub notice_pending: bool,
}

/// A member's marks keyed by roadmap item, dropping ids the roadmap no longer has.
pub fn states_of(roadmap: &crate::roadmap::Roadmap, marks: &[Mark]) -> ItemStates {
    marks
        .iter()
        .filter_map(|m| roadmap.item_by_id(&m.item_id).map(|i| (i, m.state)))
        .collect()
}

/// How many members of a server are (learning, done) with each item of the roadmap.
pub type Popularity = HashMap<ItemIdx, (u64, u64)>;

/// The store's per-item counts keyed by roadmap item, dropping ids the roadmap no longer has.
pub fn popularity_of(
    roadmap: &crate::roadmap::Roadmap,
    counts: Vec<(String, u64, u64)>,
) -> Popularity {
    counts
        .into_iter()
        .filter_map(|(id, learning, done)| roadmap.item_by_id(&id).map(|i| (i, (learning, done))))
        .collect()
}
