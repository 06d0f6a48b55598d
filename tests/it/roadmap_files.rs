//! The shipped roadmap passes `trilha check`, is faithful to the card, and every broken
//! fixture fails with file, line and field.

use std::collections::BTreeSet;

use crate::support::{Sandbox, repo, roadmap, stderr, stdout};

#[test]
fn the_shipped_roadmap_passes_check() {
    let out = Sandbox::new().trilha().arg("check").output().unwrap();
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "stdout:\n{text}\nstderr:\n{}",
        stderr(&out)
    );
    assert!(text.contains("11 sections"), "{text}");
    assert!(
        text.contains(&format!("{} items", roadmap().item_count())),
        "{text}"
    );
    assert!(text.contains("translations: complete"), "{text}");
    assert!(text.trim_end().ends_with("OK"), "{text}");
}

/// Reads `# expect-<key>: value` lines from a fixture's header.
fn expectation(source: &str, key: &str) -> String {
    let prefix = format!("# expect-{key}: ");
    source
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("fixture lacks `{prefix}`"))
        .trim()
        .to_string()
}

#[test]
fn every_broken_fixture_fails_with_file_line_and_field() {
    let base = repo().join("tests/fixtures/broken");
    let mut dirs: Vec<_> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "one fixture per validation rule, at least 10"
    );
    for dir in dirs {
        let file = dir.join("roadmap.toml");
        let source = std::fs::read_to_string(&file).unwrap();
        let line = expectation(&source, "line");
        let field = expectation(&source, "field");
        let message = expectation(&source, "message");

        let out = Sandbox::new()
            .trilha()
            .arg("check")
            .env("ROADMAP_DIR", &dir)
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}: check must fail\n{err}",
            dir.display()
        );
        let located = format!("{}:{line}:", file.display());
        let reported = err
            .lines()
            .find(|l| l.contains(&located))
            .unwrap_or_else(|| panic!("{}: no error at {located}\n{err}", dir.display()));
        if !field.is_empty() {
            assert!(
                reported.contains(&format!("field `{field}`")),
                "{}: field `{field}` not named in\n{reported}",
                dir.display()
            );
        }
        assert!(
            reported.contains(&message),
            "{}: `{message}` not in\n{reported}",
            dir.display()
        );
        // Problems are reported once, without cascades.
        let problems = err.lines().filter(|l| l.contains("roadmap.toml:")).count();
        assert_eq!(
            problems,
            1,
            "{}: expected exactly one problem\n{err}",
            dir.display()
        );
    }
}

#[test]
fn several_problems_are_all_reported_at_once() {
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path().join("roadmap");
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::fs::read_to_string(
        repo().join("tests/fixtures/broken/06-missing-translation/roadmap.toml"),
    )
    .unwrap()
    .replace("pick = 1", "pick = 5");
    std::fs::write(dir.join("a.toml"), source).unwrap();
    let out = sandbox
        .trilha()
        .arg("check")
        .env("ROADMAP_DIR", &dir)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.contains("the roadmap has 2 problems"), "{err}");
    assert!(
        err.contains("field `pick`") && err.contains("field `description.en`"),
        "{err}"
    );
}

#[test]
fn an_empty_or_missing_folder_is_explained() {
    let sandbox = Sandbox::new();
    let out = sandbox
        .trilha()
        .arg("check")
        .env("ROADMAP_DIR", sandbox.dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no roadmap files (*.toml)"),
        "{}",
        stderr(&out)
    );
    let out = sandbox
        .trilha()
        .arg("check")
        .env("ROADMAP_DIR", "/nonexistent/roadmap")
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("cannot read the roadmap folder"),
        "{}",
        stderr(&out)
    );
}

/// The card's headings and bullets, as written.
fn card_entries() -> (String, BTreeSet<String>) {
    let card = std::fs::read_to_string(repo().join("tests/fixtures/card.txt")).unwrap();
    let mut entries = BTreeSet::new();
    for line in card.lines() {
        let trimmed = line.trim();
        if let Some(heading) = trimmed.strip_prefix("##") {
            entries.insert(heading.trim().to_string());
        } else if let Some(bullet) = trimmed.strip_prefix("- ") {
            entries.insert(bullet.trim().to_string());
        }
    }
    (card, entries)
}

