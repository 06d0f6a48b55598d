//! The current time, injectable: tests drive a running bot's clock through a file instead of
//! waiting (see `TRILHA_CLOCK_FILE` in the README).

use std::path::PathBuf;

#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// The epoch second (or RFC 3339 instant) written in this file; the system clock when the
    /// file is missing or unreadable.
    File(PathBuf),
    /// A fixed instant (unit tests, benchmarks, `trilha ask --at`).
    Fixed(i64),
}

fn system_now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Clock {
    /// Now, in epoch seconds.
    pub fn now(&self) -> i64 {
        match self {
            Clock::System => system_now(),
            Clock::Fixed(at) => *at,
            Clock::File(path) => std::fs::read_to_string(path)
                .ok()
                .and_then(|text| {
                    let text = text.trim();
                    text.parse::<i64>()
                        .ok()
                        .or_else(|| text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second()))
                })
                .unwrap_or_else(system_now),
        }
    }
}
