//! The house's layering, held: every file of `src/` sits in the layer the doc comment of
//! `src/lib.rs` puts its module in, names only modules of its own layer or lower ones, and no
//! files name each other in a circle. Only Discord's edge (and what sits above it) names serenity.
//!
//! A plain reading of the source, in the spirit of clippy's `disallowed-methods`: comments,
//! strings and character literals are blanked, `use` trees and inline paths (`crate::…`,
//! `super::…`, `self::…`) are resolved to the file that defines what they name (following a
//! module's `pub use` re-exports), and each finding names the file and line of the offending
//! path. The layers are read from `lib.rs` itself, so the documentation and the rule cannot
//! drift apart.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::support::repo;

/// Crates only Discord's edge and the layers above it may name.
const EDGE_CRATES: &[&str] = &["serenity"];
/// The modules allowed to name [`EDGE_CRATES`]: the Discord edge and what sits above it.
const EDGE_AND_ABOVE: &[&str] = &["discord", "ask", "cli"];

/// A module path inside the crate, e.g. `["commands", "done"]`; the crate root is empty.
type ModPath = Vec<String>;

/// One `src/` file and what its code names.
struct SourceFile {
    /// Relative to the repository, for messages.
    shown: String,
    module: ModPath,
    /// `pub use` re-exports of this module: name → the path it stands for.
    reexports: HashMap<String, ModPath>,
    /// Every path the code names, resolved to absolute module-relative segments, with its line.
    paths: Vec<(usize, ModPath)>,
    /// Lines naming an edge crate.
    edge_uses: Vec<(usize, String)>,
}

fn module_of(relative: &Path) -> ModPath {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts
}

