//! `/quiz [topic]` and the quiz buttons: answers, "Next question", and "Quiz me" on prompts.

use std::collections::HashSet;

use rand::seq::IndexedRandom;

use super::args::Caller;
use super::define::{CommandSpec, Ctx, Leaf, handler};
use super::error::CommandError;
use super::marks::member_states;
use super::presence::touch_in_background;
use crate::app::App;
use crate::error::UserError;
use crate::progress::State;
use crate::quiz::records::{AnswerOutcome, Ask};
use crate::render::quiz as view;
use crate::reply::Reply;
use crate::roadmap::{ItemIdx, Node};

/// `/quiz [topic]`: the topic, like `/roadmap`'s, is optional.
pub static COMMAND: CommandSpec = CommandSpec::member("quiz", handler::<Quiz>());

struct Quiz;

impl Leaf for Quiz {
    type Options = super::roadmap::TopicOption;
    async fn run(ctx: Ctx<'_>, o: super::roadmap::TopicOption) -> Result<Reply, CommandError> {
        run(ctx.app, ctx.caller, o.topic.as_deref()).await
    }
}

/// `/quiz [topic]`: a private question on an item, a section's item, or (with no topic) an item
/// the member is learning or has done.
async fn run(app: &App, caller: &Caller, topic: Option<&str>) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let item = choose_item(app, caller, guild, topic).await?;
    ask(app, caller, guild, item).await
}

/// The item a quiz is about.
async fn choose_item(
    app: &App,
    caller: &Caller,
    guild: u64,
    topic: Option<&str>,
) -> Result<ItemIdx, CommandError> {
    let roadmap = &app.roadmap;
    let topic = topic.map(str::trim).filter(|t| !t.is_empty());
    let candidates: Vec<ItemIdx> = match topic {
        Some(query) => {
            let resolution = roadmap.resolve(query);
            match resolution.found {
                Some(Node::Item(item)) => return Ok(item),
                Some(Node::Section(s)) => roadmap.section(s).items.clone(),
                Some(Node::Group(g)) => roadmap.group(g).items.clone(),
                None => {
                    return Err(UserError::UnknownItem {
                        query: query.to_string(),
                        suggestions: resolution.suggestions.clone(),
                    }
                    .into());
                }
            }
        }
        None => Vec::new(),
    };
    // Prefer what the member studies: learning first, then done and not yet verified.
    let states = member_states(app, guild, caller.user_id).await?;
    let verified: HashSet<String> = app
        .store
        .verified_items(guild, caller.user_id)
        .await?
        .into_iter()
        .map(|(item, _)| item)
        .collect();
    let has_questions = |i: &ItemIdx| roadmap.questions_of(*i).next().is_some();
    let in_scope = |i: &ItemIdx| candidates.is_empty() || candidates.contains(i);
    let preferred = |state: State| -> Vec<ItemIdx> {
        let mut items: Vec<ItemIdx> = states
            .iter()
            .filter(|(i, s)| **s == state && in_scope(i) && has_questions(i))
            .filter(|(i, _)| !verified.contains(&roadmap.item(**i).id))
            .map(|(i, _)| *i)
            .collect();
        items.sort();
        items
    };
    let mut rng = rand::rng();
    for state in [State::Learning, State::Done] {
        if let Some(item) = preferred(state).choose(&mut rng) {
            return Ok(*item);
        }
    }
    if candidates.is_empty() {
        return Err(UserError::NothingToQuiz.into());
    }
    let with_questions: Vec<ItemIdx> = candidates.iter().copied().filter(has_questions).collect();
    match with_questions.choose(&mut rng) {
        Some(item) => Ok(*item),
        None => Err(UserError::NoQuestions {
            item: candidates[0],
        }
        .into()),
    }
}

/// Asks the member a question on `item`: the one they were asked least, answers shuffled.
pub(super) async fn ask(
    app: &App,
    caller: &Caller,
    guild: u64,
    item: ItemIdx,
) -> Result<Reply, CommandError> {
    let roadmap = &app.roadmap;
    let questions: Vec<_> = roadmap.questions_of(item).collect();
    if questions.is_empty() {
        return Err(UserError::NoQuestions { item }.into());
    }
    let item_id = &roadmap.item(item).id;
    let history = app
        .store
        .quiz_history(guild, caller.user_id, item_id)
        .await?;
    let now = app.clock.now();
    if let Some(until) = history
        .last_wrong_at
        .map(crate::quiz::locked_until)
        .filter(|until| *until > now)
    {
        return Err(UserError::QuizLocked { item, until }.into());
    }
    let (question, ask) = {
        let mut rng = rand::rng();
        let question = crate::quiz::next_question(&questions, &history.asked, &mut rng)
            .expect("at least one question");
        let ask = Ask {
            id: crate::quiz::new_ask_id(&mut rng),
            guild,
            user: caller.user_id,
            item_id: item_id.clone(),
            question: question.key.clone(),
            order: crate::quiz::shuffled_order(&mut rng),
            asked_at: now,
            answer: None,
        };
        (question, ask)
    };
    app.store.create_ask(&ask).await?;
    Ok(view::question(roadmap, question, &ask, caller.locale))
}

/// An answer button. Refused without changing anything when the question is not the
/// member's, was answered already, is too old, or does not exist.
pub(super) async fn answer(
    app: &App,
    lookups: &dyn crate::lookups::Lookups,
    caller: &Caller,
    ask_id: u64,
    slot: u8,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let ask = app
        .store
        .quiz_ask(ask_id)
        .await?
        .ok_or(UserError::QuizGone)?;
    if ask.user != caller.user_id || ask.guild != guild {
        return Err(UserError::QuizNotYours.into());
    }
    if ask.answer.is_some() {
        return Err(UserError::QuizAnswered.into());
    }
    let now = app.clock.now();
    if now > ask.asked_at + crate::quiz::ANSWER_WITHIN {
        return Err(UserError::QuizExpired.into());
    }
    let roadmap = &app.roadmap;
    // A question edited or removed since it was asked cannot be judged.
    let question = roadmap.question(&ask.question).ok_or(UserError::QuizGone)?;
    touch_in_background(app, caller);
    let verified_before = app
        .store
        .verified_items(guild, caller.user_id)
        .await?
        .iter()
        .any(|(item, _)| *item == ask.item_id);
    let tz = app.store.guild_settings(guild).await?.timezone();
    let day = crate::progress::streak::day_of(now, &tz);
    match app.store.answer_ask(&ask, slot, now, day).await? {
        AnswerOutcome::AlreadyAnswered => Err(UserError::QuizAnswered.into()),
        AnswerOutcome::Recorded { correct, verified } => {
            // Answering is a study day: a streak reward may follow.
            app.roles()
                .apply_in_background(lookups.shared(), guild, caller.user_id);
            let verdict = view::Verdict {
                slot,
                correct,
                verified_now: verified,
                verified_before,
                locked_until: (!correct).then(|| crate::quiz::locked_until(now)),
            };
            Ok(view::verdict(
                roadmap,
                question,
                &ask,
                &verdict,
                caller.locale,
            ))
        }
    }
}

/// "Next question" (in place) or "Quiz me" (a new private message) on an item.
pub(super) async fn next(
    app: &App,
    caller: &Caller,
    item_id: &str,
    in_place: bool,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let item = app
        .roadmap
        .item_by_id(item_id)
        .ok_or(UserError::StaleButton)?;
    let reply = ask(app, caller, guild, item).await?;
    Ok(if in_place { reply.as_update() } else { reply })
}
