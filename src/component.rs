//! `custom_id`s of the buttons trilha sends, encoded and parsed in one place.
//!
//! Format: `v1|<kind>|<fields…>`. The version prefix lets a future release recognise buttons
//! on old messages and answer them gracefully instead of misreading them. Every id stays well
//! under Discord's 100 characters because roadmap ids are at most 40.

/// The version written into every id; bump it when a layout below changes.
const VERSION: &str = "v1";

use crate::progress::periods::Period;
use crate::progress::tally::BoardKind;

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
        /// What the board ranks.
        kind: BoardKind,
    },
    /// Posts `owner`'s summary card publicly in the channel; only `owner` may press it.
    ShareCard { owner: u64 },
    /// Opens `member`'s full per-item card for `owner`, who opened their summary; only `owner`
    /// may press it.
    FullMap { owner: u64, member: u64 },
    /// Answers quiz question `ask` with the answer on button `slot` (0 to 3). The ask's id is
    /// random and which slot is right is kept in the database only: the id reveals nothing.
    QuizAnswer { ask: u64, slot: u8 },
    /// The next question on an item, in place of the current one.
    QuizNext { item: String },
    /// A private question on an item, from a public message (a study prompt).
    QuizMe { item: String },
}

impl ComponentId {
    /// A board's trailing flags: `p` (a private copy), then `v` (verified items) or `s`
    /// (streaks), or none (public boards written before these existed carry none).
    fn with_flags(self, flags: Option<&str>) -> Option<ComponentId> {
        let ComponentId::Board {
            owner,
            period,
            section,
            page,
            starts,
            ..
        } = self
        else {
            return Some(self);
        };
        let flags = flags.unwrap_or_default();
        let (private, kind_flag) = match flags.strip_prefix('p') {
            Some(rest) => (true, rest),
            None => (false, flags),
        };
        let kind = match kind_flag {
            "" => BoardKind::Done,
            "v" => BoardKind::Verified,
            "s" => BoardKind::Streak,
            _ => return None,
        };
        Some(ComponentId::Board {
            owner,
            period,
            section,
            page,
            starts,
            private,
            kind,
        })
    }

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
                kind,
            } => {
                let flags = format!(
                    "{}{}",
                    if *private { "p" } else { "" },
                    match kind {
                        BoardKind::Done => "",
                        BoardKind::Verified => "v",
                        BoardKind::Streak => "s",
                    }
                );
                format!(
                    "{VERSION}|lb|{owner}|{}|{section}|{page}|{starts}{}",
                    period.as_str(),
                    if flags.is_empty() {
                        String::new()
                    } else {
                        format!("|{flags}")
                    }
                )
            }
            ComponentId::ShareCard { owner } => format!("{VERSION}|sh|{owner}"),
            ComponentId::FullMap { owner, member } => format!("{VERSION}|fm|{owner}|{member}"),
            ComponentId::QuizAnswer { ask, slot } => format!("{VERSION}|qz|{ask}|{slot}"),
            ComponentId::QuizNext { item } => format!("{VERSION}|qn|{item}"),
            ComponentId::QuizMe { item } => format!("{VERSION}|qm|{item}"),
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
                private: false,
                kind: BoardKind::Done,
            }
            .with_flags(parts.next())?,
            "sh" => ComponentId::ShareCard {
                owner: parts.next()?.parse().ok()?,
            },
            "fm" => ComponentId::FullMap {
                owner: parts.next()?.parse().ok()?,
                member: parts.next()?.parse().ok()?,
            },
            "qz" => ComponentId::QuizAnswer {
                ask: parts.next()?.parse().ok()?,
                slot: parts.next()?.parse().ok().filter(|s| *s < 4)?,
            },
            "qn" => ComponentId::QuizNext {
                item: parts.next()?.to_string(),
            },
            "qm" => ComponentId::QuizMe {
                item: parts.next()?.to_string(),
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
            kind: BoardKind::Verified,
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
                kind: BoardKind::Done,
            })
        );
        assert!(matches!(
            ComponentId::parse("v1|lb|7|all||0|0|ps"),
            Some(ComponentId::Board {
                private: true,
                kind: BoardKind::Streak,
                ..
            })
        ));
        assert_eq!(ComponentId::parse("v1|lb|7|week||0|1800000000|x"), None);
        let share = ComponentId::ShareCard { owner: u64::MAX };
        assert_eq!(ComponentId::parse(&share.encode()), Some(share));
        let full = ComponentId::FullMap {
            owner: u64::MAX,
            member: 7,
        };
        assert_eq!(ComponentId::parse(&full.encode()), Some(full));
        assert_eq!(ComponentId::parse("v1|sh|x"), None);
        let answer = ComponentId::QuizAnswer {
            ask: u64::MAX >> 2,
            slot: 3,
        };
        assert_eq!(ComponentId::parse(&answer.encode()), Some(answer));
        assert_eq!(ComponentId::parse("v1|qz|12|4"), None, "four buttons only");
        assert_eq!(ComponentId::parse("v1|qz|x|1"), None);
        for id in [
            ComponentId::QuizNext {
                item: "kafka".into(),
            },
            ComponentId::QuizMe {
                item: "kafka".into(),
            },
        ] {
            assert_eq!(ComponentId::parse(&id.encode()), Some(id));
        }
        assert_eq!(ComponentId::parse("v0|rm|databases|2"), None);
        assert_eq!(ComponentId::parse("v1|rm|databases|x"), None);
        assert_eq!(ComponentId::parse("v1|rm|databases|1|extra"), None);
        assert_eq!(ComponentId::parse("something else"), None);
    }
}
