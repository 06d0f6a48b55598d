//! Rendered pictures, kept by a fingerprint of everything they show (the roadmap, the member's
//! states, names, date, language): asking twice for the same card costs one render. Renders run
//! on tokio's blocking threads, a bounded number at a time, never on the async workers that
//! answer interactions.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use tokio::sync::Semaphore;

use super::scene::Scene;
use super::{Picture, PictureError, render};

/// A fingerprint of a picture's inputs. `DefaultHasher::new()` has fixed keys, so equal inputs
/// give equal fingerprints for the life of the process (all a cache needs).
pub fn fingerprint(parts: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    parts.hash(&mut hasher);
    hasher.finish()
}

/// The process's picture cache: rendering is a pure function of its inputs, so one cache serves
/// every command and the scheduler.
pub fn shared() -> &'static PictureCache {
    static SHARED: std::sync::LazyLock<PictureCache> =
        std::sync::LazyLock::new(PictureCache::default);
    &SHARED
}

/// The most recently used pictures.
pub struct PictureCache {
    entries: Mutex<VecDeque<(u64, Picture)>>,
    capacity: usize,
    renders: Semaphore,
}

impl std::fmt::Debug for PictureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PictureCache")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Default for PictureCache {
    fn default() -> Self {
        // A card is ~100 KB: 128 of them are ~13 MB at most. Renders at once: one per core.
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        PictureCache::new(128, cores)
    }
}

impl PictureCache {
    pub fn new(capacity: usize, parallel_renders: usize) -> PictureCache {
        PictureCache {
            entries: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity: capacity.max(1),
            renders: Semaphore::new(parallel_renders.max(1)),
        }
    }

    fn get(&self, key: u64) -> Option<Picture> {
        let mut entries = self.entries.lock().expect("picture cache lock");
        let at = entries.iter().position(|(k, _)| *k == key)?;
        let entry = entries.remove(at)?;
        let picture = entry.1.clone();
        entries.push_front(entry);
        Some(picture)
    }

    fn put(&self, key: u64, picture: Picture) {
        let mut entries = self.entries.lock().expect("picture cache lock");
        entries.retain(|(k, _)| *k != key);
        entries.push_front((key, picture));
        entries.truncate(self.capacity);
    }

    /// The picture for `key`: from the cache, or laid out and drawn by `build` on a blocking
    /// thread.
    pub async fn picture(
        &self,
        key: u64,
        build: impl FnOnce() -> Scene + Send + 'static,
    ) -> Result<Picture, PictureError> {
        if let Some(picture) = self.get(key) {
            return Ok(picture);
        }
        let _permit = self
            .renders
            .acquire()
            .await
            .map_err(|e| PictureError::Aborted(e.to_string()))?;
        // Another request may have drawn it while this one waited.
        if let Some(picture) = self.get(key) {
            return Ok(picture);
        }
        let picture = tokio::task::spawn_blocking(move || render(&build()))
            .await
            .map_err(|e| PictureError::Aborted(e.to_string()))??;
        self.put(key, picture.clone());
        Ok(picture)
    }
}
