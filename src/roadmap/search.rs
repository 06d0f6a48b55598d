//! Finding roadmap nodes from whatever a member types.
//!
//! Every id, name (both languages), alias and keyword becomes a [`Term`], normalized once at
//! load: lowercase, accents stripped, `#` spelled out (`c#` -> `csharp`), punctuation turned
//! into word breaks, and compared without spaces (`node.js` = `nodejs` = `node js`).
//!
//! Ranking, best first: exact, prefix, word prefix (`kaf` finds "Apache Kafka"), keyword (weak,
//! shareable words such as "proxy" on NGINX), then typo-tolerant: the optimal string alignment
//! distance between the query and the closest *prefix* of a term, so a half-typed word with a
//! typo (`postgrs`) still matches while the member is typing.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::model::{Group, GroupIdx, Item, ItemIdx, Node, Section, SectionIdx};

/// Lowercases, strips accents and punctuation. `"Node.JS"` -> `"node js"`, `"C#"` -> `"csharp"`.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let spelled = match c {
            '#' => Some("sharp"),
            '+' => Some("plus"),
            _ => None,
        };
        if let Some(word) = spelled {
            // Glued to the previous word: "c#" is one token, "csharp".
            out.push_str(word);
            pending_space = false;
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// A normalized text without its spaces: the form terms are compared in.
pub fn compact(normalized: &str) -> String {
    normalized.chars().filter(|c| *c != ' ').collect()
}

/// How a node matched a query, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Exact,
    Prefix,
    WordPrefix,
    Keyword,
    Typo,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TermKind {
    /// Ids, names and aliases: an exact match resolves the query.
    Strong,
    /// Keywords: they suggest, and resolve only when a single node has the word.
    Keyword,
}

struct Term {
    node: Node,
    kind: TermKind,
    compact: String,
    /// Byte offsets in `compact` where a word starts (after the first).
    word_starts: Vec<usize>,
}

/// A ranked match for autocomplete or "did you mean".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub node: Node,
    pub tier: Tier,
}

/// What a query resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The node the query names, if any.
    pub found: Option<Node>,
    /// Other nodes the same word is associated with ("proxy" is also what NGINX does).
    pub alternatives: Vec<Node>,
    /// When nothing was found: the closest matches, best first.
    pub suggestions: Vec<Node>,
}

#[derive(Default)]
pub(super) struct SearchIndex {
    terms: Vec<Term>,
    /// Nodes in reading order: each section, then its groups and items.
    order: Vec<Node>,
    /// Position of each node in `order`, by dense node number.
    rank: Vec<u32>,
    sections: usize,
    groups: usize,
}

/// Longest query the typo matcher looks at; longer input is compared by its first characters.
const MAX_TYPO_LEN: usize = 48;
const MAX_TERM_LEN: usize = 64;

impl SearchIndex {
    pub(super) fn build(sections: &[Section], groups: &[Group], items: &[Item]) -> SearchIndex {
        let mut index = SearchIndex {
            sections: sections.len(),
            groups: groups.len(),
            ..SearchIndex::default()
        };
        let sections = || sections.iter().enumerate().map(|(i, s)| (SectionIdx(i), s));
        for (s, section) in sections() {
            index.order.push(Node::Section(s));
            for &g in &section.groups {
                index.order.push(Node::Group(g));
            }
            for &i in &section.items {
                index.order.push(Node::Item(i));
            }
        }
        index.rank = vec![0; index.order.len()];
        for (position, &node) in index.order.iter().enumerate() {
            let dense = index.dense(node);
            index.rank[dense] = position as u32;
        }
        let mut add = |node: Node, kind: TermKind, text: &str| {
            let normalized = normalize(text);
            if normalized.is_empty() {
                return;
            }
            let mut word_starts = Vec::new();
            let mut offset = 0;
            for (i, word) in normalized.split(' ').enumerate() {
                if i > 0 {
                    word_starts.push(offset);
                }
                offset += word.len();
            }
            index.terms.push(Term {
                node,
                kind,
                compact: compact(&normalized),
                word_starts,
            });
        };
        for (s, section) in sections() {
            let node = Node::Section(s);
            add(node, TermKind::Strong, &section.id);
            add(node, TermKind::Strong, &section.name.pt_br);
            add(node, TermKind::Strong, &section.name.en);
            for alias in &section.aliases {
                add(node, TermKind::Strong, alias);
            }
        }
        for (g, group) in groups.iter().enumerate().map(|(i, g)| (GroupIdx(i), g)) {
            let node = Node::Group(g);
            add(node, TermKind::Strong, &group.id);
            add(node, TermKind::Strong, &group.name.pt_br);
            add(node, TermKind::Strong, &group.name.en);
            for alias in &group.aliases {
                add(node, TermKind::Strong, alias);
            }
        }
        for (i, item) in items.iter().enumerate().map(|(i, it)| (ItemIdx(i), it)) {
            let node = Node::Item(i);
            add(node, TermKind::Strong, &item.id);
            add(node, TermKind::Strong, &item.name.pt_br);
            add(node, TermKind::Strong, &item.name.en);
            for alias in &item.aliases {
                add(node, TermKind::Strong, alias);
            }
            for keyword in &item.keywords {
                add(node, TermKind::Keyword, keyword);
            }
        }
        // Identical (node, kind, text) entries add nothing but work per keystroke.
        index.terms.sort_by(|a, b| {
            (index_key(a.node), a.kind, &a.compact).cmp(&(index_key(b.node), b.kind, &b.compact))
        });
        index
            .terms
            .dedup_by(|a, b| a.node == b.node && a.kind == b.kind && a.compact == b.compact);
        index
    }

