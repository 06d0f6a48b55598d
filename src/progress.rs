//! A member's progress on roadmap items: the states and what they mean for requirements.

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
    /// The marker shown beside an item in lists.
    pub fn marker(self) -> &'static str {
        match self {
            State::Done => "✅",
            State::Learning => "📖",
            State::Skipped => "⏭️",
        }
    }
}

/// Marker for an item the member has not marked yet.
pub const PENDING_MARKER: &str = "▫️";

/// A member's states by item, as the renderers need them.
pub type ItemStates = HashMap<ItemIdx, State>;
