//! Faces for pictures: members' avatars and servers' icons, fetched from Discord's CDN and kept
//! in memory within a byte budget.
//!
//! A picture never waits long for a face: [`Faces::face`] waits at most [`FACE_WAIT`], then
//! draws initials instead. The fetch itself goes on (within [`FETCH_TIMEOUT`]) and its result
//! is kept, so the next picture of that member has their avatar. Images are hostile input: a
//! body larger than [`Limits::FACE`] is dropped while it downloads (never buffered whole), and
//! the PNG is decoded within the same limits (see [`super::image`]). A face that could not be
//! had is remembered for a while too, so a broken CDN is not asked again for every picture.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::Instrument;

use super::face::{Face, initials};
use super::image::{Decoded, ImageError, Limits, decode_png};
use crate::ops::metrics::FaceOutcome;

/// How long a picture waits for a face before drawing initials.
pub const FACE_WAIT: Duration = Duration::from_millis(300);
/// How long a fetch may take at all (it goes on after the picture stopped waiting, to warm the
/// cache).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The side faces are asked for and kept at (Discord serves any power of two).
pub const SIDE: u32 = 128;
/// What the cache keeps at most: 256 faces of 128×128 (64 KiB each), plus the small records
/// of faces that could not be had.
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;
/// How long a fetched face is kept: a new avatar has a new hash, hence a new address, so this
/// only bounds how long a default avatar or an unused face lingers.
const KEPT_FOR: Duration = Duration::from_secs(24 * 3600);
/// How long a face that could not be had is not asked for again.
const FAILED_FOR: Duration = Duration::from_secs(10 * 60);
/// What a cache entry costs beyond its pixels: the address twice (map and order) and the
/// bookkeeping.
const ENTRY_OVERHEAD: usize = 160;

/// Whose face to draw.
#[derive(Clone, Copy, Debug)]
pub enum Whose<'a> {
    /// A member: their avatar (Discord's image hash), or Discord's default avatar without one.
    Member {
        user: u64,
        avatar: Option<&'a str>,
        name: &'a str,
    },
    /// A server: its icon, or its initials without one (as Discord shows such servers).
    Server {
        guild: u64,
        icon: Option<&'a str>,
        name: &'a str,
    },
}

impl Whose<'_> {
    /// Where the CDN serves the face; `None` when there is no image to fetch.
    pub fn url(&self, base: &str) -> Option<String> {
        match *self {
            Whose::Member {
                user,
                avatar: Some(hash),
                ..
            } if is_hash(hash) => Some(format!("{base}/avatars/{user}/{hash}.png?size={SIDE}")),
            // Discord's rule for accounts on the new username system: (id >> 22) % 6.
            Whose::Member { user, .. } => {
                Some(format!("{base}/embed/avatars/{}.png", (user >> 22) % 6))
            }
            Whose::Server {
                guild,
                icon: Some(hash),
                ..
            } if is_hash(hash) => Some(format!("{base}/icons/{guild}/{hash}.png?size={SIDE}")),
            Whose::Server { .. } => None,
        }
    }

    /// The face drawn when the image cannot be had.
    pub fn initials(&self) -> Face {
        match *self {
            Whose::Member { user, name, .. } => initials(name, user),
            Whose::Server { guild, name, .. } => initials(name, guild),
        }
    }
}

/// Discord's image hashes are hex, with `a_` in front for animated ones: anything else is not
/// put into an address.
fn is_hash(hash: &str) -> bool {
    let hex = hash.strip_prefix("a_").unwrap_or(hash);
    !hex.is_empty() && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a face could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    #[error("the CDN answered {0}")]
    Status(u16),
    #[error("the CDN could not be reached: {0}")]
    Request(String),
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// A fetch's result as the cache keeps it: the image, or that there was none to be had.
type Fetched = Option<Arc<Decoded>>;

/// The faces of members and servers, fetched once and kept.
pub struct Faces {
    /// `None`: offline (`trilha ask`, tests without a CDN): every face is initials.
    client: Option<reqwest::Client>,
    base: String,
    /// Shared with the fetches under way, which keep what they fetched.
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Faces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Faces")
            .field("base", &self.base)
            .field("online", &self.client.is_some())
            .field("kept", &state.kept.len())
            .field("bytes", &state.kept.bytes)
            .finish()
    }
}

#[derive(Default)]
struct State {
    kept: Kept,
    /// Fetches under way, by address: a second picture waits for the same fetch.
    fetching: HashMap<String, watch::Receiver<Option<Fetched>>>,
}

/// How much the cache holds, for the benchmark and `Debug`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub entries: usize,
    pub bytes: usize,
}