    fn dense(&self, node: Node) -> usize {
        match node {
            Node::Section(SectionIdx(i)) => i,
            Node::Group(GroupIdx(i)) => self.sections + i,
            Node::Item(ItemIdx(i)) => self.sections + self.groups + i,
        }
    }

    pub(super) fn resolve(&self, query: &str) -> Resolution {
        let q = compact(&normalize(query));
        let mut found = None;
        let mut keyword_nodes: Vec<Node> = Vec::new();
        if !q.is_empty() {
            for term in &self.terms {
                if term.compact != q {
                    continue;
                }
                match term.kind {
                    TermKind::Strong => found = Some(term.node),
                    TermKind::Keyword => {
                        if !keyword_nodes.contains(&term.node) {
                            keyword_nodes.push(term.node);
                        }
                    }
                }
            }
        }
        keyword_nodes.sort_by_key(|&n| self.rank[self.dense(n)]);
        match found {
            Some(node) => Resolution {
                found: Some(node),
                alternatives: keyword_nodes
                    .into_iter()
                    .filter(|&n| n != node)
                    .take(3)
                    .collect(),
                suggestions: Vec::new(),
            },
            // A word only one item carries ("jwt") is as good as its name.
            None if keyword_nodes.len() == 1 => Resolution {
                found: Some(keyword_nodes[0]),
                alternatives: Vec::new(),
                suggestions: Vec::new(),
            },
            None => Resolution {
                found: None,
                alternatives: Vec::new(),
                suggestions: self
                    .suggest(query, 5, |_| true)
                    .into_iter()
                    .map(|s| s.node)
                    .collect(),
            },
        }
    }

    pub(super) fn suggest(
        &self,
        query: &str,
        limit: usize,
        accept: impl Fn(Node) -> bool,
    ) -> Vec<Suggestion> {
        if limit == 0 {
            return Vec::new();
        }
        let q = compact(&normalize(query));
        if q.is_empty() {
            return self.in_reading_order(limit, accept);
        }
        let best = self.best_scores(&Query::new(q.as_bytes()));
        let mut ranked: Vec<(Score, u32, Node)> = self
            .order
            .iter()
            .filter_map(|&node| {
                let dense = self.dense(node);
                Some((best[dense]?, self.rank[dense], node))
            })
            .filter(|&(_, _, node)| accept(node))
            .collect();
        ranked.sort_unstable();
        ranked
            .into_iter()
            .take(limit)
            .map(|((tier, _, _), _, node)| Suggestion { node, tier })
            .collect()
    }

    /// What to offer before anything is typed: the roadmap in reading order, sections first.
    fn in_reading_order(&self, limit: usize, accept: impl Fn(Node) -> bool) -> Vec<Suggestion> {
        let sections = self.order.iter().filter(|n| matches!(n, Node::Section(_)));
        let rest = self.order.iter().filter(|n| !matches!(n, Node::Section(_)));
        sections
            .chain(rest)
            .copied()
            .filter(|&n| accept(n))
            .take(limit)
            .map(|node| Suggestion {
                node,
                tier: Tier::Prefix,
            })
            .collect()
    }

