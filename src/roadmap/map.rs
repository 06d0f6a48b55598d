//! The whole loaded roadmap: its parts in card order, look-up by id, and search.

use std::collections::HashMap;
use std::fmt;

use super::model::{
    Group, GroupIdx, Item, ItemIdx, Node, Question, RequirementScope, Section, SectionIdx, Track,
    TrackIdx,
};
use super::search::{self, Resolution, Suggestion};
use crate::i18n::Locale;

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
        roadmap.index =
            search::SearchIndex::build(&roadmap.sections, &roadmap.groups, &roadmap.items);
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
