//! Reading and validating roadmap files.
//!
//! Files are parsed into `Raw*` structs that mirror the TOML and keep source spans, then
//! validated into the immutable model. Validation collects every problem it finds, each with
//! file, line, column, the entity it belongs to and the field, so a content author fixes a file
//! in one pass instead of one error per start-up.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::map::Roadmap;
use super::model::{
    Group, GroupIdx, Item, ItemIdx, Node, Question, Requirement, Section, SectionIdx, Text, Track,
    TrackIdx,
};
use super::search::{compact, normalize};
use crate::i18n::Locale;

/// Longest id: ids travel inside Discord `custom_id`s (100 chars) next to other data.
pub const MAX_ID_LEN: usize = 40;
pub const MAX_NAME_LEN: usize = 80;
/// A section's short name: what fits beside its bar on the summary card at a legible size.
pub const MAX_SHORT_LEN: usize = 24;
pub const MAX_INTRO_LEN: usize = 400;
pub const MAX_DESCRIPTION_LEN: usize = 350;
pub const MAX_WHY_LEN: usize = 300;
pub const MAX_PROMPT_LEN: usize = 240;
pub const MAX_PROMPTS: usize = 3;
pub const MAX_LINKS: usize = 3;
pub const MAX_LINK_LEN: usize = 300;
pub const MAX_ALIAS_LEN: usize = 60;
/// Quiz texts: the question and its four answers share one embed; answers are listed there and
/// picked with buttons A to D (so an answer is not bound by a button label's 80 characters).
pub const MAX_QUESTION_LEN: usize = 300;
pub const MAX_ANSWER_LEN: usize = 150;
pub const MAX_EXPLANATION_LEN: usize = 400;
/// Questions an item should have: `trilha check` reports items with fewer.
pub const MIN_QUESTIONS: usize = 3;

/// One problem in one roadmap file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the file as a whole.
    pub line: usize,
    pub column: usize,
    /// The entity the field belongs to, e.g. `item "kafka"`.
    pub context: Option<String>,
    /// The field, e.g. `description.en`.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ":")?;
        if let Some(context) = &self.context {
            write!(f, " {context}:")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field `{field}`:")?;
        }
        write!(f, " {}", self.message)
    }
}

/// Every problem found while loading a roadmap directory.
#[derive(Debug)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "the roadmap has {n} problem{}:",
            if n == 1 { "" } else { "s" }
        )?;
        for error in &self.0 {
            writeln!(f, "  {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrack {
    id: Spanned<String>,
    /// The card's title: also a name the overview is found by.
    card: Option<String>,
    name: Spanned<RawText>,
    milestone: Spanned<RawText>,
    intro: Spanned<RawText>,
    #[serde(default)]
    section: Vec<Spanned<RawSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: Spanned<String>,
    #[allow(dead_code)]
    card: Option<String>,
    name: Spanned<RawText>,
    /// A shorter name for compact pictures, when `name` is long.
    short: Option<Spanned<RawText>>,
    intro: Spanned<RawText>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    pick: Option<Spanned<RawPick>>,
    item: Option<Vec<Spanned<RawItem>>>,
    group: Option<Vec<Spanned<RawGroup>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    #[allow(dead_code)]
    card: Option<String>,
    name: Spanned<RawText>,
    intro: Option<Spanned<RawText>>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    pick: Option<Spanned<RawPick>>,
    #[serde(default)]
    item: Vec<Spanned<RawItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    #[allow(dead_code)]
    card: Option<String>,
    name: Spanned<RawText>,
    #[serde(default)]
    aliases: Vec<Spanned<String>>,
    #[serde(default)]
    keywords: Vec<Spanned<String>>,
    #[serde(default)]
    related: Vec<Spanned<String>>,
    description: Spanned<RawText>,
    why: Spanned<RawText>,
    prompts: Spanned<BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    links: Vec<Spanned<String>>,
}

/// A file of quiz questions (`quiz/*.toml` beside the roadmap files).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuizFile {
    #[serde(default)]
    question: Vec<Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    item: Spanned<String>,
    question: Spanned<RawText>,
    /// The correct answer.
    answer: Spanned<RawText>,
    /// Exactly three wrong answers per language.
    wrong: Spanned<BTreeMap<String, Vec<String>>>,
    explanation: Spanned<RawText>,
}

