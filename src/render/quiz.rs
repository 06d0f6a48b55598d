//! Quiz views: a question with its four answers (buttons A to D), and the verdict after a
//! press, with the right answer, why, and what comes next.

use super::COLOUR_BRAND;
use super::progress::{COLOUR_DONE, COLOUR_SKIPPED};
use crate::component::ComponentId;
use crate::i18n::{Locale, fill};
use crate::quiz::records::Ask;
use crate::reply::{Button, ButtonStyle, Embed, Field, Reply, limits, truncate};
use crate::roadmap::{Question, Roadmap, Text};

const LETTERS: [&str; 4] = ["A", "B", "C", "D"];

/// The text of answer `answer` (0 the right one, 1 to 3 the wrong ones).
fn answer_text(question: &Question, answer: u8) -> &Text {
    match answer {
        0 => &question.answer,
        n => &question.wrong[usize::from(n - 1).min(2)],
    }
}

fn answers_listed(question: &Question, ask: &Ask, locale: Locale) -> String {
    ask.order
        .iter()
        .enumerate()
        .map(|(slot, &answer)| {
            format!(
                "**{})** {}",
                LETTERS[slot],
                answer_text(question, answer).get(locale)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn answer_buttons(ask: &Ask, pressed: Option<u8>) -> Vec<Button> {
    let right = ask.correct_slot();
    (0..4u8)
        .map(|slot| {
            let style = match pressed {
                None => ButtonStyle::Primary,
                Some(_) if slot == right => ButtonStyle::Success,
                Some(p) if slot == p => ButtonStyle::Danger,
                Some(_) => ButtonStyle::Secondary,
            };
            Button::new(
                LETTERS[usize::from(slot)],
                style,
                ComponentId::QuizAnswer { ask: ask.id, slot }.encode(),
            )
            .disabled(pressed.is_some())
        })
        .collect()
}

/// A question, privately: the answers listed A to D, a button for each.
pub fn question(roadmap: &Roadmap, question: &Question, ask: &Ask, locale: Locale) -> Reply {
    let t = locale.texts();
    let item = roadmap.item(question.item).name.get(locale);
    let description = format!(
        "{}\n\n{}",
        question.question.get(locale),
        answers_listed(question, ask, locale)
    );
    Reply::ephemeral(Embed {
        title: truncate(&fill(t.quiz_title, &[("item", &item)]), limits::EMBED_TITLE),
        description: truncate(&description, limits::EMBED_DESCRIPTION),
        colour: COLOUR_BRAND,
        footer: Some(t.quiz_footer.to_string()),
        ..Embed::default()
    })
    .with_rows(vec![answer_buttons(ask, None)])
}

/// How an answer went, for the verdict.
pub struct Verdict {
    pub slot: u8,
    pub correct: bool,
    /// This answer verified the item.
    pub verified_now: bool,
    /// The item was verified before.
    pub verified_before: bool,
    /// A wrong answer locks the item's quiz until then.
    pub locked_until: Option<i64>,
}

/// The verdict, in place of the question: right or wrong, the right answer and why, and a
/// button for the next question (disabled while the item is locked).
pub fn verdict(
    roadmap: &Roadmap,
    question: &Question,
    ask: &Ask,
    verdict: &Verdict,
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let it = roadmap.item(question.item);
    let item = it.name.get(locale);
    let (title, colour) = if verdict.correct {
        (t.quiz_right, COLOUR_DONE)
    } else {
        (t.quiz_wrong, COLOUR_SKIPPED)
    };
    let right = ask.correct_slot();
    let mut description = format!(
        "{}\n\n{}",
        question.question.get(locale),
        answers_listed(question, ask, locale)
    );
    let next_line = match (
        verdict.verified_now,
        verdict.verified_before,
        verdict.locked_until,
    ) {
        (true, _, _) => fill(t.quiz_verified, &[("item", &item)]),
        (false, true, _) => fill(t.quiz_already_verified, &[("item", &item)]),
        (false, false, Some(until)) => fill(
            t.quiz_locked,
            &[("item", &item), ("until", &until), ("id", &it.id)],
        ),
        (false, false, None) => fill(t.quiz_one_more, &[("item", &item)]),
    };
    description.push_str("\n\n");
    description.push_str(&next_line);
    let next = Button::new(
        truncate(&format!("➡️ {}", t.quiz_next), limits::BUTTON_LABEL),
        ButtonStyle::Secondary,
        ComponentId::QuizNext {
            item: it.id.clone(),
        }
        .encode(),
    )
    .disabled(verdict.locked_until.is_some());
    Reply::ephemeral(Embed {
        title: format!("{title} · {}", truncate(item, 200)),
        description: truncate(&description, limits::EMBED_DESCRIPTION),
        colour,
        fields: vec![
            Field::new(
                t.quiz_field_answer,
                truncate(
                    &format!(
                        "**{})** {}",
                        LETTERS[usize::from(right)],
                        question.answer.get(locale)
                    ),
                    limits::EMBED_FIELD_VALUE,
                ),
            ),
            Field::new(
                t.quiz_field_why,
                truncate(question.explanation.get(locale), limits::EMBED_FIELD_VALUE),
            ),
        ],
        ..Embed::default()
    })
    .with_rows(vec![answer_buttons(ask, Some(verdict.slot)), vec![next]])
    .as_update()
}

/// The "Quiz me" button under a study prompt.
pub fn quiz_me_button(item_id: &str, locale: Locale) -> Button {
    Button::new(
        format!("🧠 {}", locale.texts().quiz_me),
        ButtonStyle::Secondary,
        ComponentId::QuizMe {
            item: item_id.to_string(),
        }
        .encode(),
    )
}