/// Blanks comments, string literals (raw ones too) and character literals, keeping every
/// newline so that lines still count.
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if (c == 'r' || c == 'b')
            && !chars[..i]
                .last()
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
            && raw_string_start(&chars[i..]).is_some()
        {
            let (prefix, hashes) = raw_string_start(&chars[i..]).expect("checked");
            for _ in 0..prefix {
                out.push(' ');
            }
            i += prefix;
            let closing: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                out.push(blank(chars[i]));
                i += 1;
            }
            for _ in 0..closing.len().min(chars.len().saturating_sub(i)) {
                out.push(' ');
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && char_literal_len(&chars[i..]).is_some() {
            let len = char_literal_len(&chars[i..]).expect("checked");
            for _ in 0..len {
                out.push(' ');
            }
            i += len;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `r"`, `r#"`, `br##"`…: the prefix's length and the number of hashes.
fn raw_string_start(chars: &[char]) -> Option<(usize, usize)> {
    let mut i = 0;
    if chars.first() == Some(&'b') {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let hashes = chars[i..].iter().take_while(|c| **c == '#').count();
    i += hashes;
    (chars.get(i) == Some(&'"')).then_some((i + 1, hashes))
}

/// The length of a character literal starting here (`'a'`, `'\n'`, `'\u{1F600}'`), or `None`
/// for a lifetime or a label.
fn char_literal_len(chars: &[char]) -> Option<usize> {
    if chars.get(1) == Some(&'\\') {
        let close = chars.iter().skip(2).position(|c| *c == '\'')?;
        return Some(close + 3);
    }
    (chars.get(2) == Some(&'\'')).then_some(3)
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<(usize, Token)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_alphabetic() || c == '_' {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push((n + 1, Token::Ident(chars[start..i].iter().collect())));
            } else if c == ':' && chars.get(i + 1) == Some(&':') {
                out.push((n + 1, Token::PathSep));
                i += 2;
            } else {
                if !c.is_whitespace() {
                    out.push((n + 1, Token::Punct(c)));
                }
                i += 1;
            }
        }
    }
    out
}

/// The paths of a `use` tree starting at `tokens[i]` (after `use`), up to its `;`.
fn use_tree(
    tokens: &[(usize, Token)],
    i: &mut usize,
    prefix: Vec<String>,
    out: &mut Vec<(usize, Vec<String>)>,
) {
    let mut path = prefix.clone();
    while *i < tokens.len() {
        let (line, token) = &tokens[*i];
        match token {
            Token::Ident(name) if name == "as" => {
                *i += 2; // `as alias`
            }
            Token::Ident(name) => {
                path.push(name.clone());
                *i += 1;
            }
            Token::PathSep => *i += 1,
            Token::Punct('*') => *i += 1,
            Token::Punct('{') => {
                *i += 1;
                loop {
                    use_tree(tokens, i, path.clone(), out);
                    match tokens.get(*i).map(|t| &t.1) {
                        Some(Token::Punct(',')) => *i += 1,
                        Some(Token::Punct('}')) => {
                            *i += 1;
                            break;
                        }
                        _ => break,
                    }
                    if matches!(tokens.get(*i).map(|t| &t.1), Some(Token::Punct('}'))) {
                        *i += 1;
                        break;
                    }
                }
                return;
            }
            Token::Punct(',') | Token::Punct('}') | Token::Punct(';') => {
                if path.len() > prefix.len() {
                    out.push((*line, path));
                }
                return;
            }
            Token::Punct(_) => *i += 1,
        }
    }
}

/// Reads one file: its `use` trees, inline paths and re-exports, resolved against its module.
fn read(root: &Path, file: &Path) -> SourceFile {
    let relative = file.strip_prefix(root.join("src")).expect("under src");
    let module = module_of(relative);
    let source = std::fs::read_to_string(file).expect("readable");
    let tokens = tokens(&code_only(&source));
    // Inline modules (`mod tests { … }`) change what `super` means inside them.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_mod: Option<String> = None;
    let mut paths = Vec::new();
    let mut reexports = HashMap::new();
    let mut edge_uses = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (line, token) = tokens[i].clone();
        match &token {
            Token::Punct('{') => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    inline.push((name, depth));
                }
                i += 1;
                continue;
            }
            Token::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
                continue;
            }
            Token::Punct(';') => {
                pending_mod = None;
                i += 1;
                continue;
            }
            _ => {}
        }
        let here: ModPath = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        if let Token::Ident(word) = &token {
            if word == "mod" {
                if let Some((_, Token::Ident(name))) = tokens.get(i + 1) {
                    pending_mod = Some(name.clone());
                }
                i += 2;
                continue;
            }
            if word == "use" {
                let public = i > 0
                    && (matches!(&tokens[i - 1].1, Token::Ident(p) if p == "pub")
                        || matches!(&tokens[i - 1].1, Token::Punct(')')));
                i += 1;
                let mut found = Vec::new();
                use_tree(&tokens, &mut i, Vec::new(), &mut found);
                for (line, raw) in found {
                    if EDGE_CRATES.contains(&raw[0].as_str()) {
                        edge_uses.push((line, raw.join("::")));
                        continue;
                    }
                    // 2018 paths: `use foo::…` where `foo` is a child module of this one.
                    let resolved = resolve(&here, &raw).or_else(|| {
                        let mut child = here.clone();
                        child.extend(raw.iter().cloned());
                        Some(child)
                    });
                    if let Some(resolved) = resolved {
                        if public
                            && inline.is_empty()
                            && let Some(name) = raw.last()
                        {
                            reexports.insert(name.clone(), resolved.clone());
                        }
                        paths.push((line, resolved));
                    }
                }
                continue;
            }
            let starts_path = matches!(word.as_str(), "crate" | "super" | "self")
                || EDGE_CRATES.contains(&word.as_str());
            let after_sep = i > 0 && tokens[i - 1].1 == Token::PathSep;
            if starts_path && !after_sep && tokens.get(i + 1).map(|t| &t.1) == Some(&Token::PathSep)
            {
                let mut raw = vec![word.clone()];
                let mut j = i + 1;
                while tokens.get(j).map(|t| &t.1) == Some(&Token::PathSep) {
                    match tokens.get(j + 1) {
                        Some((_, Token::Ident(next))) => {
                            raw.push(next.clone());
                            j += 2;
                        }
                        _ => break,
                    }
                }
                i = j;
                if EDGE_CRATES.contains(&raw[0].as_str()) {
                    edge_uses.push((line, raw.join("::")));
                } else if let Some(resolved) = resolve(&here, &raw) {
                    paths.push((line, resolved));
                }
                continue;
            }
        }
        i += 1;
    }
    SourceFile {
        shown: format!("src/{}", relative.display()),
        module,
        reexports,
        paths,
        edge_uses,
    }
}