/// A text is either the same in every language (proper nouns) or a table per language.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawText {
    Plain(String),
    Localized(BTreeMap<String, String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawPick {
    Count(i64),
    Word(String),
}

/// Reads every `*.toml` file in `dir` (sorted by name) into one roadmap, with the quiz questions
/// of `dir/quiz/*.toml` when that folder exists.
pub fn load_dir(dir: &Path) -> Result<Roadmap, LoadErrors> {
    let file_error = |message: String| {
        LoadErrors(vec![LoadError {
            file: dir.to_path_buf(),
            line: 0,
            column: 0,
            context: None,
            field: None,
            message,
        }])
    };
    let entries = std::fs::read_dir(dir).map_err(|e| {
        file_error(format!(
            "cannot read the roadmap folder: {e} (set ROADMAP_DIR to the folder holding the roadmap .toml files)"
        ))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(file_error(
            "no roadmap files (*.toml) in this folder (set ROADMAP_DIR to the folder holding them)"
                .into(),
        ));
    }
    let mut files = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(source) => files.push((path, source)),
            Err(e) => errors.push(LoadError {
                file: path,
                line: 0,
                column: 0,
                context: None,
                field: None,
                message: format!("cannot read the file: {e}"),
            }),
        }
    }
    let quiz_dir = dir.join("quiz");
    let mut quiz = Vec::new();
    if quiz_dir.is_dir() {
        let mut quiz_paths: Vec<PathBuf> = std::fs::read_dir(&quiz_dir)
            .map_err(|e| file_error(format!("cannot read {}: {e}", quiz_dir.display())))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        quiz_paths.sort();
        for path in quiz_paths {
            match std::fs::read_to_string(&path) {
                Ok(source) => quiz.push((path, source)),
                Err(e) => errors.push(LoadError {
                    file: path,
                    line: 0,
                    column: 0,
                    context: None,
                    field: None,
                    message: format!("cannot read the file: {e}"),
                }),
            }
        }
    }
    if !errors.is_empty() {
        return Err(LoadErrors(errors));
    }
    build(&files, &quiz)
}

/// Loads a roadmap from in-memory sources, as `(file name, TOML text)` pairs.
pub fn load_str(files: &[(PathBuf, String)]) -> Result<Roadmap, LoadErrors> {
    build(files, &[])
}

/// Loads a roadmap and its quiz questions from in-memory sources.
pub fn load_str_with_quiz(
    files: &[(PathBuf, String)],
    quiz: &[(PathBuf, String)],
) -> Result<Roadmap, LoadErrors> {
    build(files, quiz)
}

/// Where a term for the search index was defined, to report collisions precisely.
struct TermOrigin {
    node: Node,
    file: usize,
    span: Range<usize>,
    text: String,
}

struct Builder<'a> {
    files: &'a [(PathBuf, String)],
    file: usize,
    errors: Vec<LoadError>,
    tracks: Vec<Track>,
    sections: Vec<Section>,
    groups: Vec<Group>,
    items: Vec<Item>,
    /// id -> (file, span) of its first definition.
    ids: HashMap<String, (usize, Range<usize>)>,
    terms: Vec<TermOrigin>,
    /// Related ids are resolved after every file is read.
    pending_related: Vec<(ItemIdx, usize, Spanned<String>)>,
    questions: Vec<Question>,
}

