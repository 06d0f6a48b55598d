//! Where the roadmap in use comes from: a folder of data files, or the copy of the shipped
//! roadmap built into the binary, so `trilha ask`, `render-sample` and a copied binary work from
//! any directory.

use std::path::{Path, PathBuf};

use super::load::{LoadErrors, load_dir, load_str_with_quiz};
use super::map::Roadmap;

/// The shipped roadmap's files, as `build.rs` embedded them.
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/shipped_roadmap.rs"));
}

/// The folder read when `ROADMAP_DIR` is not set, if it exists.
pub const DEFAULT_DIR: &str = "roadmap";

/// Where the roadmap in use came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A folder: `ROADMAP_DIR`, or `./roadmap` when it exists.
    Folder(PathBuf),
    /// The roadmap this release ships, built into the binary.
    Shipped,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Folder(dir) => write!(f, "{}", dir.display()),
            Source::Shipped => f.write_str("the shipped roadmap, built into this binary"),
        }
    }
}

/// The roadmap this release ships, from the copy built into the binary.
pub fn shipped() -> Result<Roadmap, LoadErrors> {
    let files = |embedded: &[(&str, &str)]| -> Vec<(PathBuf, String)> {
        embedded
            .iter()
            .map(|(path, text)| (PathBuf::from(path), text.to_string()))
            .collect()
    };
    load_str_with_quiz(&files(embedded::ROADMAP), &files(embedded::QUIZ))
}

/// The roadmap to use: the folder `configured` names (which must exist), else `./roadmap` when
/// there is one, else the shipped roadmap built into the binary.
pub fn load(configured: Option<&Path>) -> Result<(Roadmap, Source), LoadErrors> {
    let folder = match configured {
        Some(dir) => dir,
        None if Path::new(DEFAULT_DIR).is_dir() => Path::new(DEFAULT_DIR),
        None => return Ok((shipped()?, Source::Shipped)),
    };
    Ok((load_dir(folder)?, Source::Folder(folder.to_path_buf())))
}