/// An absolute path for `crate::…`, `super::…` and `self::…`; `None` for anything else (a
/// local name, an external crate, `std`).
fn resolve(here: &ModPath, raw: &[String]) -> Option<ModPath> {
    let mut base = here.clone();
    let mut rest = raw;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The file a path names: the deepest module it goes through, following re-exports.
fn target<'a>(
    files: &'a BTreeMap<ModPath, SourceFile>,
    path: &ModPath,
    hops: usize,
) -> Option<&'a SourceFile> {
    let mut depth = path.len();
    while depth > 0 && !files.contains_key(&path[..depth]) {
        depth -= 1;
    }
    let file = files.get(&path[..depth])?;
    if hops < 8
        && let Some(name) = path.get(depth)
        && let Some(through) = file.reexports.get(name)
    {
        let mut followed = through.clone();
        followed.extend(path[depth + 1..].iter().cloned());
        if followed != *path {
            return target(files, &followed, hops + 1).or(Some(file));
        }
    }
    Some(file)
}

fn source_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The layers `lib.rs` states: its doc comment's numbered list, each entry's [`module`] links.
fn stated_layers(root: &Path) -> Vec<(usize, ModPath)> {
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).expect("lib.rs");
    let mut layers = Vec::new();
    let mut current: Option<usize> = None;
    for line in lib.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        let doc = doc.trim_start();
        if let Some((number, _)) = doc.split_once(". ")
            && let Ok(n) = number.parse::<usize>()
        {
            current = Some(n);
        } else if doc.is_empty() {
            current = None;
        }
        let Some(layer) = current else { continue };
        let mut rest = doc;
        while let Some(start) = rest.find("[`") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("`]") else { break };
            let module: ModPath = after[..end].split("::").map(str::to_string).collect();
            layers.push((layer, module));
            rest = &after[end..];
        }
    }
    layers
}

struct House {
    files: BTreeMap<ModPath, SourceFile>,
    /// Each file's layer, from the deepest module `lib.rs` places.
    layer: BTreeMap<ModPath, usize>,
    /// Files `lib.rs` does not place.
    unplaced: Vec<String>,
}

fn house(root: &Path) -> House {
    let mut files = BTreeMap::new();
    for path in source_files(root) {
        let file = read(root, &path);
        files.insert(file.module.clone(), file);
    }
    let stated = stated_layers(root);
    let mut layer = BTreeMap::new();
    let mut twice: Vec<String> = stated
        .iter()
        .filter(|(_, m)| stated.iter().filter(|(_, other)| other == m).count() > 1)
        .map(|(n, m)| format!("{} (layer {n})", m.join("::")))
        .collect();
    twice.dedup();
    let mut unplaced = Vec::new();
    for (module, file) in &files {
        if module.is_empty() {
            continue; // lib.rs and main.rs: the root declares, it is in no layer
        }
        let placed = stated
            .iter()
            .filter(|(_, m)| module.starts_with(m))
            .max_by_key(|(_, m)| m.len());
        match placed {
            Some((n, _)) => {
                layer.insert(module.clone(), *n);
            }
            None => unplaced.push(file.shown.clone()),
        }
    }
    unplaced.extend(
        twice
            .into_iter()
            .map(|m| format!("{m}: listed more than once")),
    );
    House {
        files,
        layer,
        unplaced,
    }
}

/// Every import that runs upward: `file:line: names module (layer m) from layer n`.
fn upward_imports(house: &House) -> Vec<String> {
    let mut found = Vec::new();
    for (module, file) in &house.files {
        let Some(&own) = house.layer.get(module) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for (line, path) in &file.paths {
            let Some(to) = target(&house.files, path, 0) else {
                continue;
            };
            let Some(&theirs) = house.layer.get(&to.module) else {
                continue;
            };
            if theirs > own && seen.insert((*line, to.module.clone())) {
                found.push(format!(
                    "{}:{line}: names `{}` (layer {theirs}) from layer {own}",
                    file.shown,
                    path.join("::"),
                ));
            }
        }
        let may_name_edge = EDGE_AND_ABOVE
            .iter()
            .any(|m| module.first().is_some_and(|first| first == m));
        if !may_name_edge {
            for (line, path) in &file.edge_uses {
                found.push(format!(
                    "{}:{line}: names `{path}` below Discord's edge",
                    file.shown
                ));
            }
        }
    }
    found
}

