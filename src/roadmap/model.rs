//! What a roadmap is made of: tracks (one per file), sections, groups and items, their texts and
//! requirements, the typed indices that relate them, and quiz questions.

use crate::i18n::Locale;

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
    /// A shorter name for compact pictures (the summary card), when the file gives one.
    pub short: Option<Text>,
    pub intro: Text,
    pub aliases: Vec<String>,
    /// Requirement over all of the section's items; when `None`, groups may carry their own.
    pub requirement: Option<Requirement>,
    pub groups: Vec<GroupIdx>,
    /// Every item of the section in card order, across groups.
    pub items: Vec<ItemIdx>,
}

impl Section {
    /// The name a compact picture shows: the short one when there is one.
    pub fn short_name(&self, locale: Locale) -> &str {
        self.short.as_ref().unwrap_or(&self.name).get(locale)
    }
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
