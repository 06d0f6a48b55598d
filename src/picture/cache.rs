//! Rendered pictures, kept by a fingerprint of everything they show (the roadmap, the member's
//! states, names, date, language): asking twice for the same card costs one render. Renders run
//! on tokio's blocking threads, a bounded number at a time, never on the async workers that
//! answer interactions; the queue before them is bounded too, so a burst of requests cannot pile
//! up memory or waiting replies behind it.

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use super::scene::Scene;
use super::{Picture, PictureError, render};

/// What the shared cache keeps at most, in PNG bytes: ~110 cards or heat maps of 210–235 KB.
pub const CACHE_BYTES: usize = 24 * 1024 * 1024;
/// Requests that may wait for a renderer at once; more are refused at once (`Busy`).
pub const MAX_WAITING: usize = 64;

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

/// The most recently used pictures, within a byte budget.
pub struct PictureCache {
    entries: Mutex<Entries>,
    budget: usize,
    renders: Semaphore,
    /// Requests waiting for a renderer now.
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Most recently used first, and their total size.
#[derive(Default)]
struct Entries {
    list: VecDeque<(u64, Picture)>,
    bytes: usize,
}

impl std::fmt::Debug for PictureCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PictureCache")
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Default for PictureCache {
    fn default() -> Self {
        // Renders at once: one per core.
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        PictureCache::new(CACHE_BYTES, cores, MAX_WAITING)
    }
}

impl PictureCache {
    /// A cache keeping at most `budget` bytes of PNG, drawing `parallel_renders` at once with at
    /// most `max_waiting` requests queued for them.
    pub fn new(budget: usize, parallel_renders: usize, max_waiting: usize) -> PictureCache {
        PictureCache {
            entries: Mutex::new(Entries::default()),
            budget,
            renders: Semaphore::new(parallel_renders.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    /// PNG bytes held now.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Pictures held now.
    pub fn len(&self) -> usize {
        self.lock().list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, key: u64) -> Option<Picture> {
        let mut entries = self.lock();
        let at = entries.list.iter().position(|(k, _)| *k == key)?;
        let entry = entries.list.remove(at)?;
        let picture = entry.1.clone();
        entries.list.push_front(entry);
        Some(picture)
    }

    fn put(&self, key: u64, picture: Picture) {
        let size = picture.png.len();
        if size > self.budget {
            return; // never kept, and never evicts everything else for nothing
        }
        let mut entries = self.lock();
        if let Some(at) = entries.list.iter().position(|(k, _)| *k == key) {
            let old = entries.list.remove(at).map_or(0, |(_, p)| p.png.len());
            entries.bytes -= old;
        }
        entries.list.push_front((key, picture));
        entries.bytes += size;
        while entries.bytes > self.budget {
            let Some((_, oldest)) = entries.list.pop_back() else {
                break;
            };
            entries.bytes -= oldest.png.len();
        }
    }

    /// The picture for `key`: from the cache, or laid out and drawn by `build` on a blocking
    /// thread. Refused at once (`Busy`) when too many already wait for a renderer.
    pub async fn picture(
        &self,
        key: u64,
        build: impl FnOnce() -> Scene + Send + 'static,
    ) -> Result<Picture, PictureError> {
        if let Some(picture) = self.get(key) {
            return Ok(picture);
        }
        let _permit = match self.renders.try_acquire() {
            Ok(permit) => permit,
            Err(_) => {
                let _queued = self.queue()?;
                self.renders
                    .acquire()
                    .await
                    .map_err(|e| PictureError::Aborted(e.to_string()))?
            }
        };
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

    /// A place in the queue for a renderer, held until the guard drops.
    fn queue(&self) -> Result<Queued<'_>, PictureError> {
        let before = self.waiting.fetch_add(1, Ordering::AcqRel);
        let queued = Queued(&self.waiting);
        if before >= self.max_waiting {
            return Err(PictureError::Busy(before));
        }
        Ok(queued)
    }
}

/// One request waiting for a renderer.
struct Queued<'a>(&'a AtomicUsize);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picture(bytes: usize) -> Picture {
        Picture {
            png: vec![0u8; bytes].into(),
            width: 1,
            height: 1,
        }
    }

    #[test]
    fn the_cache_keeps_the_most_recent_pictures_within_its_byte_budget() {
        let cache = PictureCache::new(1_000, 1, 4);
        for key in 0..10 {
            cache.put(key, picture(300));
            assert!(cache.bytes() <= 1_000, "{} bytes", cache.bytes());
        }
        assert_eq!((cache.len(), cache.bytes()), (3, 900));
        // The least recently used goes first: 7 was read, so 8 is evicted by the next one.
        assert!(cache.get(7).is_some());
        cache.put(10, picture(300));
        assert!(cache.get(7).is_some() && cache.get(8).is_none());
        // Replacing a picture counts its new size once.
        cache.put(10, picture(100));
        assert_eq!(cache.bytes(), 700);
        // A picture larger than the whole budget is not kept, and evicts nothing.
        cache.put(99, picture(5_000));
        assert!(cache.get(99).is_none());
        assert_eq!(cache.len(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_beyond_the_queue_are_refused_at_once_not_kept_waiting() {
        use std::sync::Arc;
        // One renderer, two places in the queue; the renderer is held by a slow scene.
        let cache = Arc::new(PictureCache::new(1_000_000, 1, 2));
        let release = Arc::new(std::sync::Barrier::new(2));
        let slow = {
            let (cache, release) = (cache.clone(), release.clone());
            tokio::spawn(async move {
                cache
                    .picture(1, move || {
                        release.wait();
                        tiny_scene()
                    })
                    .await
            })
        };
        while cache.renders.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let queued: Vec<_> = (2..4)
            .map(|key| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.picture(key, tiny_scene).await })
            })
            .collect();
        while cache.waiting.load(Ordering::Acquire) < 2 {
            tokio::task::yield_now().await;
        }
        let refused = cache.picture(4, tiny_scene).await;
        assert!(matches!(refused, Err(PictureError::Busy(2))), "{refused:?}");
        release.wait();
        assert!(slow.await.unwrap().is_ok());
        for waiting in queued {
            assert!(waiting.await.unwrap().is_ok(), "queued requests are drawn");
        }
        assert_eq!(cache.waiting.load(Ordering::Acquire), 0);
    }

    fn tiny_scene() -> Scene {
        Scene {
            width: 4,
            height: 4,
            background: super::super::scene::Rgb(255, 255, 255),
            marks: Vec::new(),
            items: Vec::new(),
            panels: Vec::new(),
        }
    }
}
