//! A change to one member's progress on one item, and what it did.

use super::{Mark, State};

/// What a change asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Set this state (`None`: back to pending).
    Set(Option<State>),
    /// Revert the last change of the item; after an undo, clear it.
    Undo,
}

#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub guild: u64,
    pub user: u64,
    pub item_id: &'a str,
    pub target: Target,
    pub at: i64,
    /// The day of `at` in the server's time zone: a mark makes it a study day.
    pub day: super::streak::Day,
    /// How the member appears as they make the change (their name and avatar), recorded with
    /// it for pictures that show them to others; `None` keeps what was recorded.
    pub appearance: Option<&'a crate::guild::Appearance>,
}

/// What a change did, with the member's marks before and after (the renderer shows what was
/// achieved).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub before: Vec<Mark>,
    pub after: Vec<Mark>,
    /// The item's mark before and after.
    pub previous: Option<Mark>,
    pub current: Option<Mark>,
    pub changed: bool,
    /// An undo found nothing to undo.
    pub nothing_to_undo: bool,
    /// The member's streak after a mark (`None` when nothing changed, or for an undo).
    pub streak: Option<super::streak::Streak>,
}