fn build(roadmap: &[(PathBuf, String)], quiz: &[(PathBuf, String)]) -> Result<Roadmap, LoadErrors> {
    // One list, so errors in either kind of file point into it the same way.
    let files: Vec<(PathBuf, String)> = roadmap.iter().chain(quiz).cloned().collect();
    let mut b = Builder {
        files: &files,
        file: 0,
        errors: Vec::new(),
        tracks: Vec::new(),
        sections: Vec::new(),
        groups: Vec::new(),
        items: Vec::new(),
        ids: HashMap::new(),
        terms: Vec::new(),
        pending_related: Vec::new(),
        questions: Vec::new(),
    };
    for (i, (path, source)) in roadmap.iter().enumerate() {
        b.file = i;
        match toml::from_str::<RawTrack>(source) {
            Ok(raw) => b.track(raw),
            Err(e) => b.errors.push(toml_error(path, source, &e)),
        }
    }
    b.resolve_related();
    b.check_term_collisions();
    for (i, (path, source)) in quiz.iter().enumerate() {
        b.file = roadmap.len() + i;
        match toml::from_str::<RawQuizFile>(source) {
            Ok(raw) => {
                for question in raw.question {
                    b.question(question);
                }
            }
            Err(e) => b.errors.push(toml_error(path, source, &e)),
        }
    }
    if b.errors.is_empty() {
        let mut roadmap = Roadmap::new(b.tracks, b.sections, b.groups, b.items);
        roadmap.set_questions(b.questions);
        Ok(roadmap)
    } else {
        Err(LoadErrors(b.errors))
    }
}

fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, column)
}

