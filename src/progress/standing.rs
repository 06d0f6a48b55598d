//! Where a member stands against the card's requirements.

use super::{ItemStates, State};
use crate::roadmap::{GroupIdx, ItemIdx, Requirement, Roadmap, SectionIdx, TrackIdx};

/// One requirement ("pick 1 of the message brokers") and the member's count in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeStanding {
    pub section: SectionIdx,
    pub group: Option<GroupIdx>,
    pub requirement: Requirement,
    pub items: Vec<ItemIdx>,
    pub done: usize,
    pub needed: usize,
}

impl ScopeStanding {
    pub fn met(&self) -> bool {
        self.done >= self.needed
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionStanding {
    pub section: SectionIdx,
    /// Empty for an optional section.
    pub scopes: Vec<ScopeStanding>,
    pub done: usize,
    pub learning: usize,
    pub skipped: usize,
    pub items: usize,
}

impl SectionStanding {
    pub fn required(&self) -> bool {
        !self.scopes.is_empty()
    }

    pub fn met(&self) -> bool {
        self.scopes.iter().all(ScopeStanding::met)
    }

    /// Progress towards the requirement, 0.0 to 1.0 (each scope counts up to its need).
    pub fn fraction(&self) -> f64 {
        let needed: usize = self.scopes.iter().map(|s| s.needed).sum();
        if needed == 0 {
            return if self.items == 0 {
                0.0
            } else {
                self.done as f64 / self.items as f64
            };
        }
        let got: usize = self.scopes.iter().map(|s| s.done.min(s.needed)).sum();
        got as f64 / needed as f64
    }
}

/// A member's standing in one roadmap file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackStanding {
    pub track: TrackIdx,
    pub sections: Vec<SectionStanding>,
}

impl TrackStanding {
    /// The card's milestone: every required section met.
    pub fn milestone(&self) -> bool {
        self.sections
            .iter()
            .filter(|s| s.required())
            .all(SectionStanding::met)
    }

    pub fn required_sections(&self) -> usize {
        self.sections.iter().filter(|s| s.required()).count()
    }

    pub fn met_sections(&self) -> usize {
        self.sections
            .iter()
            .filter(|s| s.required() && s.met())
            .count()
    }

    /// Unmet requirements, in card order.
    pub fn missing(&self) -> impl Iterator<Item = &ScopeStanding> {
        self.sections
            .iter()
            .flat_map(|s| s.scopes.iter())
            .filter(|s| !s.met())
    }
}

pub fn section_standing(
    roadmap: &Roadmap,
    section: SectionIdx,
    states: &ItemStates,
) -> SectionStanding {
    let s = roadmap.section(section);
    let count = |items: &[ItemIdx], state: State| {
        items
            .iter()
            .filter(|i| states.get(i) == Some(&state))
            .count()
    };
    let scopes = roadmap
        .requirements(section)
        .into_iter()
        .map(|scope| ScopeStanding {
            section,
            group: scope.group,
            requirement: scope.requirement,
            items: scope.items.to_vec(),
            done: count(scope.items, State::Done),
            needed: scope.needed(),
        })
        .collect();
    SectionStanding {
        section,
        scopes,
        done: count(&s.items, State::Done),
        learning: count(&s.items, State::Learning),
        skipped: count(&s.items, State::Skipped),
        items: s.items.len(),
    }
}

pub fn standing(roadmap: &Roadmap, states: &ItemStates) -> Vec<TrackStanding> {
    roadmap
        .tracks()
        .iter()
        .enumerate()
        .map(|(t, track)| TrackStanding {
            track: TrackIdx(t),
            sections: track
                .sections
                .iter()
                .map(|&s| section_standing(roadmap, s, states))
                .collect(),
        })
        .collect()
}

/// What a change newly achieved: requirements, sections and milestones met now but not before.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Achievements {
    pub scopes: Vec<ScopeStanding>,
    pub sections: Vec<SectionIdx>,
    pub milestones: Vec<TrackIdx>,
}