impl Faces {
    /// Faces from the CDN at `base` (no trailing slash).
    pub fn new(base: &str) -> Faces {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("trilha/", env!("CARGO_PKG_VERSION")))
            .build()
            .ok();
        if client.is_none() {
            tracing::warn!("no HTTP client for avatars; pictures draw initials");
        }
        Faces {
            client,
            base: base.trim_end_matches('/').to_string(),
            state: Arc::default(),
        }
    }

    /// No network: every face is initials.
    pub fn offline() -> Faces {
        Faces {
            client: None,
            base: String::new(),
            state: Arc::default(),
        }
    }

    /// What the cache holds now.
    pub fn usage(&self) -> Usage {
        let state = self.lock();
        Usage {
            entries: state.kept.len(),
            bytes: state.kept.bytes,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The face of `whose`, waiting at most `wait` for an image not in the cache yet.
    pub async fn face(&self, whose: Whose<'_>, wait: Duration) -> (Face, FaceOutcome) {
        let (Some(client), Some(url)) = (&self.client, whose.url(&self.base)) else {
            return (whose.initials(), FaceOutcome::Initials);
        };
        let mut receiver = {
            let mut state = self.lock();
            if let Some(fetched) = state.kept.get(&url, Instant::now()) {
                return match fetched {
                    Some(image) => (image_face(image, &url), FaceOutcome::Cached),
                    None => (whose.initials(), FaceOutcome::Failed),
                };
            }
            match state.fetching.get(&url) {
                Some(receiver) => receiver.clone(),
                None => {
                    let (sender, receiver) = watch::channel(None);
                    state.fetching.insert(url.clone(), receiver.clone());
                    self.spawn_fetch(client.clone(), url.clone(), sender);
                    receiver
                }
            }
        };
        let arrived = tokio::time::timeout(wait, receiver.wait_for(Option::is_some)).await;
        match arrived {
            Ok(Ok(fetched)) => match fetched.clone().flatten() {
                Some(image) => (image_face(image, &url), FaceOutcome::Fetched),
                None => (whose.initials(), FaceOutcome::Failed),
            },
            // Late (or the fetch's task is gone): initials now, the image next time.
            _ => (whose.initials(), FaceOutcome::Late),
        }
    }

    /// Fetches `url` on a task of its own, keeps the result and tells whoever waits.
    fn spawn_fetch(
        &self,
        client: reqwest::Client,
        url: String,
        sender: watch::Sender<Option<Fetched>>,
    ) {
        let state = self.state.clone();
        tokio::spawn(
            async move {
                let fetched = match fetch(&client, &url).await {
                    Ok(image) => Some(image),
                    Err(error) => {
                        tracing::debug!(%url, %error, "face not fetched; initials drawn");
                        None
                    }
                };
                {
                    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                    state.fetching.remove(&url);
                    state.kept.insert(url, fetched.clone(), Instant::now());
                }
                let _ = sender.send(Some(fetched));
            }
            .in_current_span(),
        );
    }
}

fn image_face(image: Arc<Decoded>, url: &str) -> Face {
    Face::Image {
        image,
        source: url.into(),
    }
}

/// Downloads and decodes one face, within [`Limits::FACE`], scaled to [`SIDE`].
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Arc<Decoded>, FaceError> {
    let request = |e: reqwest::Error| FaceError::Request(e.without_url().to_string());
    let mut response = client.get(url).send().await.map_err(request)?;
    if !response.status().is_success() {
        return Err(FaceError::Status(response.status().as_u16()));
    }
    let limit = Limits::FACE.bytes;
    if let Some(length) = response.content_length()
        && length > limit as u64
    {
        return Err(ImageError::TooLarge(length as usize).into());
    }
    // Read in chunks, stopping as soon as the body is larger than an image may be (a server
    // may send more than its Content-Length said, or none).
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request)? {
        if body.len() + chunk.len() > limit {
            return Err(ImageError::TooLarge(body.len() + chunk.len()).into());
        }
        body.extend_from_slice(&chunk);
    }
    // Decoding a large PNG is CPU work: off the async workers.
    let decoded = tokio::task::spawn_blocking(move || {
        decode_png(&body, Limits::FACE).map(|image| super::image::fit(image, SIDE))
    })
    .await
    .map_err(|e| FaceError::Request(e.to_string()))??;
    Ok(Arc::new(decoded))
}

/// Faces kept, least recently used first out, within [`CACHE_BYTES`].
#[derive(Default)]
struct Kept {
    entries: HashMap<String, Entry>,
    /// Addresses by when they were last used.
    order: BTreeMap<u64, String>,
    tick: u64,
    bytes: usize,
}