/// Every `card = "..."` quote in the shipped roadmap files.
fn card_quotes() -> BTreeSet<String> {
    let mut quotes = BTreeSet::new();
    fn walk(value: &toml::Value, out: &mut BTreeSet<String>) {
        match value {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    if k == "card" {
                        out.insert(v.as_str().unwrap().to_string());
                    } else {
                        walk(v, out);
                    }
                }
            }
            toml::Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    for entry in std::fs::read_dir(repo().join("roadmap")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let value: toml::Value =
                toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            walk(&value, &mut quotes);
        }
    }
    quotes
}

#[test]
fn every_heading_and_bullet_of_the_card_is_in_the_roadmap() {
    let (_, entries) = card_entries();
    let quotes = card_quotes();
    // "e muitos outros" ("and many others") closes the design-pattern list; it names nothing.
    let not_items = ["e muitos outros"];
    let missing: Vec<_> = entries
        .iter()
        .filter(|e| !not_items.contains(&e.as_str()) && !quotes.contains(*e))
        .collect();
    assert!(
        missing.is_empty(),
        "card entries missing from roadmap/: {missing:?}"
    );
}

#[test]
fn nothing_in_the_roadmap_claims_to_be_from_the_card_without_being_there() {
    let (card, _) = card_entries();
    let invented: Vec<_> = card_quotes()
        .into_iter()
        .filter(|q| q != "Backend" && !card.contains(q.as_str()))
        .collect();
    assert!(
        invented.is_empty(),
        "`card` quotes not found in the card: {invented:?}"
    );
}

#[test]
fn the_cards_typos_are_aliases_of_correctly_named_items() {
    let roadmap = roadmap();
    for (typo, id, correct) in [
        ("Kineses", "kinesis", "Amazon Kinesis"),
        ("synphony", "symfony", "Symfony"),
        ("cake", "cakephp", "CakePHP"),
        ("Serveless", "serverless", "Serverless"),
        ("Micro Servico", "microservices", "Microservices"),
        ("Basic Autentication", "basic-auth", "Basic authentication"),
    ] {
        let node = roadmap
            .resolve(typo)
            .found
            .unwrap_or_else(|| panic!("`{typo}` finds nothing"));
        assert_eq!(roadmap.node_id(node), id, "`{typo}`");
        assert_eq!(
            roadmap.node_name(node, trilha::i18n::Locale::En),
            correct,
            "`{typo}`"
        );
    }
}

/// Without `ROADMAP_DIR` and without a `./roadmap` folder, the roadmap built into the binary is
/// used (so a copied binary works from any directory) and `trilha check` says which one it is;
/// a `./roadmap` folder, when there is one, wins; an explicit `ROADMAP_DIR` that does not exist
/// stays an error (above).
#[test]
fn the_shipped_roadmap_is_built_in_and_used_from_any_directory() {
    let sandbox = Sandbox::new();
    let trilha = || {
        let mut command = sandbox.trilha();
        command.env_remove("ROADMAP_DIR");
        command
    };
    let check = trilha().arg("check").output().unwrap();
    assert!(check.status.success(), "{}", stderr(&check));
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(
        out.contains("roadmap: the shipped roadmap, built into this binary (1 file): 11 sections"),
        "{out}"
    );
    let ask = trilha().args(["ask", "/roadmap kafka"]).output().unwrap();
    assert!(ask.status.success(), "{}", stderr(&ask));
    assert!(String::from_utf8_lossy(&ask.stdout).contains("Kafka"));
    // A ./roadmap folder of the working directory is read instead.
    let dir = sandbox.dir.path().join("roadmap");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        repo().join("roadmap/backend.toml"),
        dir.join("backend.toml"),
    )
    .unwrap();
    let check = trilha().arg("check").output().unwrap();
    let out = String::from_utf8_lossy(&check.stdout);
    assert!(out.contains("roadmap: roadmap (1 file)"), "{out}");
}
