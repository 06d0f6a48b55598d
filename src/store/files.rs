//! The database's files on disk: created private (0600: progress and member ids are nobody
//! else's business), and never mistaken for a new database when a copy went wrong.

use std::path::{Path, PathBuf};

use super::StoreError;

/// Owner read and write only.
pub const PRIVATE_FILE: u32 = 0o600;
/// Owner only, for folders trilha creates.
const PRIVATE_DIR: u32 = 0o700;

/// Gets the database file ready for SQLite: its folder exists, a 0-byte file is refused, a new
/// file is created private, and an existing one (with its `-wal` and `-shm`) made private.
/// SQLite gives `-wal` and `-shm` the mode of the database file, so they follow.
pub fn prepare(path: &Path) -> Result<(), StoreError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent).map_err(|cause| StoreError::CreateDir {
            path: parent.to_path_buf(),
            cause,
        })?;
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == 0 => Err(StoreError::EmptyFile {
            path: path.to_path_buf(),
        }),
        Ok(_) => {
            for file in [
                path.to_path_buf(),
                sibling(path, "-wal"),
                sibling(path, "-shm"),
            ] {
                make_private(&file);
            }
            Ok(())
        }
        Err(_) => {
            // Created here (not by SQLite, which would use 0644) so it is private from the start;
            // `create_new` leaves a file another process created in the meantime alone.
            let _ = create_private_file(path);
            Ok(())
        }
    }
}

/// `<path><suffix>`: SQLite's `-wal`, `-shm` and `-journal` files.
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates an empty file only the owner may read, failing if it exists.
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE);
    }
    options.open(path)
}

fn create_private_dir(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR);
    }
    builder.create(path)
}

/// Removes group and other access from an existing file (best effort: a file owned by someone
/// else stays as it is, and SQLite reports what it cannot open).
fn make_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let private = std::fs::Permissions::from_mode(mode & 0o700);
            match std::fs::set_permissions(path, private) {
                Ok(()) => tracing::info!(
                    file = %path.display(),
                    from = format!("{mode:o}"),
                    to = format!("{:o}", mode & 0o700),
                    "database file made private"
                ),
                Err(error) => {
                    tracing::warn!(file = %path.display(), %error, "could not make the database file private")
                }
            }
        }
    }
}
