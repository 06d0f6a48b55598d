//! Helpers shared by the integration tests.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Arc, OnceLock};

use tempfile::TempDir;
use trilha::roadmap::Roadmap;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped roadmap, loaded once per test binary.
pub fn roadmap() -> Arc<Roadmap> {
    static ROADMAP: OnceLock<Arc<Roadmap>> = OnceLock::new();
    ROADMAP
        .get_or_init(|| {
            Arc::new(
                trilha::roadmap::load_dir(&repo().join("roadmap"))
                    .expect("the shipped roadmap loads"),
            )
        })
        .clone()
}

/// A scratch folder: the working directory (so no `.env` is picked up) and the database.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn database(&self) -> PathBuf {
        self.dir.path().join("data").join("trilha.db")
    }

    /// The real binary with a clean environment: only what the test sets.
    #[allow(clippy::disallowed_methods)] // Tests pass PATH through to the child.
    pub fn trilha(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_trilha"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", self.database().display()),
            )
            .env("ROADMAP_DIR", repo().join("roadmap"))
            .current_dir(self.dir.path());
        command
    }

    /// Runs `trilha ask` with the given arguments.
    pub fn ask(&self, args: &[&str]) -> Output {
        self.trilha()
            .arg("ask")
            .args(args)
            .output()
            .expect("trilha runs")
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// A valid roadmap file with `sections` sections of `items` items each: names of every length
/// up to the loader's 80 characters (every seventh is that long), to test layouts at scale.
pub fn generated_roadmap(sections: usize, items: usize) -> String {
    let mut out = String::from(
        "id = \"big\"\nname = { pt-BR = \"Roadmap grande\", en = \"Big roadmap\" }\n\
         milestone = { pt-BR = \"Meta\", en = \"Goal\" }\n\
         intro = { pt-BR = \"Introdução.\", en = \"Introduction.\" }\n",
    );
    for s in 0..sections {
        out.push_str(&format!(
            "\n[[section]]\nid = \"s{s}\"\nname = {{ pt-BR = \"Seção número {s} com um nome de tamanho médio\", en = \"Section number {s} with a medium-sized name\" }}\n\
             intro = {{ pt-BR = \"Introdução.\", en = \"Introduction.\" }}\npick = 1\n"
        ));
        for i in 0..items {
            let name = if i % 7 == 0 {
                let long = format!(
                    "Tópico {s} número {i} com um nome muito comprido que ocupa as três linhas do cartão"
                );
                long.chars().take(80).collect::<String>()
            } else {
                format!("Tópico {s} número {i} ação")
            };
            out.push_str(&format!(
                "\n  [[section.item]]\n  id = \"s{s}-n{i}\"\n  name = \"{name}\"\n\
                 description.pt-BR = \"Descrição.\"\n  description.en = \"Description.\"\n\
                 why.pt-BR = \"Porque sim.\"\n  why.en = \"Because.\"\n\
                 prompts.pt-BR = [\"Estude.\"]\n  prompts.en = [\"Study.\"]\n"
            ));
        }
    }
    out
}
