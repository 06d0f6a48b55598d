//! What trilha sends on its own (study prompts, weekly digests, reminder DMs), each exactly
//! once: how a send stands in its record, and the nonces that let Discord recognise a retry of a
//! message it already created (`enforce_nonce`).

/// How a message sent exactly once stands, as its record keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendStatus {
    /// Claimed and being sent (or sent, with the record not yet written: a retry with the same
    /// nonce finds out which).
    Sending,
    Sent,
    /// Not sent on purpose (a slot missed past its grace, nothing to post).
    Skipped,
    /// Refused for good, or given up.
    Failed,
}

impl SendStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Sending => "sending",
            SendStatus::Sent => "sent",
            SendStatus::Skipped => "skipped",
            SendStatus::Failed => "failed",
        }
    }

    /// A stored status; anything else reads as still sending, so it is looked at again.
    pub fn parse(text: &str) -> SendStatus {
        match text {
            "sent" => SendStatus::Sent,
            "skipped" => SendStatus::Skipped,
            "failed" => SendStatus::Failed,
            _ => SendStatus::Sending,
        }
    }
}

/// The nonce of a slot's message (at most 25 characters, as Discord requires). Derived from the
/// server and the slot, so a retry after a crash sends the same one and Discord returns the
/// message it already created instead of posting again.
pub fn nonce(guild: u64, slot: i64) -> String {
    fnv(guild.to_le_bytes().into_iter().chain(slot.to_le_bytes()))
}

/// FNV-1a: stable across releases and platforms, unlike std's hasher.
fn fnv(bytes: impl IntoIterator<Item = u8>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("trilha-{hash:016x}")
}

/// The nonce of a member's streak reminder on a day: from the server, the member and the day,
/// so one member's reminders from two servers on the same day never share it (Discord would
/// hand the second back as the first).
pub fn reminder_nonce(guild: u64, user: u64, day: i32) -> String {
    fnv(b"streak"
        .iter()
        .copied()
        .chain(guild.to_le_bytes())
        .chain(user.to_le_bytes())
        .chain(day.to_le_bytes()))
}

/// The nonce of a week's digest: like a slot's, from the server and the week, with a tag so it
/// never equals a prompt's (a slot can fall on the week's first second).
pub fn digest_nonce(guild: u64, week_start: i64) -> String {
    nonce(guild, week_start ^ i64::MIN)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonces_are_stable_short_and_distinct() {
        let a = super::nonce(1, 1_800_000_000);
        assert_eq!(a, super::nonce(1, 1_800_000_000));
        assert!(a.len() <= 25, "{a}");
        assert_ne!(a, super::nonce(1, 1_800_000_060));
        assert_ne!(a, super::nonce(2, 1_800_000_000));
        let r = super::reminder_nonce(1, 7, 20_000);
        assert!(r.len() <= 25, "{r}");
        assert_eq!(r, super::reminder_nonce(1, 7, 20_000));
        assert_ne!(r, super::reminder_nonce(2, 7, 20_000), "another server");
        assert_ne!(r, super::reminder_nonce(1, 7, 20_001), "another day");
    }
}
