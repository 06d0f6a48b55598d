//! `custom_id`s of the buttons trilha sends, encoded and parsed in one place.
//!
//! Format: `v1|<kind>|<fields…>`. The version prefix lets a future release recognise buttons
//! on old messages and answer them gracefully instead of misreading them. Every id stays well
//! under Discord's 100 characters because roadmap ids are at most 40.

/// The version written into every id; bump it when a layout below changes.
const VERSION: &str = "v1";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComponentId {
    /// A page of a `/roadmap` view. `node` is a roadmap id, or empty for the overview.
    RoadmapPage { node: String, page: usize },
}

impl ComponentId {
    pub fn encode(&self) -> String {
        match self {
            ComponentId::RoadmapPage { node, page } => format!("{VERSION}|rm|{node}|{page}"),
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
        assert_eq!(ComponentId::parse("v0|rm|databases|2"), None);
        assert_eq!(ComponentId::parse("v1|rm|databases|x"), None);
        assert_eq!(ComponentId::parse("v1|rm|databases|1|extra"), None);
        assert_eq!(ComponentId::parse("something else"), None);
    }
}
