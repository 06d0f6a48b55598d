//! What is kept about each server's prompts: its schedule and the post of each slot. The store
//! reads and writes these; the scheduler and `/prompts` work with them.

use crate::outbox::SendStatus;

/// Why a server's prompts are paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PauseReason {
    /// An admin paused them (`/prompts pause`).
    Admin,
    /// Discord refused a post (403): the bot lost access or permission in the channel.
    Forbidden,
    /// The channel is gone (404).
    Missing,
    /// The stored schedule could not be read (a time zone this build does not know, say).
    Invalid,
}

impl PauseReason {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PauseReason::Admin => "admin",
            PauseReason::Forbidden => "forbidden",
            PauseReason::Missing => "missing",
            PauseReason::Invalid => "invalid",
        }
    }

    /// The stored form back; an unknown one reads as an admin's pause.
    pub fn parse(text: &str) -> PauseReason {
        match text {
            "forbidden" => PauseReason::Forbidden,
            "missing" => PauseReason::Missing,
            "invalid" => PauseReason::Invalid,
            _ => PauseReason::Admin,
        }
    }
}

/// A pause: its reason, and for a refused post the JSON error code Discord answered with (the
/// member-facing text is chosen from it, never Discord's raw message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pause {
    pub reason: PauseReason,
    pub discord_code: Option<i64>,
}

impl Pause {
    pub fn new(reason: PauseReason) -> Pause {
        Pause {
            reason,
            discord_code: None,
        }
    }

    /// The stored detail: the Discord code as text.
    pub fn detail(&self) -> Option<String> {
        self.discord_code.map(|c| c.to_string())
    }

    /// Reads a stored detail: a code, or (as older releases stored it) a message ending in
    /// "(code N)".
    pub fn code_of(detail: &str) -> Option<i64> {
        let digits = detail
            .rsplit("code ")
            .next()
            .unwrap_or(detail)
            .trim_end_matches(')')
            .trim();
        digits.parse().ok()
    }
}

/// A server's prompt schedule, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptSchedule {
    pub guild: u64,
    pub channel: u64,
    pub local_time: String,
    pub days: u8,
    pub timezone: String,
    pub role: Option<u64>,
    pub section: Option<String>,
    pub thread: bool,
    /// `None` while active.
    pub pause: Option<Pause>,
    pub next_due_at: Option<i64>,
    pub requested_at: Option<i64>,
    pub created_by: u64,
    /// The weekly digest is posted too (`/prompts digest`); `/prompts setup` leaves it as it is.
    pub digest: bool,
}

/// A week's digest post, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestPost {
    pub guild: u64,
    /// The week it reports on: Monday 00:00 in the server's time zone.
    pub week_start: i64,
    pub nonce: String,
    pub status: SendStatus,
    pub attempts: u32,
    pub message_id: Option<u64>,
}

/// A post of one slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PromptPost {
    pub guild: u64,
    pub slot: i64,
    pub manual: bool,
    pub item_id: String,
    pub prompt_index: usize,
    pub channel: u64,
    pub nonce: String,
    pub status: SendStatus,
    pub attempts: u32,
    pub message_id: Option<u64>,
    pub error: Option<String>,
    pub finished_at: Option<i64>,
}

/// The slot a post is for, and where and how it is sent.
#[derive(Clone, Copy, Debug)]
pub struct NewPost<'a> {
    pub guild: u64,
    pub slot: i64,
    pub manual: bool,
    pub channel: u64,
    pub nonce: &'a str,
}

/// How a slot's handling ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostEnd {
    Sent {
        message_id: u64,
    },
    /// Too late after downtime: not posted.
    Skipped,
    /// The channel is gone or closed to the bot: the schedule pauses.
    Failed {
        error: String,
        pause: Pause,
    },
    /// A transient failure past the grace window: given up on this slot.
    GaveUp {
        error: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_pause_details_give_their_discord_code() {
        assert_eq!(Pause::code_of("50013"), Some(50013));
        assert_eq!(
            Pause::code_of("403: Missing Permissions (code 50013)"),
            Some(50013)
        );
        assert_eq!(Pause::code_of("09:00 Mars/Olympus"), None);
    }
}
