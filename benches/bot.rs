// Shared by the bench binaries that run the real bot, through `#[path]`; each uses a subset of it.
#![allow(dead_code)]

//! The release `trilha` binary (cargo builds it for benches) against a local Discord, on a
//! fresh SQLite database and the shipped roadmap.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use local_discord::LocalDiscord;

/// The database a bench's bot uses inside `dir`.
pub fn database(dir: &Path) -> PathBuf {
    dir.join("trilha.db")
}

/// The bot's command, run from `dir` with only the settings a bench gives it; the caller
/// chooses where its output goes and spawns it.
pub fn trilha(discord: &LocalDiscord, dir: &Path, rust_log: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_trilha"));
    #[allow(clippy::disallowed_methods)] // PATH is passed through to the child.
    let path = std::env::var_os("PATH").unwrap_or_default();
    command
        .env_clear()
        .env("PATH", path)
        .env("DISCORD_TOKEN", discord.token())
        .env("DISCORD_PROXY_URL", discord.base_url())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", database(dir).display()),
        )
        .env(
            "ROADMAP_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/roadmap"),
        )
        .env("RUST_LOG", rust_log)
        .current_dir(dir)
        .stdin(Stdio::null());
    command
}