/// Circles among files: each strongly connected group of two or more files, with one import
/// per edge of the circle.
fn circles(house: &House) -> Vec<String> {
    let mut edges: BTreeMap<&ModPath, BTreeMap<&ModPath, (usize, String)>> = BTreeMap::new();
    for (module, file) in &house.files {
        let out = edges.entry(module).or_default();
        for (line, path) in &file.paths {
            if let Some(to) = target(&house.files, path, 0)
                && to.module != *module
            {
                out.entry(&to.module).or_insert((*line, path.join("::")));
            }
        }
    }
    // Tarjan's strongly connected components.
    struct State<'a> {
        index: HashMap<&'a ModPath, usize>,
        low: HashMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        next: usize,
        groups: Vec<Vec<&'a ModPath>>,
    }
    fn visit<'a>(
        v: &'a ModPath,
        edges: &BTreeMap<&'a ModPath, BTreeMap<&'a ModPath, (usize, String)>>,
        s: &mut State<'a>,
    ) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for &w in edges.get(v).into_iter().flat_map(|e| e.keys()) {
            if !s.index.contains_key(w) {
                visit(w, edges, s);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w);
                if w == v {
                    break;
                }
            }
            s.groups.push(group);
        }
    }
    let mut state = State {
        index: HashMap::new(),
        low: HashMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        groups: Vec::new(),
    };
    for v in edges.keys().copied().collect::<Vec<_>>() {
        if !state.index.contains_key(v) {
            visit(v, &edges, &mut state);
        }
    }
    let shown = |m: &ModPath| house.files[m].shown.clone();
    let mut out = Vec::new();
    for group in state.groups.iter().filter(|g| g.len() > 1) {
        let members: BTreeSet<&ModPath> = group.iter().copied().collect();
        let mut lines = vec![format!("a circle of {} files:", group.len())];
        for &from in &members {
            for (to, (line, path)) in &edges[from] {
                if members.contains(to) {
                    lines.push(format!(
                        "  {}:{line} names `{path}` ({})",
                        shown(from),
                        shown(to)
                    ));
                }
            }
        }
        out.push(lines.join("\n"));
    }
    out
}

#[test]
fn every_file_sits_in_a_layer_lib_rs_states() {
    let house = house(&repo());
    assert!(
        house.layer.len() > 50,
        "the layers were read from lib.rs ({} files placed)",
        house.layer.len()
    );
    assert!(
        house.unplaced.is_empty(),
        "files in no layer of src/lib.rs's list (add their module to it):\n{}",
        house.unplaced.join("\n")
    );
}

#[test]
fn no_file_names_a_module_of_a_higher_layer_or_serenity_below_the_edge() {
    let found = upward_imports(&house(&repo()));
    assert!(
        found.is_empty(),
        "{} import(s) run upward (the layers are listed in src/lib.rs):\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn no_files_name_each_other_in_a_circle() {
    let found = circles(&house(&repo()));
    assert!(found.is_empty(), "{}", found.join("\n\n"));
}

/// The reader itself: comments and strings never count, `use` trees and `super` resolve, and an
/// upward import and a circle are found where they are.
#[test]
fn the_reader_finds_what_it_should_and_nothing_else() {
    let code = code_only(
        "use crate::a::{b, c::D};\n// crate::hidden::x\nlet s = \"crate::nope::y\";\nlet c = '\"';\nsuper::e::f();\nlet r = r#\"crate::raw\"#;\n",
    );
    let tokens = tokens(&code);
    let mut i = 1;
    let mut found = Vec::new();
    use_tree(&tokens, &mut i, Vec::new(), &mut found);
    let paths: Vec<String> = found.iter().map(|(_, p)| p.join("::")).collect();
    assert_eq!(paths, ["crate::a::b", "crate::a::c::D"]);
    assert!(!code.contains("hidden") && !code.contains("nope") && !code.contains("raw"));
    assert!(code.contains("super::e::f"));
    let here: ModPath = vec!["x".into(), "y".into()];
    assert_eq!(
        resolve(&here, &["super".into(), "z".into()]),
        Some(vec!["x".to_string(), "z".to_string()])
    );

    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "src/lib.rs",
        "//! Layers:\n//! 1. Low: [`low`]\n//! 2. High: [`high`]\npub mod low;\npub mod high;\n",
    );
    write(
        "src/low.rs",
        "use crate::high::Thing;\nuse serenity::all::Http;\n",
    );
    write(
        "src/high.rs",
        "pub struct Thing;\nfn f() { crate::low::g(); }\n",
    );
    let house = house(dir.path());
    let upward = upward_imports(&house);
    assert_eq!(upward.len(), 2, "{upward:?}");
    assert!(
        upward[0].starts_with("src/low.rs:1: names `high::Thing`"),
        "{upward:?}"
    );
    assert!(
        upward[1].starts_with("src/low.rs:2: names `serenity::all::Http`"),
        "{upward:?}"
    );
    let circles = circles(&house);
    assert_eq!(circles.len(), 1, "{circles:?}");
    assert!(circles[0].contains("src/high.rs:2"), "{circles:?}");
}