struct Entry {
    fetched: Fetched,
    until: Instant,
    used: u64,
    bytes: usize,
}

impl Kept {
    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The face kept for `url`, if it is still fresh (and now the most recently used).
    fn get(&mut self, url: &str, now: Instant) -> Option<Fetched> {
        let entry = self.entries.get_mut(url)?;
        if entry.until <= now {
            self.remove(url);
            return None;
        }
        self.tick += 1;
        self.order.remove(&entry.used);
        entry.used = self.tick;
        self.order.insert(self.tick, url.to_string());
        Some(entry.fetched.clone())
    }

    fn insert(&mut self, url: String, fetched: Fetched, now: Instant) {
        self.remove(&url);
        let (bytes, kept_for) = match &fetched {
            Some(image) => (image.rgba.len() + 2 * url.len() + ENTRY_OVERHEAD, KEPT_FOR),
            None => (2 * url.len() + ENTRY_OVERHEAD, FAILED_FOR),
        };
        self.tick += 1;
        self.bytes += bytes;
        self.order.insert(self.tick, url.clone());
        self.entries.insert(
            url,
            Entry {
                fetched,
                until: now + kept_for,
                used: self.tick,
                bytes,
            },
        );
        while self.bytes > CACHE_BYTES {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            if let Some(entry) = self.entries.remove(&oldest) {
                self.bytes -= entry.bytes;
            }
        }
    }

    fn remove(&mut self, url: &str) {
        if let Some(entry) = self.entries.remove(url) {
            self.order.remove(&entry.used);
            self.bytes -= entry.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_discords_rules_and_never_carry_anything_but_a_hash() {
        let base = "https://cdn.example";
        let member = |avatar| Whose::Member {
            user: 80351110224678912,
            avatar,
            name: "Nelly",
        };
        assert_eq!(
            member(Some("8342729096ea3675442027381ff50dfe"))
                .url(base)
                .as_deref(),
            Some(
                "https://cdn.example/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png?size=128"
            )
        );
        // Default avatars: (id >> 22) % 6.
        assert_eq!(
            member(None).url(base).as_deref(),
            Some(
                format!(
                    "https://cdn.example/embed/avatars/{}.png",
                    (80351110224678912u64 >> 22) % 6
                )
                .as_str()
            )
        );
        assert_eq!(
            member(Some("../../etc/passwd")).url(base).as_deref(),
            member(None).url(base).as_deref(),
            "not a hash: the default avatar"
        );
        let server = |icon| Whose::Server {
            guild: 41771983423143937,
            icon,
            name: "Backend BR",
        };
        assert_eq!(
            server(Some("a_1269e74af4df7417b13759eae50c83dc"))
                .url(base)
                .as_deref(),
            Some(
                "https://cdn.example/icons/41771983423143937/a_1269e74af4df7417b13759eae50c83dc.png?size=128"
            )
        );
        assert_eq!(server(None).url(base), None, "no icon: initials");
    }

    fn image(side: u32) -> Fetched {
        Some(Arc::new(Decoded {
            width: side,
            height: side,
            rgba: vec![0; (side * side * 4) as usize],
        }))
    }

    #[test]
    fn the_cache_keeps_its_byte_budget_and_drops_the_least_recently_used() {
        let mut kept = Kept::default();
        let now = Instant::now();
        let per_face = (SIDE * SIDE * 4) as usize;
        let fits = CACHE_BYTES / (per_face + 200);
        for n in 0..fits + 50 {
            if n == fits {
                // Used again: it outlives the faces inserted before and after it.
                assert!(kept.get("u0", now).is_some());
            }
            kept.insert(format!("u{n}"), image(SIDE), now);
        }
        assert!(kept.bytes <= CACHE_BYTES, "{} bytes", kept.bytes);
        assert!(kept.len() >= fits - 1, "{} faces kept", kept.len());
        assert!(kept.get("u0", now).is_some(), "recently used, kept");
        assert!(
            kept.get("u1", now).is_none(),
            "least recently used, dropped"
        );
        assert_eq!(kept.entries.len(), kept.order.len());
    }

    #[test]
    fn faces_expire_and_failures_expire_sooner() {
        let mut kept = Kept::default();
        let now = Instant::now();
        kept.insert("ok".into(), image(4), now);
        kept.insert("broken".into(), None, now);
        let later = now + FAILED_FOR + Duration::from_secs(1);
        assert!(kept.get("broken", later).is_none(), "asked again");
        assert!(kept.get("ok", later).is_some());
        assert!(kept.get("ok", now + KEPT_FOR).is_none());
        assert_eq!((kept.len(), kept.bytes, kept.order.len()), (0, 0, 0));
    }
}