fn toml_error(path: &Path, source: &str, e: &toml::de::Error) -> LoadError {
    let (line, column) = e.span().map_or((0, 0), |s| line_col(source, s.start));
    // For unknown or missing keys the span covers the key itself; name it as the field.
    let field = e
        .span()
        .map(|s| source[s.start.min(source.len())..s.end.min(source.len())].trim())
        .filter(|text| {
            !text.is_empty()
                && text.len() <= 64
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map(str::to_string);
    let message = e.message().trim().to_string();
    // serde reports a missing key in the message only; name it as the field too.
    let field = field.or_else(|| {
        message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    });
    LoadError {
        file: path.to_path_buf(),
        line,
        column,
        context: None,
        field,
        message,
    }
}

/// A control character a member's client would show as garbage or not at all (a NUL, an escape,
/// a bidi override); line breaks are allowed in texts.
fn control_character(value: &str) -> Option<char> {
    value.chars().find(|&c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn control_message(c: char) -> String {
    format!(
        "contains the control character U+{:04X}: remove it (texts are plain; only line breaks are allowed)",
        u32::from(c)
    )
}

fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

impl Builder<'_> {
    fn error(&mut self, span: &Range<usize>, context: &str, field: &str, message: String) {
        let (path, source) = &self.files[self.file];
        let (line, column) = line_col(source, span.start);
        self.errors.push(LoadError {
            file: path.clone(),
            line,
            column,
            context: (!context.is_empty()).then(|| context.to_string()),
            field: (!field.is_empty()).then(|| field.to_string()),
            message,
        });
    }

    fn id(&mut self, raw: &Spanned<String>, kind: &str) -> String {
        let id = raw.get_ref().clone();
        let context = format!("{kind} \"{id}\"");
        if !is_slug(&id) {
            self.error(
                &raw.span(),
                &context,
                "id",
                "an id must be lowercase letters and digits separated by single hyphens (like `message-brokers`)".into(),
            );
        } else if id.len() > MAX_ID_LEN {
            self.error(
                &raw.span(),
                &context,
                "id",
                format!("an id has at most {MAX_ID_LEN} characters"),
            );
        }
        if let Some((file, span)) = self.ids.get(&id).cloned() {
            let (path, source) = &self.files[file];
            let (line, _) = line_col(source, span.start);
            let first = format!("{}:{line}", path.display());
            self.error(
                &raw.span(),
                &context,
                "id",
                format!("duplicate id `{id}`: it is already used at {first}; ids must be unique across all roadmap files"),
            );
        } else {
            self.ids.insert(id.clone(), (self.file, raw.span()));
        }
        id
    }

    /// Validates a text: both languages present, non-empty, within `max` characters.
    fn text(
        &mut self,
        raw: &Spanned<RawText>,
        context: &str,
        field: &str,
        max: usize,
        allow_plain: bool,
    ) -> Text {
        let span = raw.span();
        match raw.get_ref() {
            RawText::Plain(value) => {
                if !allow_plain {
                    self.error(
                        &span,
                        context,
                        field,
                        format!("needs a translation per language: write `{field}.pt-BR = \"...\"` and `{field}.en = \"...\"`"),
                    );
                }
                self.check_len(&span, context, field, value, max);
                Text {
                    pt_br: value.clone(),
                    en: value.clone(),
                }
            }
            RawText::Localized(map) => {
                self.check_languages(&span, context, field, map.keys());
                let mut get = |locale: Locale| -> String {
                    let key = locale.file_key();
                    let sub = format!("{field}.{key}");
                    match map.get(key) {
                        Some(value) => {
                            self.check_len(&span, context, &sub, value, max);
                            value.clone()
                        }
                        None => {
                            let language = match locale {
                                Locale::PtBr => "Portuguese (pt-BR)",
                                Locale::En => "English (en)",
                            };
                            self.error(
                                &span,
                                context,
                                &sub,
                                format!(
                                    "missing {language} translation: every text needs pt-BR and en"
                                ),
                            );
                            String::new()
                        }
                    }
                };
                let pt_br = get(Locale::PtBr);
                let en = get(Locale::En);
                Text { pt_br, en }
            }
        }
    }

    /// Reports each key of a per-language table that names no language.
    fn check_languages<'k>(
        &mut self,
        span: &Range<usize>,
        context: &str,
        field: &str,
        keys: impl Iterator<Item = &'k String>,
    ) {
        for key in keys {
            if Locale::ALL.iter().all(|l| l.file_key() != key) {
                self.error(
                    span,
                    context,
                    &format!("{field}.{key}"),
                    format!("unknown language `{key}`: the languages are `pt-BR` and `en`"),
                );
            }
        }
    }

    fn check_len(
        &mut self,
        span: &Range<usize>,
        context: &str,
        field: &str,
        value: &str,
        max: usize,
    ) {
        if value.trim().is_empty() {
            self.error(span, context, field, "is empty".into());
        } else if let Some(c) = control_character(value) {
            self.error(span, context, field, control_message(c));
        } else if value.chars().count() > max {
            self.error(
                span,
                context,
                field,
                format!(
                    "is {} characters long; the limit is {max} so it fits in a Discord message",
                    value.chars().count()
                ),
            );
        }
    }

    /// One quiz question: its item exists, every text is in both languages and within its
    /// limit, there are exactly three wrong answers, and the four answers differ.
    fn question(&mut self, raw: Spanned<RawQuestion>) {
        let span = raw.span();
        let raw = raw.into_inner();
        let item_id = raw.item.get_ref().clone();
        let context = format!("question on \"{item_id}\"");
        let item = self.items.iter().position(|i| i.id == item_id).map(ItemIdx);
        if item.is_none() {
            self.error(
                &raw.item.span(),
                &context,
                "item",
                format!("no item has the id `{item_id}`"),
            );
        }
        let question = self.text(&raw.question, &context, "question", MAX_QUESTION_LEN, false);
        let answer = self.text(&raw.answer, &context, "answer", MAX_ANSWER_LEN, false);
        let explanation = self.text(
            &raw.explanation,
            &context,
            "explanation",
            MAX_EXPLANATION_LEN,
            false,
        );
        let wrong = self.wrong_answers(&raw.wrong, &context);
        self.check_answers_differ(&span, &context, &answer, &wrong);
        let Some(item) = item else { return };
        let key = super::quiz::question_key(&item_id, &question.en);
        if self.questions.iter().any(|q| q.key == key) {
            self.error(
                &raw.question.span(),
                &context,
                "question",
                "the same question is written twice for this item".into(),
            );
            return;
        }
        self.questions.push(Question {
            key,
            item,
            question,
            answer,
            wrong,
            explanation,
        });
    }

    /// The three wrong answers, in both languages; a list that is missing or not exactly three
    /// long is reported and leaves its language empty.
    fn wrong_answers(
        &mut self,
        raw: &Spanned<BTreeMap<String, Vec<String>>>,
        context: &str,
    ) -> [Text; 3] {
        let span = raw.span();
        let mut wrong: [Text; 3] = Default::default();
        self.check_languages(&span, context, "wrong", raw.get_ref().keys());
        for locale in Locale::ALL {
            let field = format!("wrong.{}", locale.file_key());
            match raw.get_ref().get(locale.file_key()) {
                Some(list) if list.len() == 3 => {
                    for (n, value) in list.iter().enumerate() {
                        self.check_len(&span, context, &field, value, MAX_ANSWER_LEN);
                        match locale {
                            Locale::PtBr => wrong[n].pt_br = value.clone(),
                            Locale::En => wrong[n].en = value.clone(),
                        }
                    }
                }
                Some(list) => self.error(
                    &span,
                    context,
                    &field,
                    format!(
                        "has {} answers; a question has exactly 3 wrong answers",
                        list.len()
                    ),
                ),
                None => self.error(
                    &span,
                    context,
                    &field,
                    "missing: every question needs 3 wrong answers in pt-BR and in en".into(),
                ),
            }
        }
        wrong
    }

    /// In each language, the correct answer and the three wrong ones must all differ once
    /// normalized, or two buttons would read the same (answers missing or blank there are
    /// reported elsewhere, and not compared).
    fn check_answers_differ(
        &mut self,
        span: &Range<usize>,
        context: &str,
        answer: &Text,
        wrong: &[Text; 3],
    ) {
        for locale in Locale::ALL {
            let mut seen = std::collections::HashSet::new();
            let all = std::iter::once(answer).chain(wrong.iter());
            if !all
                .map(|t| normalize(t.get(locale)))
                .all(|a| a.is_empty() || seen.insert(a))
            {
                self.error(
                    span,
                    context,
                    &format!("answer.{}", locale.file_key()),
                    "the four answers must all differ (the correct one and the three wrong ones)"
                        .into(),
                );
            }
        }
    }

    fn requirement(
        &mut self,
        raw: &Option<Spanned<RawPick>>,
        context: &str,
        available: usize,
    ) -> Option<Requirement> {
        let raw = raw.as_ref()?;
        let span = raw.span();
        match raw.get_ref() {
            RawPick::Word(word) if word == "all" => Some(Requirement::All),
            RawPick::Word(word) => {
                self.error(
                    &span,
                    context,
                    "pick",
                    format!("`pick = \"{word}\"` is not a requirement: use a number (`pick = 1`) or `pick = \"all\"`"),
                );
                None
            }
            RawPick::Count(n) if *n < 1 => {
                self.error(
                    &span,
                    context,
                    "pick",
                    format!("`pick = {n}` is impossible: pick at least 1, or remove `pick` to make it optional"),
                );
                None
            }
            RawPick::Count(n) if *n as usize > available => {
                self.error(
                    &span,
                    context,
                    "pick",
                    format!(
                        "impossible requirement: pick {n} of {available} item{}",
                        if available == 1 { "" } else { "s" }
                    ),
                );
                None
            }
            RawPick::Count(n) => Some(Requirement::Pick(*n as u32)),
        }
    }

    fn term(&mut self, node: Node, span: Range<usize>, text: &str) {
        self.terms.push(TermOrigin {
            node,
            file: self.file,
            span,
            text: text.to_string(),
        });
    }

    fn aliases(
        &mut self,
        raw: &[Spanned<String>],
        node: Node,
        context: &str,
        field: &str,
    ) -> Vec<String> {
        let mut out = Vec::with_capacity(raw.len());
        for alias in raw {
            let value = alias.get_ref();
            if normalize(value).is_empty() {
                self.error(
                    &alias.span(),
                    context,
                    field,
                    format!("`{value}` has no letters or digits to search by"),
                );
                continue;
            }
            if let Some(c) = control_character(value) {
                self.error(&alias.span(), context, field, control_message(c));
                continue;
            }
            if value.chars().count() > MAX_ALIAS_LEN {
                self.error(
                    &alias.span(),
                    context,
                    field,
                    format!("`{value}` is longer than {MAX_ALIAS_LEN} characters"),
                );
                continue;
            }
            if field == "aliases" {
                self.term(node, alias.span(), value);
            }
            out.push(value.clone());
        }
        out
    }

    fn track(&mut self, raw: RawTrack) {
        let track_idx = TrackIdx(self.tracks.len());
        let id = self.id(&raw.id, "roadmap");
        let context = format!("roadmap \"{id}\"");
        let name = self.text(&raw.name, &context, "name", MAX_NAME_LEN, false);
        let intro = self.text(&raw.intro, &context, "intro", MAX_INTRO_LEN, false);
        let milestone = self.text(&raw.milestone, &context, "milestone", MAX_NAME_LEN, false);
        if raw.section.is_empty() {
            self.error(
                &raw.id.span(),
                &context,
                "section",
                "the roadmap has no `[[section]]`".into(),
            );
        }
        let mut sections = Vec::new();
        for section in raw.section {
            sections.push(self.section(section, track_idx));
        }
        self.tracks.push(Track {
            id,
            card: raw.card.clone(),
            name,
            intro,
            milestone,
            sections,
        });
    }

    fn section(&mut self, raw: Spanned<RawSection>, track: TrackIdx) -> SectionIdx {
        let span = raw.span();
        let raw = raw.into_inner();
        let idx = SectionIdx(self.sections.len());
        let node = Node::Section(idx);
        let id = self.id(&raw.id, "section");
        let context = format!("section \"{id}\"");
        self.term(node, raw.id.span(), &id);
        let name = self.text(&raw.name, &context, "name", MAX_NAME_LEN, false);
        self.name_terms(node, &raw.name, &name);
        let short = raw
            .short
            .as_ref()
            .map(|short| self.text(short, &context, "short", MAX_SHORT_LEN, true));
        let intro = self.text(&raw.intro, &context, "intro", MAX_INTRO_LEN, false);
        let aliases = self.aliases(&raw.aliases, node, &context, "aliases");
        // Reserve the slot so groups and items can point at it.
        self.sections.push(Section {
            id,
            track,
            name,
            short,
            intro,
            aliases,
            requirement: None,
            groups: Vec::new(),
            items: Vec::new(),
        });

        let mut groups = Vec::new();
        let mut items = Vec::new();
        match (raw.item, raw.group) {
            (Some(raw_items), raw_groups) => {
                if raw_groups.is_some() {
                    self.error(
                        &span,
                        &context,
                        "item",
                        "a section has either `[[section.item]]` or `[[section.group]]` blocks, not both".into(),
                    );
                }
                for item in raw_items {
                    items.push(self.item(item, idx, None));
                }
            }
            (None, Some(raw_groups)) => {
                for group in raw_groups {
                    if raw.pick.is_some() && group.get_ref().pick.is_some() {
                        let id = group.get_ref().id.get_ref().clone();
                        self.error(
                            &group.get_ref().pick.as_ref().map_or(group.span(), |p| p.span()),
                            &format!("group \"{id}\""),
                            "pick",
                            format!("the section \"{}\" already has a `pick`; put the requirement on the section or on its groups, not both", self.sections[idx.0].id),
                        );
                    }
                    let g = self.group(group, idx);
                    items.extend(self.groups[g.0].items.iter().copied());
                    groups.push(g);
                }
            }
            (None, None) => {}
        }
        if items.is_empty() {
            self.error(&span, &context, "item", "the section has no items".into());
        }
        let requirement = self.requirement(&raw.pick, &context, items.len());
        let section = &mut self.sections[idx.0];
        section.requirement = requirement;
        section.groups = groups;
        section.items = items;
        idx
    }

    fn name_terms(&mut self, node: Node, raw: &Spanned<RawText>, name: &Text) {
        let span = raw.span();
        self.term(node, span.clone(), &name.pt_br.clone());
        if name.en != name.pt_br {
            self.term(node, span, &name.en.clone());
        }
    }

    fn group(&mut self, raw: Spanned<RawGroup>, section: SectionIdx) -> GroupIdx {
        let span = raw.span();
        let raw = raw.into_inner();
        let idx = GroupIdx(self.groups.len());
        let node = Node::Group(idx);
        let id = self.id(&raw.id, "group");
        let context = format!("group \"{id}\"");
        self.term(node, raw.id.span(), &id);
        let name = self.text(&raw.name, &context, "name", MAX_NAME_LEN, false);
        self.name_terms(node, &raw.name, &name);
        let intro = raw
            .intro
            .as_ref()
            .map(|intro| self.text(intro, &context, "intro", MAX_INTRO_LEN, false));
        let aliases = self.aliases(&raw.aliases, node, &context, "aliases");
        self.groups.push(Group {
            id,
            section,
            name,
            intro,
            aliases,
            requirement: None,
            items: Vec::new(),
        });
        let mut items = Vec::new();
        for item in raw.item {
            items.push(self.item(item, section, Some(idx)));
        }
        if items.is_empty() {
            self.error(&span, &context, "item", "the group has no items".into());
        }
        let requirement = self.requirement(&raw.pick, &context, items.len());
        let group = &mut self.groups[idx.0];
        group.requirement = requirement;
        group.items = items;
        idx
    }

    fn item(
        &mut self,
        raw: Spanned<RawItem>,
        section: SectionIdx,
        group: Option<GroupIdx>,
    ) -> ItemIdx {
        let raw = raw.into_inner();
        let idx = ItemIdx(self.items.len());
        let node = Node::Item(idx);
        let id = self.id(&raw.id, "item");
        let context = format!("item \"{id}\"");
        self.term(node, raw.id.span(), &id);
        let name = self.text(&raw.name, &context, "name", MAX_NAME_LEN, true);
        self.name_terms(node, &raw.name, &name);
        let aliases = self.aliases(&raw.aliases, node, &context, "aliases");
        let keywords = self.aliases(&raw.keywords, node, &context, "keywords");
        let description = self.text(
            &raw.description,
            &context,
            "description",
            MAX_DESCRIPTION_LEN,
            false,
        );
        let why = self.text(&raw.why, &context, "why", MAX_WHY_LEN, false);
        let prompts = self.prompts(&raw.prompts, &context);
        let links = self.links(&raw.links, &context);
        for related in raw.related {
            self.pending_related.push((idx, self.file, related));
        }
        self.items.push(Item {
            id,
            section,
            group,
            name,
            aliases,
            keywords,
            related: Vec::new(),
            description,
            why,
            prompts,
            links,
        });
        idx
    }

    fn prompts(
        &mut self,
        raw: &Spanned<BTreeMap<String, Vec<String>>>,
        context: &str,
    ) -> Vec<Text> {
        let span = raw.span();
        let map = raw.get_ref();
        for key in map.keys() {
            if Locale::ALL.iter().all(|l| l.file_key() != key) {
                self.error(
                    &span,
                    context,
                    &format!("prompts.{key}"),
                    format!("unknown language `{key}`: the languages are `pt-BR` and `en`"),
                );
            }
        }
        let (Some(pt), Some(en)) = (map.get("pt-BR"), map.get("en")) else {
            let missing = if map.contains_key("pt-BR") {
                "prompts.en"
            } else {
                "prompts.pt-BR"
            };
            self.error(
                &span,
                context,
                missing,
                "missing translation: study prompts are needed in pt-BR and en".into(),
            );
            return Vec::new();
        };
        if pt.len() != en.len() {
            self.error(
                &span,
                context,
                "prompts",
                format!(
                    "pt-BR has {} prompts and en has {}: each prompt needs its translation",
                    pt.len(),
                    en.len()
                ),
            );
        }
        if pt.is_empty() || pt.len() > MAX_PROMPTS {
            self.error(
                &span,
                context,
                "prompts",
                format!("write 1 to {MAX_PROMPTS} study prompts per language"),
            );
        }
        let mut out = Vec::new();
        for (i, (p, e)) in pt.iter().zip(en.iter()).enumerate() {
            self.check_len(
                &span,
                context,
                &format!("prompts.pt-BR[{i}]"),
                p,
                MAX_PROMPT_LEN,
            );
            self.check_len(
                &span,
                context,
                &format!("prompts.en[{i}]"),
                e,
                MAX_PROMPT_LEN,
            );
            out.push(Text {
                pt_br: p.clone(),
                en: e.clone(),
            });
        }
        out
    }

    fn links(&mut self, raw: &[Spanned<String>], context: &str) -> Vec<String> {
        if raw.len() > MAX_LINKS {
            self.error(
                &raw[MAX_LINKS].span(),
                context,
                "links",
                format!("at most {MAX_LINKS} links per item"),
            );
        }
        let mut out = Vec::new();
        for link in raw {
            let value = link.get_ref();
            let ok = value.starts_with("https://")
                && value.len() > "https://".len()
                && value.len() <= MAX_LINK_LEN
                && !value.chars().any(|c| c.is_whitespace() || c.is_control());
            if ok {
                out.push(value.clone());
            } else {
                self.error(&link.span(), context, "links", format!("`{value}` is not an https:// URL (without spaces, at most {MAX_LINK_LEN} characters)"));
            }
        }
        out
    }

    fn resolve_related(&mut self) {
        let pending = std::mem::take(&mut self.pending_related);
        let ids: HashMap<&str, ItemIdx> = self
            .items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.as_str(), ItemIdx(i)))
            .collect();
        let mut resolved: Vec<(ItemIdx, ItemIdx)> = Vec::new();
        let mut problems = Vec::new();
        for (item, file, related) in pending {
            match ids.get(related.get_ref().as_str()) {
                Some(&target) if target != item => resolved.push((item, target)),
                Some(_) => problems.push((
                    file,
                    related.span(),
                    item,
                    "an item cannot be related to itself".to_string(),
                )),
                None => problems.push((
                    file,
                    related.span(),
                    item,
                    format!("`{}` is not the id of any item", related.get_ref()),
                )),
            }
        }
        for (file, span, item, message) in problems {
            self.file = file;
            let context = format!("item \"{}\"", self.items[item.0].id);
            self.error(&span, &context, "related", message);
        }
        for (item, target) in resolved {
            self.items[item.0].related.push(target);
        }
    }

    /// Every id, name and alias must lead to exactly one node, or look-ups become guesses.
    fn check_term_collisions(&mut self) {
        let terms = std::mem::take(&mut self.terms);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, term) in terms.iter().enumerate() {
            let key = compact(&normalize(&term.text));
            if key.is_empty() {
                continue;
            }
            match seen.get(&key) {
                // Two nodes with the same id: already reported as a duplicate id.
                Some(&first)
                    if terms[first].node != term.node
                        && self.describe(terms[first].node) != self.describe(term.node) =>
                {
                    let other = &terms[first];
                    let (path, source) = &self.files[other.file];
                    let (line, _) = line_col(source, other.span.start);
                    let message = format!(
                        "`{}` would also find {} (\"{}\" at {}:{line}); names and aliases must lead to one place, use `keywords` for shared words",
                        term.text,
                        self.describe(other.node),
                        other.text,
                        path.display()
                    );
                    self.file = term.file;
                    let context = self.describe(term.node);
                    self.error(&term.span, &context, "aliases", message);
                }
                Some(_) => {}
                None => {
                    seen.insert(key, i);
                }
            }
        }
    }

    fn describe(&self, node: Node) -> String {
        match node {
            Node::Section(s) => format!("section \"{}\"", self.sections[s.0].id),
            Node::Group(g) => format!("group \"{}\"", self.groups[g.0].id),
            Node::Item(i) => format!("item \"{}\"", self.items[i.0].id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(source: &str) -> Result<Roadmap, LoadErrors> {
        load_str(&[(PathBuf::from("t.toml"), source.to_string())])
    }

    const MINIMAL: &str = r#"
id = "t"
name = { pt-BR = "Trilha", en = "Track" }
milestone = { pt-BR = "Meta", en = "Goal" }
intro = { pt-BR = "Intro", en = "Intro" }

[[section]]
id = "brokers"
name = { pt-BR = "Mensageria", en = "Messaging" }
intro = { pt-BR = "i", en = "i" }
pick = 1

  [[section.item]]
  id = "kafka"
  name = "Kafka"
  description = { pt-BR = "d", en = "d" }
  why = { pt-BR = "w", en = "w" }
  prompts = { pt-BR = ["p"], en = ["p"] }
"#;

    #[test]
    fn a_minimal_roadmap_loads() {
        let roadmap = load(MINIMAL).expect("valid");
        assert_eq!(roadmap.item_count(), 1);
        let kafka = roadmap.item_by_id("kafka").unwrap();
        assert_eq!(roadmap.item(kafka).name.get(Locale::En), "Kafka");
        assert_eq!(roadmap.requirements(SectionIdx(0))[0].needed(), 1);
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn slugs() {
        assert!(is_slug("message-brokers"));
        assert!(is_slug("c2"));
        assert!(!is_slug("Message"));
        assert!(!is_slug("a--b"));
        assert!(!is_slug("-a"));
        assert!(!is_slug(""));
    }
}
