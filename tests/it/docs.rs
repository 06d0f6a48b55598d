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
