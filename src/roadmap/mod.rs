//! The roadmap: sections, groups and items loaded from the data files in `ROADMAP_DIR`.
//!
//! The model is immutable after [`load`] and shared as `Arc<Roadmap>`. Relations are stored as
//! typed indices ([`SectionIdx`], [`GroupIdx`], [`ItemIdx`]) into flat vectors in roadmap order,
//! which keeps look-ups allocation-free and lets renderers walk the card's order directly.
//! Progress rows in the database reference the stable string ids, never these indices.

mod load;
mod map;
mod model;
pub mod quiz;
pub mod search;
mod source;

pub use load::{LoadError, LoadErrors, MIN_QUESTIONS, load_dir, load_str, load_str_with_quiz};
pub use map::Roadmap;
pub use model::{
    Group, GroupIdx, Item, ItemIdx, Node, Question, Requirement, RequirementScope, Section,
    SectionIdx, Text, Track, TrackIdx,
};
pub use search::{Resolution, Suggestion};
pub use source::{DEFAULT_DIR, Source, load, shipped};

/// The shipped roadmap, for unit tests.
#[cfg(test)]
pub(crate) fn shipped_for_tests() -> Roadmap {
    shipped().expect("the shipped roadmap loads")
}
