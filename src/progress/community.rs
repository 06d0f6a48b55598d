//! What a server studies, as a whole: how many of its active members have each item done, and
//! what moved over a week. The store counts; this module gives the counts their meaning.

use std::collections::HashMap;

use crate::roadmap::{ItemIdx, Roadmap};

/// A server's counts, by item id, as the store returns them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommunityCounts {
    /// Members still in the server with at least one item done.
    pub active: u64,
    /// Active members who have each item done.
    pub done: Vec<(String, u64)>,
    /// Members who marked each item done within the window.
    pub window_done: Vec<(String, u64)>,
    /// Members who started each item (marked it "learning") within the window.
    pub window_learning: Vec<(String, u64)>,
}

/// The counts against the roadmap in use (ids that left it are dropped), with each window list
/// ranked: most members first, ties in card order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Community {
    pub active: u64,
    pub done: HashMap<ItemIdx, u64>,
    pub window_done: Vec<(ItemIdx, u64)>,
    pub window_learning: Vec<(ItemIdx, u64)>,
}

impl Community {
    pub fn of(roadmap: &Roadmap, counts: &CommunityCounts) -> Community {
        let known = |rows: &[(String, u64)]| -> Vec<(ItemIdx, u64)> {
            let mut out: Vec<(ItemIdx, u64)> = rows
                .iter()
                .filter(|(_, n)| *n > 0)
                .filter_map(|(id, n)| Some((roadmap.item_by_id(id)?, *n)))
                .collect();
            out.sort_by_key(|&(item, n)| (std::cmp::Reverse(n), item));
            out
        };
        Community {
            active: counts.active,
            done: known(&counts.done).into_iter().collect(),
            window_done: known(&counts.window_done),
            window_learning: known(&counts.window_learning),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn movers_are_ranked_and_unknown_ids_dropped() {
        let roadmap = crate::roadmap::shipped_for_tests();
        let counts = CommunityCounts {
            active: 10,
            done: vec![("kafka".into(), 4), ("gone-from-the-roadmap".into(), 9)],
            window_done: vec![
                ("redis".into(), 1),
                ("kafka".into(), 3),
                ("docker".into(), 3),
            ],
            window_learning: vec![("rust".into(), 0)],
        };
        let community = Community::of(&roadmap, &counts);
        assert_eq!(community.done.len(), 1);
        let ids: Vec<&str> = community
            .window_done
            .iter()
            .map(|(i, _)| roadmap.item(*i).id.as_str())
            .collect();
        assert_eq!(ids[2], "redis", "fewest last: {ids:?}");
        assert_eq!(community.window_done[0].1, 3);
        assert!(
            community.window_learning.is_empty(),
            "zero counts are not movers"
        );
    }
}
