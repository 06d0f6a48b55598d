//! Proof of learning: multiple-choice questions on roadmap items.
//!
//! A member asks for a question (`/quiz`, a "Quiz me" button on a study prompt, or "Next
//! question"); the bot records the ask (which question, and the order its four answers were
//! shown in) and sends the answers as buttons A to D whose `custom_id`s carry only the ask's
//! random id and the button's letter. Which letter is right lives only in the database, so
//! nothing a client receives before answering reveals it; a replayed, forged or old id is
//! refused without changing anything.
//!
//! Rules (pure functions here; the store applies them in its transactions):
//! - rotation: a member is asked the questions of an item they have seen least, so every
//!   question of an item comes before any repeats;
//! - a wrong answer locks that item's quiz for [`LOCK_AFTER_WRONG`];
//! - an item is *verified* when the member's last two answers on it are right and on two
//!   different questions.

pub mod records;

use std::collections::HashMap;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::roadmap::Question;

/// How long a wrong answer locks the item's quiz. Long enough that guessing through the
/// answers (four per question, three or more questions) takes hours instead of seconds, short
/// enough to come back the same day after rereading the material.
pub const LOCK_AFTER_WRONG: i64 = 30 * 60;

/// How long a question stays answerable: an old message's buttons are refused after this.
pub const ANSWER_WITHIN: i64 = 15 * 60;

/// The question to ask next on an item: one of those this member was asked least often
/// (`asked` counts by question key), chosen at random among them.
pub fn next_question<'a>(
    questions: &[&'a Question],
    asked: &HashMap<String, u32>,
    rng: &mut impl Rng,
) -> Option<&'a Question> {
    let count = |q: &Question| asked.get(&q.key).copied().unwrap_or(0);
    let fewest = questions.iter().map(|q| count(q)).min()?;
    let candidates: Vec<&&Question> = questions.iter().filter(|q| count(q) == fewest).collect();
    candidates
        .get(rng.random_range(0..candidates.len()))
        .map(|q| **q)
}

/// The order the four answers are shown in: `order[slot]` is the answer on button `slot`,
/// where answer 0 is the correct one and 1 to 3 the wrong ones. Uniform over all 24 orders.
pub fn shuffled_order(rng: &mut impl Rng) -> [u8; 4] {
    let mut order = [0, 1, 2, 3];
    order.shuffle(rng);
    order
}

/// A random ask id: 62 bits (positive in a signed 64-bit column), unguessable.
pub fn new_ask_id(rng: &mut impl Rng) -> u64 {
    rng.random::<u64>() >> 2
}

/// Whether an answer verifies its item: it is right, and the member's previous answer on the
/// item was right too, on another question.
pub fn verifies(correct: bool, question: &str, previous: Option<(&str, bool)>) -> bool {
    correct && previous.is_some_and(|(key, right)| right && key != question)
}

/// Until when a wrong answer at `wrong_at` keeps the item locked.
pub fn locked_until(wrong_at: i64) -> i64 {
    wrong_at + LOCK_AFTER_WRONG
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_needs_two_right_answers_in_a_row_on_different_questions() {
        assert!(verifies(true, "b", Some(("a", true))));
        assert!(
            !verifies(true, "a", Some(("a", true))),
            "the same question twice"
        );
        assert!(
            !verifies(true, "b", Some(("a", false))),
            "after a wrong answer"
        );
        assert!(!verifies(false, "b", Some(("a", true))));
        assert!(!verifies(true, "b", None), "a first answer");
    }

    #[test]
    fn every_order_is_a_permutation_and_the_correct_answer_moves() {
        let mut rng = rand::rng();
        let mut first_slot = [0u32; 4];
        for _ in 0..4000 {
            let order = shuffled_order(&mut rng);
            let mut sorted = order;
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2, 3]);
            first_slot[order.iter().position(|&a| a == 0).unwrap()] += 1;
        }
        assert!(first_slot.iter().all(|&n| n > 800), "{first_slot:?}");
    }
}