    /// The best score any of a node's terms gets for `query`, by dense node number.
    fn best_scores(&self, query: &Query) -> Vec<Option<Score>> {
        let mut best: Vec<Option<Score>> = vec![None; self.rank.len()];
        let mut scratch = TypoScratch::default();
        for term in &self.terms {
            let current = &mut best[self.dense(term.node)];
            if let Some(score) = query.score(term, *current, &mut scratch)
                && current.is_none_or(|cur| score < cur)
            {
                *current = Some(score);
            }
        }
        best
    }
}

/// How well a term matches a query, best first: the tier, then the typo distance, then the
/// term's length (a shorter term is a closer match).
type Score = (Tier, u8, u16);

/// A compacted query, prepared once to be matched against every term.
struct Query<'a> {
    bytes: &'a [u8],
    /// The query's character classes, to rule out most typo matches without aligning them.
    mask: u64,
    /// How many typos a match may have: none for very short queries, more for longer ones.
    typo_budget: Option<u8>,
}

impl<'a> Query<'a> {
    fn new(bytes: &'a [u8]) -> Query<'a> {
        let typo_budget = match bytes.len() {
            0..=2 => None,
            3..=4 => Some(1),
            5..=8 => Some(2),
            _ => Some(3),
        };
        Query {
            bytes,
            mask: char_mask(bytes),
            typo_budget,
        }
    }

    /// How `term` matches this query, if at all. `current` is the best score its node has so
    /// far: a typo match is only computed when it could beat it.
    fn score(
        &self,
        term: &Term,
        current: Option<Score>,
        scratch: &mut TypoScratch,
    ) -> Option<Score> {
        let qb = self.bytes;
        let t = term.compact.as_bytes();
        let len = t.len().min(u16::MAX as usize) as u16;
        if t.starts_with(qb) {
            let tier = match term.kind {
                TermKind::Strong if t.len() == qb.len() => Tier::Exact,
                TermKind::Strong => Tier::Prefix,
                TermKind::Keyword => Tier::Keyword,
            };
            return Some((tier, 0, len));
        }
        if term.word_starts.iter().any(|&w| t[w..].starts_with(qb)) {
            let tier = match term.kind {
                TermKind::Strong => Tier::WordPrefix,
                TermKind::Keyword => Tier::Keyword,
            };
            return Some((tier, 0, len));
        }
        let budget = self.typo_budget?;
        let could_improve = current.is_none_or(|(tier, _, _)| tier >= Tier::Typo);
        if could_improve
            && term.kind == TermKind::Strong
            && missing_chars(self.mask, t, qb.len() + budget as usize) <= u32::from(budget)
        {
            let distance = scratch.prefix_distance(qb, t, budget)?;
            return Some((Tier::Typo, distance, len));
        }
        None
    }
}

/// A set of byte classes: letters and digits get a bit each, other bytes share the rest.
fn char_bit(b: u8) -> u64 {
    match b {
        b'a'..=b'z' => 1 << (b - b'a'),
        b'0'..=b'9' => 1 << (26 + b - b'0'),
        _ => 1 << (36 + b % 28),
    }
}

fn char_mask(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |mask, &b| mask | char_bit(b))
}

/// A lower bound on the prefix distance: every distinct query character that appears nowhere
/// in the term's first `window` bytes costs at least one edit. Cheap enough to run on every
/// term, and it rules most of them out before the quadratic distance computation.
fn missing_chars(query_mask: u64, term: &[u8], window: usize) -> u32 {
    let window = &term[..term.len().min(window)];
    (query_mask & !char_mask(window)).count_ones()
}

fn index_key(node: Node) -> (u8, usize) {
    match node {
        Node::Section(SectionIdx(i)) => (0, i),
        Node::Group(GroupIdx(i)) => (1, i),
        Node::Item(ItemIdx(i)) => (2, i),
    }
}

/// Reusable rows for the distance computation, so a keystroke allocates nothing per term.
/// Three rows (i-2, i-1, i) live in one buffer and rotate by index, never by copying.
struct TypoScratch {
    rows: [u8; 3 * (MAX_TERM_LEN + 1)],
}

