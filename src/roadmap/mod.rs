//! The roadmap: sections, groups and items loaded from the data files in `ROADMAP_DIR`.
//!
//! The model is immutable after [`load`] and shared as `Arc<Roadmap>`. Relations are stored as
//! typed indices ([`SectionIdx`], [`GroupIdx`], [`ItemIdx`]) into flat vectors in roadmap order,
//! which keeps look-ups allocation-free and lets renderers walk the card's order directly.
//! Progress rows in the database reference the stable string ids, never these indices.

mod load;
pub mod quiz;
pub mod search;

use std::collections::HashMap;
use std::fmt;

use crate::i18n::Locale;

pub use load::{LoadError, LoadErrors, MIN_QUESTIONS, load_dir, load_str, load_str_with_quiz};
pub use search::{Resolution, Suggestion};

/// The roadmap this repository ships, for unit tests.
#[cfg(test)]
pub(crate) fn shipped() -> Roadmap {
    load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("roadmap"))
        .expect("the shipped roadmap loads")
}

/// A text in both languages. Validation guarantees both are present and non-empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    pub pt_br: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::PtBr => &self.pt_br,
            Locale::En => &self.en,
        }
    }
}

/// The card's rule for a section or group: "know at least N of these" or "know all of them".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    Pick(u32),
    All,
}

impl Requirement {
    /// How many items must be done to meet the requirement, given the scope's size.
    pub fn needed(self, available: usize) -> usize {
        match self {
            Requirement::Pick(n) => n as usize,
            Requirement::All => available,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackIdx(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SectionIdx(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupIdx(pub usize);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemIdx(pub usize);

/// Anything a member can ask about by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Section(SectionIdx),
    Group(GroupIdx),
    Item(ItemIdx),
}

/// One roadmap file: a path such as "backend developer" with its milestone.
#[derive(Debug)]
pub struct Track {
    pub id: String,
    /// The card's own title for it, when the file quotes one.
    pub card: Option<String>,
    pub name: Text,
    pub intro: Text,
    pub milestone: Text,
    pub sections: Vec<SectionIdx>,
}

#[derive(Debug)]
pub struct Section {
    pub id: String,
    pub track: TrackIdx,
    pub name: Text,
    pub intro: Text,
    pub aliases: Vec<String>,
    /// Requirement over all of the section's items; when `None`, groups may carry their own.
    pub requirement: Option<Requirement>,
    pub groups: Vec<GroupIdx>,
    /// Every item of the section in card order, across groups.
    pub items: Vec<ItemIdx>,
}

#[derive(Debug)]
pub struct Group {
    pub id: String,
    pub section: SectionIdx,
    pub name: Text,
    pub intro: Option<Text>,
    pub aliases: Vec<String>,
    pub requirement: Option<Requirement>,
    pub items: Vec<ItemIdx>,
}

#[derive(Debug)]
pub struct Item {
    pub id: String,
    pub section: SectionIdx,
    pub group: Option<GroupIdx>,
    pub name: Text,
    pub aliases: Vec<String>,
    pub keywords: Vec<String>,
    pub related: Vec<ItemIdx>,
    pub description: Text,
    pub why: Text,
    pub prompts: Vec<Text>,
    pub links: Vec<String>,
}

/// A multiple-choice question on an item, from `quiz/*.toml`.
#[derive(Debug)]
pub struct Question {
    /// Stable across releases while the question's English text stays the same: progress in
    /// the quiz is stored against it.
    pub key: String,
    pub item: ItemIdx,
    pub question: Text,
    pub answer: Text,
    pub wrong: [Text; 3],
    /// Shown after answering: why the right answer is right.
    pub explanation: Text,
}

/// One unit the milestone is judged on: a requirement and the items it ranges over.
#[derive(Clone, Debug)]
pub struct RequirementScope<'a> {
    pub section: SectionIdx,
    pub group: Option<GroupIdx>,
    pub requirement: Requirement,
    pub items: &'a [ItemIdx],
}

impl RequirementScope<'_> {
    pub fn needed(&self) -> usize {
        self.requirement.needed(self.items.len())
    }
}

/// The whole loaded roadmap.
pub struct Roadmap {
    tracks: Vec<Track>,
    sections: Vec<Section>,
    groups: Vec<Group>,
    items: Vec<Item>,
    ids: HashMap<String, Node>,
    index: search::SearchIndex,
    questions: Vec<Question>,
}

impl fmt::Debug for Roadmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roadmap")
            .field("tracks", &self.tracks.len())
            .field("sections", &self.sections.len())
            .field("groups", &self.groups.len())
            .field("items", &self.items.len())
            .finish()
    }
}

impl Roadmap {
    pub(crate) fn new(
        tracks: Vec<Track>,
        sections: Vec<Section>,
        groups: Vec<Group>,
        items: Vec<Item>,
    ) -> Roadmap {
        let mut ids = HashMap::new();
        for (i, s) in sections.iter().enumerate() {
            ids.insert(s.id.clone(), Node::Section(SectionIdx(i)));
        }
        for (i, g) in groups.iter().enumerate() {
            ids.insert(g.id.clone(), Node::Group(GroupIdx(i)));
        }
        for (i, it) in items.iter().enumerate() {
            ids.insert(it.id.clone(), Node::Item(ItemIdx(i)));
        }
        let mut roadmap = Roadmap {
            tracks,
            sections,
            groups,
            items,
            ids,
            index: search::SearchIndex::default(),
            questions: Vec::new(),
        };
        roadmap.index = search::SearchIndex::build(&roadmap);
        roadmap
    }

