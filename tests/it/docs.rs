//! The README's commands, run as written.

use crate::support::{Sandbox, repo};

/// The README's first ```sh block: the set-up-and-run command.
fn first_command() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme.find("```sh\n").expect("a ```sh block") + "```sh\n".len();
    let end = start + readme[start..].find("```").unwrap();
    readme[start..end].trim().to_string()
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The set-up half of the first command creates `.env` readable by its owner only (it will hold
/// the bot token), keeps an `.env` that exists, and can be run again.
#[test]
fn the_first_command_creates_a_private_env_file_and_keeps_an_existing_one() {
    let command = first_command();
    let setup = command
        .split(" && cargo run")
        .next()
        .expect("set-up, then `cargo run`");
    assert_ne!(
        setup, command,
        "the command runs the bot after setting up: {command}"
    );
    let sandbox = Sandbox::new();
    let dir = sandbox.dir.path();
    std::fs::copy(repo().join(".env.example"), dir.join(".env.example")).unwrap();
    let run = || {
        std::process::Command::new("sh")
            .args(["-c", setup])
            .current_dir(dir)
            .status()
            .unwrap()
    };
    assert!(run().success(), "{setup}");
    assert_eq!(mode(&dir.join(".env")), 0o600, "{setup}");
    std::fs::write(dir.join(".env"), "DISCORD_TOKEN=mine\n").unwrap();
    assert!(run().success(), "a second run succeeds too");
    assert_eq!(
        std::fs::read_to_string(dir.join(".env")).unwrap(),
        "DISCORD_TOKEN=mine\n",
        "an existing .env is never overwritten"
    );
}

/// The invite link asks for exactly the permissions the README's table lists, and those are the
/// ones the bot checks before posting prompts and digests.
#[test]
fn the_invite_link_asks_for_exactly_the_permissions_the_table_explains() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let link = readme
        .split("permissions=")
        .nth(1)
        .expect("an invite link with permissions");
    let asked: u64 = link
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    let table = &readme[readme
        .find("| Permission | Bit | Why |")
        .expect("the table")..];
    let bits: u64 = table
        .lines()
        .skip(2)
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| l.split('|').nth(2).unwrap().trim().parse::<u64>().unwrap())
        .sum();
    assert_eq!(asked, bits, "the link and the table disagree");
    use trilha::lookups::permissions::*;
    for bit in [
        VIEW_CHANNEL,
        SEND_MESSAGES,
        EMBED_LINKS,
        ATTACH_FILES,
        CREATE_PUBLIC_THREADS,
        SEND_MESSAGES_IN_THREADS,
    ] {
        assert_eq!(
            asked & bit,
            bit,
            "the link lacks a permission the bot checks: {bit}"
        );
    }
}

/// The README's "Where things live": one line per module of `src/lib.rs`, none for a module
/// that does not exist, and every file of a module's folder named in its line, so the table
/// cannot drift from the tree again.
#[test]
fn where_things_live_has_one_line_per_module_naming_every_file() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("| Module | What it holds |")
        .expect("the README's module table");
    let rows: Vec<&str> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    let lib = std::fs::read_to_string(repo().join("src/lib.rs")).unwrap();
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .collect();
    let path_of = |row: &str| -> String { row.split('`').nth(1).unwrap_or_default().to_string() };
    let mut listed: Vec<String> = rows.iter().map(|r| path_of(r)).collect();
    let mut expected: Vec<String> = modules
        .iter()
        .map(|m| {
            if repo().join("src").join(m).is_dir() {
                format!("src/{m}/")
            } else {
                format!("src/{m}.rs")
            }
        })
        .collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected, "one line per module of src/lib.rs");
    for row in rows {
        let path = path_of(row);
        let Some(dir) = path.strip_suffix('/') else {
            continue;
        };
        for file in std::fs::read_dir(repo().join(dir)).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            if name != "mod.rs" || row.contains("`mod.rs`") {
                assert!(
                    name == "mod.rs" || row.contains(&format!("`{name}`")),
                    "{dir}/{name} is not named in its README line"
                );
            }
        }
    }
}
