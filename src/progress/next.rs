//! What to study next: the first unmet requirement in card order, and the best items for it.

use std::collections::HashMap;

use super::standing::{ScopeStanding, TrackStanding};
use super::{ItemStates, State};
use crate::roadmap::{ItemIdx, Roadmap};

/// How many items a suggestion lists.
pub const SUGGESTIONS: usize = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextStep {
    /// The requirement to work on; `None` when every requirement is met.
    pub scope: Option<ScopeStanding>,
    pub suggestions: Vec<ItemIdx>,
}

/// Picks the next step. Within the first unmet requirement, items come in this order: what the
/// member is already learning; what relates to what they know (a framework of their language);
/// what is popular in this server (done or learning by most members); then card order.
/// Skipped and done items are never suggested.
pub fn next_step(
    roadmap: &Roadmap,
    standing: &[TrackStanding],
    states: &ItemStates,
    popularity: &HashMap<ItemIdx, u64>,
) -> NextStep {
    let scope = standing.iter().flat_map(|t| t.missing()).next().cloned();
    let candidates: Vec<ItemIdx> = match &scope {
        Some(scope) => scope.items.clone(),
        None => roadmap.items().map(|(i, _)| i).collect(),
    };
    let known: Vec<ItemIdx> = states
        .iter()
        .filter(|(_, s)| matches!(s, State::Done | State::Learning))
        .map(|(i, _)| *i)
        .collect();
    let mut ranked: Vec<(u8, u8, std::cmp::Reverse<u64>, ItemIdx)> = candidates
        .into_iter()
        .filter(|i| !matches!(states.get(i), Some(State::Done | State::Skipped)))
        .map(|i| {
            let learning = u8::from(states.get(&i) != Some(&State::Learning));
            let related = u8::from(!roadmap.item(i).related.iter().any(|r| known.contains(r)));
            let popular = std::cmp::Reverse(popularity.get(&i).copied().unwrap_or(0));
            (learning, related, popular, i)
        })
        .collect();
    ranked.sort();
    NextStep {
        scope,
        suggestions: ranked
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, _, _, i)| i)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::standing::standing;

    use crate::roadmap::shipped_for_tests as roadmap;

    #[test]
    fn the_first_unmet_requirement_comes_first_learning_then_related_then_popular() {
        let r = roadmap();
        let id = |s: &str| r.item_by_id(s).unwrap();
        let mut states = ItemStates::new();
        states.insert(id("frontend-fundamentals"), State::Done);
        states.insert(id("python"), State::Done);
        let popularity: HashMap<ItemIdx, u64> = [(id("laravel"), 50), (id("spring"), 40)].into();
        let s = standing(&r, &states);
        let next = next_step(&r, &s, &states, &popularity);
        assert_eq!(
            r.section(next.scope.as_ref().unwrap().section).id,
            "frameworks"
        );
        // Python's frameworks first (related), then the popular ones.
        assert_eq!(
            next.suggestions,
            vec![id("django"), id("flask"), id("laravel")]
        );

        states.insert(id("express"), State::Learning);
        let next = next_step(&r, &standing(&r, &states), &states, &popularity);
        assert_eq!(
            next.suggestions[0],
            id("express"),
            "what the member is learning leads"
        );
    }

    #[test]
    fn skipped_items_are_never_suggested() {
        let r = roadmap();
        let id = |s: &str| r.item_by_id(s).unwrap();
        let mut states = ItemStates::new();
        states.insert(id("frontend-fundamentals"), State::Done);
        for lang in ["java", "csharp", "python", "ruby", "go", "rust", "nodejs"] {
            states.insert(id(lang), State::Skipped);
        }
        let next = next_step(&r, &standing(&r, &states), &states, &HashMap::new());
        assert_eq!(next.suggestions, vec![id("php")]);
    }
}
