//! What is kept about quizzes: each question asked, how it was answered, and the items a member
//! verified. The store reads and writes these.

/// A question asked to a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// Random; the buttons carry it.
    pub id: u64,
    pub guild: u64,
    pub user: u64,
    pub item_id: String,
    /// The question's key.
    pub question: String,
    /// `order[slot]`: the answer on button `slot` (0 is the correct one).
    pub order: [u8; 4],
    pub asked_at: i64,
    /// Set once answered: when, which button, and whether it was right.
    pub answer: Option<Answer>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub at: i64,
    pub slot: u8,
    pub correct: bool,
}

impl Ask {
    /// The button of the correct answer.
    pub fn correct_slot(&self) -> u8 {
        self.order.iter().position(|&a| a == 0).unwrap_or(0) as u8
    }

    /// The stored form of `order`: four digits.
    pub fn order_text(&self) -> String {
        self.order.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// Reads the stored form; `None` when it is not a permutation of 0 to 3.
    pub fn parse_order(text: &str) -> Option<[u8; 4]> {
        let digits: Vec<u8> = text.bytes().map(|b| b.wrapping_sub(b'0')).collect();
        let order: [u8; 4] = digits.try_into().ok()?;
        let mut sorted = order;
        sorted.sort_unstable();
        (sorted == [0, 1, 2, 3]).then_some(order)
    }
}

/// A member's history on one item: how often each question was asked, the last answer, the
/// last wrong answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemHistory {
    /// Questions asked, by key, counting every ask (answered or not).
    pub asked: std::collections::HashMap<String, u32>,
    /// The most recent answer: (question key, right?).
    pub last_answer: Option<(String, bool)>,
    /// When the most recent wrong answer was given.
    pub last_wrong_at: Option<i64>,
}

/// What answering did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerOutcome {
    Recorded {
        correct: bool,
        /// This answer verified the item (for the first time).
        verified: bool,
    },
    /// The ask was answered already (a replay, or a double press).
    AlreadyAnswered,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_round_trip_and_garbage_is_refused() {
        let ask = Ask {
            id: 1,
            guild: 1,
            user: 1,
            item_id: "kafka".into(),
            question: "q".into(),
            order: [2, 0, 3, 1],
            asked_at: 0,
            answer: None,
        };
        assert_eq!(ask.correct_slot(), 1);
        assert_eq!(Ask::parse_order(&ask.order_text()), Some(ask.order));
        assert_eq!(Ask::parse_order("0012"), None);
        assert_eq!(Ask::parse_order("012"), None);
        assert_eq!(Ask::parse_order("x123"), None);
    }
}
