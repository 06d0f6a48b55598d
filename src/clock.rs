//! The current time, injectable: tests drive a running bot's clock through a file instead of
//! waiting (see `TRILHA_CLOCK_FILE` in the README).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// The epoch second (or RFC 3339 instant) written in this file. A file that cannot be read
    /// keeps the last good reading (never a jump to the system clock); before any good reading,
    /// the system clock.
    File(PathBuf, Arc<AtomicI64>),
    /// A fixed instant (unit tests, benchmarks).
    Fixed(i64),
}

fn system_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// No reading yet.
const UNREAD: i64 = i64::MIN;

impl Clock {
    pub fn file(path: PathBuf) -> Clock {
        Clock::File(path, Arc::new(AtomicI64::new(UNREAD)))
    }

    /// Now, in epoch seconds.
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => system_now(),
            Clock::Fixed(at) => *at,
            Clock::File(path, last) => {
                let read = read_prefix(path).and_then(|text| {
                    let text = text.trim();
                    text.parse::<i64>()
                        .ok()
                        .or_else(|| text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second()))
                });
                match read {
                    Some(at) => {
                        last.store(at, Ordering::Relaxed);
                        at
                    }
                    None => match last.load(Ordering::Relaxed) {
                        UNREAD => system_now(),
                        at => at,
                    },
                }
            }
        }
    }
}

/// The most of the clock file that is read: an instant fits in 40 bytes; reading only a prefix
/// keeps a wrong path (`/dev/zero`, a huge file) from hanging or filling memory.
const CLOCK_FILE_PREFIX: u64 = 64;

fn read_prefix(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(CLOCK_FILE_PREFIX)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_clock_keeps_its_last_reading_when_the_file_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clock");
        let clock = Clock::file(path.clone());
        std::fs::write(&path, "1800000000").unwrap();
        assert_eq!(clock.now(), 1_800_000_000);
        std::fs::write(&path, "").unwrap(); // mid-write
        assert_eq!(clock.now(), 1_800_000_000);
        std::fs::write(&path, "2027-01-15T12:00:00Z").unwrap();
        assert_eq!(clock.now(), 1_800_014_400);
    }

    #[test]
    fn an_endless_clock_file_is_read_only_in_part() {
        // /dev/zero never ends: a whole-file read would never return.
        let clock = Clock::file("/dev/zero".into());
        let before = system_now();
        let now = clock.now();
        assert!(
            now >= before,
            "an unreadable clock falls back to the system clock"
        );
    }
}