impl Default for TypoScratch {
    fn default() -> Self {
        TypoScratch {
            rows: [0; 3 * (MAX_TERM_LEN + 1)],
        }
    }
}

impl TypoScratch {
    /// Optimal string alignment distance between `query` and the closest prefix of `term`,
    /// or `None` when it exceeds `budget`. Stops early once a whole row exceeds the budget:
    /// row minima never decrease, so no later row can come back under it.
    fn prefix_distance(&mut self, query: &[u8], term: &[u8], budget: u8) -> Option<u8> {
        let q = &query[..query.len().min(MAX_TYPO_LEN)];
        let t = &term[..term.len().min(MAX_TERM_LEN)];
        // A prefix of `t` is at most `t.len()` long: the extra query bytes each cost one.
        if q.len() > t.len() + budget as usize {
            return None;
        }
        let n = t.len();
        let width = MAX_TERM_LEN + 1;
        let row = |i: usize| (i % 3) * width;
        for j in 0..=n {
            self.rows[j] = j as u8;
        }
        let mut best_last = 0;
        for i in 1..=q.len() {
            let (cur, prev, prev2) = (row(i), row(i - 1), row(i + 1)); // (i + 1) % 3 == (i - 2) % 3
            let r = &mut self.rows;
            r[cur] = i as u8;
            let mut row_min = r[cur];
            let qi = q[i - 1];
            for j in 1..=n {
                let cost = u8::from(qi != t[j - 1]);
                let mut d = (r[prev + j] + 1)
                    .min(r[cur + j - 1] + 1)
                    .min(r[prev + j - 1] + cost);
                if i > 1 && j > 1 && qi == t[j - 2] && q[i - 2] == t[j - 1] {
                    d = d.min(r[prev2 + j - 2] + 1);
                }
                r[cur + j] = d;
                row_min = row_min.min(d);
            }
            if row_min > budget {
                return None;
            }
            best_last = row_min;
        }
        // The last row's minimum is the distance to the closest prefix.
        (best_last <= budget).then_some(best_last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization() {
        assert_eq!(normalize("Node.JS"), "node js");
        assert_eq!(normalize("C#"), "csharp");
        assert_eq!(normalize("c #"), "csharp");
        assert_eq!(normalize(".NET Framework"), "net framework");
        assert_eq!(
            normalize("Gerenciamento de Memória"),
            "gerenciamento de memoria"
        );
        assert_eq!(normalize("Façade"), "facade");
        assert_eq!(normalize("  I / O  "), "i o");
        assert_eq!(normalize("C++"), "cplusplus");
        assert_eq!(normalize("!!!"), "");
        assert_eq!(compact("node js"), "nodejs");
    }

    fn distance(q: &str, t: &str, budget: u8) -> Option<u8> {
        TypoScratch::default().prefix_distance(q.as_bytes(), t.as_bytes(), budget)
    }

    #[test]
    fn the_character_filter_never_rejects_a_real_match() {
        // It is a lower bound: pairs within budget always pass it.
        for (q, t, budget) in [
            ("kafak", "kafka", 2u8),
            ("postgrs", "postgresql", 2),
            ("rabit", "rabbitmq", 1),
            ("xafka", "kafka", 1),
        ] {
            let d = distance(q, t, budget).expect("within budget");
            let window = q.len() + budget as usize;
            assert!(missing_chars(char_mask(q.as_bytes()), t.as_bytes(), window) <= u32::from(d));
        }
        assert!(missing_chars(char_mask(b"postgrs"), b"kafka", 9) > 2);
    }

    #[test]
    fn prefix_distance_matches_hand_computed_values() {
        assert_eq!(distance("kafak", "kafka", 2), Some(1)); // transposition
        assert_eq!(distance("postgrs", "postgresql", 2), Some(1)); // a prefix with one deletion
        assert_eq!(distance("kinesis", "kinesis", 1), Some(0));
        assert_eq!(distance("rabit", "rabbitmq", 1), Some(1));
        assert_eq!(distance("xyzzy", "kafka", 2), None);
        assert_eq!(distance("abc", "ab", 1), Some(1)); // query longer than term
        assert_eq!(distance("abcdef", "ab", 2), None);
    }
}