    pub(crate) fn set_questions(&mut self, questions: Vec<Question>) {
        self.questions = questions;
    }

    /// Every quiz question, in file order.
    pub fn questions(&self) -> &[Question] {
        &self.questions
    }

    /// The questions on one item, in file order.
    pub fn questions_of(&self, item: ItemIdx) -> impl Iterator<Item = &Question> {
        self.questions.iter().filter(move |q| q.item == item)
    }

    /// The question with this key.
    pub fn question(&self, key: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.key == key)
    }

    pub fn tracks(&self) -> &[Track] {
        &self.tracks
    }
    pub fn sections(&self) -> impl ExactSizeIterator<Item = (SectionIdx, &Section)> {
        self.sections
            .iter()
            .enumerate()
            .map(|(i, s)| (SectionIdx(i), s))
    }
    pub fn items(&self) -> impl ExactSizeIterator<Item = (ItemIdx, &Item)> {
        self.items.iter().enumerate().map(|(i, s)| (ItemIdx(i), s))
    }
    pub fn groups(&self) -> impl ExactSizeIterator<Item = (GroupIdx, &Group)> {
        self.groups
            .iter()
            .enumerate()
            .map(|(i, s)| (GroupIdx(i), s))
    }
    pub fn track(&self, idx: TrackIdx) -> &Track {
        &self.tracks[idx.0]
    }
    pub fn section(&self, idx: SectionIdx) -> &Section {
        &self.sections[idx.0]
    }
    pub fn group(&self, idx: GroupIdx) -> &Group {
        &self.groups[idx.0]
    }
    pub fn item(&self, idx: ItemIdx) -> &Item {
        &self.items[idx.0]
    }
    pub fn item_count(&self) -> usize {
        self.items.len()
    }
    pub fn section_count(&self) -> usize {
        self.sections.len()
    }

    /// The node with exactly this id.
    pub fn node(&self, id: &str) -> Option<Node> {
        self.ids.get(id).copied()
    }

    /// The item with exactly this id.
    pub fn item_by_id(&self, id: &str) -> Option<ItemIdx> {
        match self.node(id)? {
            Node::Item(idx) => Some(idx),
            _ => None,
        }
    }

    /// The section with exactly this id.
    pub fn section_by_id(&self, id: &str) -> Option<SectionIdx> {
        match self.node(id)? {
            Node::Section(idx) => Some(idx),
            _ => None,
        }
    }

    pub fn node_id(&self, node: Node) -> &str {
        match node {
            Node::Section(s) => &self.section(s).id,
            Node::Group(g) => &self.group(g).id,
            Node::Item(i) => &self.item(i).id,
        }
    }

    pub fn node_name(&self, node: Node, locale: Locale) -> &str {
        match node {
            Node::Section(s) => self.section(s).name.get(locale),
            Node::Group(g) => self.group(g).name.get(locale),
            Node::Item(i) => self.item(i).name.get(locale),
        }
    }

    /// The requirement units of a section, in card order. Empty for an optional section.
    pub fn requirements(&self, section: SectionIdx) -> Vec<RequirementScope<'_>> {
        let s = self.section(section);
        if let Some(requirement) = s.requirement {
            return vec![RequirementScope {
                section,
                group: None,
                requirement,
                items: &s.items,
            }];
        }
        s.groups
            .iter()
            .filter_map(|&g| {
                let group = self.group(g);
                group.requirement.map(|requirement| RequirementScope {
                    section,
                    group: Some(g),
                    requirement,
                    items: &group.items,
                })
            })
            .collect()
    }

    /// The section a query names: its id, a name or alias, or a group or item of it
    /// ("postgres" means Databases).
    pub fn section_named(&self, query: &str) -> Option<SectionIdx> {
        let query = query.trim();
        if let Some(s) = self.section_by_id(query) {
            return Some(s);
        }
        match self.resolve(query).found? {
            Node::Section(s) => Some(s),
            Node::Group(g) => Some(self.group(g).section),
            Node::Item(i) => Some(self.item(i).section),
        }
    }

    /// The roadmap (track) a query names as a whole: its id, its name in either language, the
    /// card's title, or "roadmap <id>" / "<id> roadmap" ("backend", "Roadmap backend").
    pub fn track_named(&self, query: &str) -> Option<TrackIdx> {
        let wanted = search::compact(&search::normalize(query));
        if wanted.is_empty() {
            return None;
        }
        self.tracks
            .iter()
            .position(|track| {
                let mut names = vec![
                    track.id.clone(),
                    track.name.pt_br.clone(),
                    track.name.en.clone(),
                    format!("roadmap {}", track.id),
                    format!("{} roadmap", track.id),
                ];
                names.extend(track.card.clone());
                names
                    .iter()
                    .any(|n| search::compact(&search::normalize(n)) == wanted)
            })
            .map(TrackIdx)
    }

    /// Resolves what a member typed to a node, with alternatives and suggestions.
    pub fn resolve(&self, query: &str) -> Resolution {
        self.index.resolve(query)
    }

    /// Ranked suggestions for autocomplete and "did you mean". `accept` filters the nodes.
    pub fn suggest(
        &self,
        query: &str,
        limit: usize,
        accept: impl Fn(Node) -> bool,
    ) -> Vec<Suggestion> {
        self.index.suggest(query, limit, accept)
    }
}
