//! `custom_id`s of the buttons trilha sends, encoded and parsed in one place.
//!
//! Format: `v1|<kind>|<fields…>`. The version prefix lets a future release recognise buttons
//! on old messages and answer them gracefully instead of misreading them. Every id stays well
//! under Discord's 100 characters because roadmap ids are at most 40.

/// The version written into every id; bump it when a layout below changes.
const VERSION: &str = "v1";

use crate::progress::periods::Period;

/// What a progress button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkAction {
    Done,
    Learning,
    Skip,
    Undo,
}

impl MarkAction {
    fn as_str(self) -> &'static str {
        match self {
            MarkAction::Done => "done",
            MarkAction::Learning => "learning",
            MarkAction::Skip => "skip",
            MarkAction::Undo => "undo",
        }
    }

    fn parse(text: &str) -> Option<MarkAction> {
        [
            MarkAction::Done,
            MarkAction::Learning,
            MarkAction::Skip,
            MarkAction::Undo,
        ]
        .into_iter()
        .find(|a| a.as_str() == text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComponentId {
    /// A page of a `/roadmap` view. `node` is a roadmap id, or empty for the overview.
    RoadmapPage { node: String, page: usize },
    /// Marks an item for whoever presses it.
    Mark { item: String, action: MarkAction },
    /// A leaderboard page. `owner` asked for it (their presses update the message, anyone
    /// else gets their own private view); `starts` is the period it showed. `private` marks a
    /// member's own copy (ephemeral, in their language), paged in place like the public one.
    Board {
        owner: u64,
        period: Period,
        section: String,
        page: usize,
        starts: i64,
        private: bool,
    },
    /// Posts `owner`'s roadmap card publicly in the channel; only `owner` may press it.
    ShareCard { owner: u64 },
}

impl ComponentId {
    pub fn encode(&self) -> String {
        match self {
            ComponentId::RoadmapPage { node, page } => format!("{VERSION}|rm|{node}|{page}"),
            ComponentId::Mark { item, action } => {
                format!("{VERSION}|mk|{item}|{}", action.as_str())
            }
            ComponentId::Board {
                owner,
                period,
                section,
                page,
                starts,
                private,
            } => {
                format!(
                    "{VERSION}|lb|{owner}|{}|{section}|{page}|{starts}{}",
                    period.as_str(),
                    if *private { "|p" } else { "" }
                )
            }
            ComponentId::ShareCard { owner } => format!("{VERSION}|sh|{owner}"),
        }
    }

    /// Parses an id this release wrote; `None` for foreign, old or malformed ids.
    pub fn parse(id: &str) -> Option<ComponentId> {
        let mut parts = id.split('|');
        if parts.next()? != VERSION {
            return None;
        }
        let parsed = match parts.next()? {
            "rm" => ComponentId::RoadmapPage {
                node: parts.next()?.to_string(),
                page: parts.next()?.parse().ok()?,
            },
            "mk" => ComponentId::Mark {
                item: parts.next()?.to_string(),
                action: MarkAction::parse(parts.next()?)?,
            },
            "lb" => ComponentId::Board {
                owner: parts.next()?.parse().ok()?,
                period: Period::parse(parts.next()?)?,
                section: parts.next()?.to_string(),
                page: parts.next()?.parse().ok()?,
                starts: parts.next()?.parse().ok()?,
                // Public boards written before private copies existed carry no flag.
                private: match parts.next() {
                    None => false,
                    Some("p") => true,
                    Some(_) => return None,
                },
            },
            "sh" => ComponentId::ShareCard {
                owner: parts.next()?.parse().ok()?,
            },
            _ => return None,
        };
        parts.next().is_none().then_some(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_garbage() {
        let id = ComponentId::RoadmapPage {
            node: "databases".into(),
            page: 2,
        };
        assert_eq!(ComponentId::parse(&id.encode()), Some(id));
        let mark = ComponentId::Mark {
            item: "kafka".into(),
            action: MarkAction::Undo,
        };
        assert_eq!(ComponentId::parse(&mark.encode()), Some(mark));
        let board = ComponentId::Board {
            owner: u64::MAX,
            period: Period::Month,
            section: "fundamental-concepts".into(),
            page: 12,
            starts: 1_800_000_000,
            private: true,
        };
        let encoded = board.encode();
        assert!(
            encoded.len() <= 100,
            "{encoded} is {} characters",
            encoded.len()
        );
        assert_eq!(ComponentId::parse(&encoded), Some(board));
        // A public board's id (also as older releases wrote it) has no flag.
        assert_eq!(
            ComponentId::parse("v1|lb|7|week||0|1800000000"),
            Some(ComponentId::Board {
                owner: 7,
                period: Period::Week,
                section: String::new(),
                page: 0,
                starts: 1_800_000_000,
                private: false,
            })
        );
        assert_eq!(ComponentId::parse("v1|lb|7|week||0|1800000000|x"), None);
        let share = ComponentId::ShareCard { owner: u64::MAX };
        assert_eq!(ComponentId::parse(&share.encode()), Some(share));
        assert_eq!(ComponentId::parse("v1|sh|x"), None);
        assert_eq!(ComponentId::parse("v0|rm|databases|2"), None);
        assert_eq!(ComponentId::parse("v1|rm|databases|x"), None);
        assert_eq!(ComponentId::parse("v1|rm|databases|1|extra"), None);
        assert_eq!(ComponentId::parse("something else"), None);
    }
}
