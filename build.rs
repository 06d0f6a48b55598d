//! Build steps:
//! - `sqlx::migrate!` embeds the migrations at compile time: rebuild when they change;
//! - the shipped roadmap (`roadmap/*.toml`, `roadmap/quiz/*.toml`) is compiled into the binary,
//!   the default when no roadmap folder is configured or found;
//! - the halves of the test suite that need a service (PostgreSQL, Node's REST proxy) are
//!   marked so that `cargo test` says so in its own output when they cannot run here, and fails
//!   when `CI` is set instead of skipping them.

// A build script reads what cargo and CI put in its environment; the bot's own configuration
// rule (one module reads the environment) is about the binary.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    embed_roadmap();
    mark_test_halves();
}

/// Writes `$OUT_DIR/shipped_roadmap.rs`: the roadmap's files and its quiz files, as
/// `(path relative to the repository, contents)` pairs, sorted like the loader sorts a folder.
fn embed_roadmap() {
    println!("cargo:rerun-if-changed=roadmap");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let list = |dir: &Path| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    };
    let entries = |files: Vec<PathBuf>| -> String {
        files
            .iter()
            .map(|path| {
                let shown = path.strip_prefix(&root).unwrap_or(path);
                format!(
                    "    ({:?}, include_str!({:?})),\n",
                    shown.display().to_string(),
                    path.display().to_string()
                )
            })
            .collect()
    };
    let roadmap = root.join("roadmap");
    let code = format!(
        "/// The shipped roadmap's files.\npub const ROADMAP: &[(&str, &str)] = &[\n{}];\n\n/// The shipped quiz files.\npub const QUIZ: &[(&str, &str)] = &[\n{}];\n",
        entries(list(&roadmap)),
        entries(list(&roadmap.join("quiz"))),
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("shipped_roadmap.rs"), code).expect("OUT_DIR is writable");
}

/// `cfg(trilha_without_postgres)` and `cfg(trilha_without_rest_proxy)` when that half of the
/// tests cannot run here and `CI` is not set: `tests/it/halves.rs` then shows as ignored, with
/// how to run it, in the default output. Under `CI` they are never set: a missing service fails.
fn mark_test_halves() {
    println!("cargo::rustc-check-cfg=cfg(trilha_without_postgres)");
    println!("cargo::rustc-check-cfg=cfg(trilha_without_rest_proxy)");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=TRILHA_TEST_POSTGRES_URL");
    // `npm ci --prefix tests/proxy` changes this folder.
    println!("cargo:rerun-if-changed=tests/proxy");
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        return;
    }
    let postgres = std::env::var("TRILHA_TEST_POSTGRES_URL").is_ok_and(|v| !v.trim().is_empty());
    if !postgres {
        println!("cargo:rustc-cfg=trilha_without_postgres");
    }
    let proxy = Path::new("tests/proxy/node_modules/@discordjs/proxy").is_dir();
    if !proxy {
        println!("cargo:rustc-cfg=trilha_without_rest_proxy");
    }
}
