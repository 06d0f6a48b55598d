//! What the quiz needs from the roadmap: stable question keys.

/// A question's key: a hash of its item and its English text (FNV-1a, stable across releases
/// and platforms), so editing a question makes it a new one and reordering changes nothing.
pub fn question_key(item: &str, english: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in item.bytes().chain([0]).chain(english.trim().bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinct() {
        assert_eq!(
            question_key("kafka", "Why?"),
            question_key("kafka", " Why? ")
        );
        assert_ne!(question_key("kafka", "Why?"), question_key("redis", "Why?"));
        assert_eq!(question_key("kafka", "Why?").len(), 16);
    }
}