pub fn achievements(before: &[TrackStanding], after: &[TrackStanding]) -> Achievements {
    let mut out = Achievements::default();
    for (b, a) in before.iter().zip(after) {
        for (bs, as_) in b.sections.iter().zip(&a.sections) {
            for (bscope, ascope) in bs.scopes.iter().zip(&as_.scopes) {
                if ascope.met() && !bscope.met() {
                    out.scopes.push(ascope.clone());
                }
            }
            if as_.required() && as_.met() && !bs.met() {
                out.sections.push(as_.section);
            }
        }
        if a.milestone() && !b.milestone() {
            out.milestones.push(a.track);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::roadmap::shipped_for_tests as roadmap;

    fn states(r: &Roadmap, marks: &[(&str, State)]) -> ItemStates {
        marks
            .iter()
            .map(|(id, s)| (r.item_by_id(id).unwrap(), *s))
            .collect()
    }

    #[test]
    fn pick_one_is_met_by_one_done_item_not_by_learning() {
        let r = roadmap();
        let brokers = r.section_by_id("message-brokers").unwrap();
        let learning = section_standing(&r, brokers, &states(&r, &[("kafka", State::Learning)]));
        assert!(!learning.met());
        assert_eq!(learning.learning, 1);
        let done = section_standing(&r, brokers, &states(&r, &[("kafka", State::Done)]));
        assert!(done.met());
        assert_eq!((done.scopes[0].done, done.scopes[0].needed), (1, 1));
    }

    #[test]
    fn databases_need_one_relational_and_one_nosql() {
        let r = roadmap();
        let db = r.section_by_id("databases").unwrap();
        let one = section_standing(
            &r,
            db,
            &states(&r, &[("postgresql", State::Done), ("mysql", State::Done)]),
        );
        assert!(
            !one.met(),
            "two relational databases do not make a NoSQL one"
        );
        assert!((one.fraction() - 0.5).abs() < 1e-9);
        let both = section_standing(
            &r,
            db,
            &states(&r, &[("postgresql", State::Done), ("mongodb", State::Done)]),
        );
        assert!(both.met());
    }

    #[test]
    fn all_means_every_item_and_skipping_one_leaves_it_unmet() {
        let r = roadmap();
        let os = r.section_by_id("os-fundamentals").unwrap();
        let ids = ["io", "networking-basics", "memory-management", "threads"];
        let mut marks: Vec<(&str, State)> = ids.iter().map(|i| (*i, State::Done)).collect();
        marks.push(("terminal", State::Skipped));
        let s = section_standing(&r, os, &states(&r, &marks));
        assert!(!s.met());
        assert_eq!((s.done, s.skipped, s.scopes[0].needed), (4, 1, 5));
    }

    #[test]
    fn the_milestone_needs_every_required_section() {
        let r = roadmap();
        let mut done: Vec<&str> = vec![
            "frontend-fundamentals",
            "go",
            "express",
            "postgresql",
            "redis",
            "kafka",
            "elasticsearch",
            "git",
            "io",
            "networking-basics",
            "memory-management",
            "threads",
            "terminal",
            "monolith",
            "microservices",
            "serverless",
            "singleton",
            "facade",
            "proxy",
            "adapter",
            "observer",
            "rest",
            "oauth",
            "basic-auth",
            "token-auth",
            "client-side-caching",
            "server-side-caching",
            "unit-tests",
            "functional-tests",
            "integration-tests",
            "docker",
            "nginx",
        ];
        let before = standing(
            &r,
            &states(
                &r,
                &done.iter().map(|i| (*i, State::Done)).collect::<Vec<_>>(),
            ),
        );
        assert!(!before[0].milestone(), "no NoSQL database yet");
        assert_eq!(before[0].missing().count(), 1);
        done.push("mongodb");
        let after = standing(
            &r,
            &states(
                &r,
                &done.iter().map(|i| (*i, State::Done)).collect::<Vec<_>>(),
            ),
        );
        assert!(after[0].milestone());
        let got = achievements(&before, &after);
        assert_eq!(got.milestones.len(), 1);
        assert_eq!(got.sections, vec![r.section_by_id("databases").unwrap()]);
    }
}
