//! The one dispatch the bot and `trilha ask` share: an invocation, a button press or an
//! autocomplete request in, a reply (or choices) out, whatever happens. Member mistakes become
//! localized explanations, a busy database a "try again", internal faults a generic apology
//! (their cause chain goes to the log); each outcome is counted.

use tracing::Instrument;

use super::args::{AutocompleteRequest, Caller, Invocation, Press};
use super::catalog::CommandSpec;
use super::command::Command;
use super::error::CommandError;
use super::{config, done, leaderboard, progress, prompts, quiz, rewards, roadmap, streak};
use crate::app::App;
use crate::component::{ComponentId, MarkAction};
use crate::error::UserError;
use crate::lookups::Lookups;
use crate::ops::metrics::{InteractionKind, Outcome};
use crate::progress::State;
use crate::progress::change::Target;
use crate::reply::{Choice, Delivery, Reply};

/// Runs a command and always produces a reply.
pub async fn respond(app: &App, lookups: &dyn Lookups, invocation: &Invocation) -> Reply {
    let caller = &invocation.caller;
    let span = tracing::info_span!(
        "command",
        command = invocation.command.key,
        guild_id = caller.guild_id,
        user_id = caller.user_id
    );
    async {
        let result = match Command::parse(invocation) {
            Ok(command) => execute(app, lookups, caller, invocation.command, command).await,
            Err(error) => Err(CommandError::Internal(error.into())),
        };
        let reply = finish(
            app,
            result,
            caller,
            InteractionKind::Command,
            invocation.command.key,
        );
        with_notice(app, caller, reply).await
    }
    .instrument(span)
    .await
}

async fn execute(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    spec: &CommandSpec,
    command: Command,
) -> Result<Reply, CommandError> {
    if spec.needs_guild {
        caller.guild()?;
    }
    if spec.manage_guild && !caller.can_manage_guild {
        return Err(UserError::NeedsManageGuild.into());
    }
    let mark = |state| Target::Set(Some(state));
    match command {
        Command::Roadmap { topic } => roadmap::run(app, caller, topic.as_deref()).await,
        Command::Done { item } => done::run(app, lookups, caller, &item, mark(State::Done)).await,
        Command::Learning { item } => {
            done::run(app, lookups, caller, &item, mark(State::Learning)).await
        }
        Command::Skip { item } => {
            done::run(app, lookups, caller, &item, mark(State::Skipped)).await
        }
        Command::Undo { item } => done::run(app, lookups, caller, &item, Target::Undo).await,
        Command::Progress { member } => progress::progress(app, caller, member).await,
        Command::Next => progress::next(app, caller).await,
        Command::Leaderboard {
            period,
            section,
            kind,
        } => leaderboard::run(app, lookups, caller, period, section.as_deref(), kind).await,
        Command::ConfigTimezone { zone } => config::timezone(app, caller, &zone).await,
        Command::ConfigLanguage { language } => config::language(app, caller, language).await,
        Command::PromptsSetup(setup) => prompts::setup(app, lookups, caller, &setup).await,
        Command::PromptsPause => prompts::pause(app, caller).await,
        Command::PromptsResume => prompts::resume(app, caller).await,
        Command::PromptsNow => prompts::now(app, caller).await,
        Command::PromptsStatus => prompts::status(app, caller).await,
        Command::PromptsDigest { enabled } => prompts::digest(app, lookups, caller, enabled).await,
        Command::Community => progress::community(app, caller).await,
        Command::Quiz { topic } => quiz::run(app, caller, topic.as_deref()).await,
        Command::ConfigVerified { enabled } => config::verified(app, caller, enabled).await,
        Command::StreakView { member } => streak::show(app, caller, member).await,
        Command::StreakReminder { enabled, time } => {
            streak::reminder(app, caller, enabled, time.as_deref()).await
        }
        Command::RewardsAdd {
            kind,
            role,
            section,
            count,
            keep,
        } => {
            let new = rewards::NewReward {
                kind,
                role,
                section,
                count,
                keep,
            };
            rewards::add(app, lookups, caller, &new).await
        }
        Command::RewardsList => rewards::list(app, caller).await,
        Command::RewardsRemove { id } => rewards::remove(app, caller, &id).await,
        Command::RewardsSync => rewards::sync(app, lookups, caller).await,
        Command::RewardsAnnounce { enabled } => rewards::announce(app, caller, enabled).await,
    }
}

/// Answers a button press.
pub async fn press(app: &App, lookups: &dyn Lookups, press: &Press) -> Reply {
    let caller = &press.caller;
    let component = ComponentId::parse(&press.custom_id);
    let what = button_name(component.as_ref());
    let span = tracing::info_span!(
        "button",
        button = what,
        guild_id = caller.guild_id,
        user_id = caller.user_id
    );
    async {
        let result = match component {
            Some(ComponentId::RoadmapPage { node, page }) => {
                roadmap::page(app, caller, &node, page).await
            }
            Some(ComponentId::Mark { item, action }) => match app.roadmap.item_by_id(&item) {
                Some(item) => {
                    let target = match action {
                        MarkAction::Done => Target::Set(Some(State::Done)),
                        MarkAction::Learning => Target::Set(Some(State::Learning)),
                        MarkAction::Skip => Target::Set(Some(State::Skipped)),
                        MarkAction::Undo => Target::Undo,
                    };
                    done::mark(app, lookups, caller, item, target).await
                }
                // The item left the roadmap since the message was sent.
                None => Err(UserError::StaleButton.into()),
            },
            Some(ComponentId::Board {
                owner,
                period,
                section,
                page,
                starts,
                private,
                kind,
            }) => {
                let pressed = leaderboard::Pressed {
                    owner,
                    period,
                    section: &section,
                    page,
                    starts,
                    private,
                    kind,
                };
                leaderboard::press(app, lookups, caller, &pressed).await
            }
            Some(ComponentId::ShareCard { owner }) => progress::share(app, caller, owner).await,
            Some(ComponentId::QuizAnswer { ask, slot }) => {
                quiz::answer(app, lookups, caller, ask, slot).await
            }
            Some(ComponentId::QuizNext { item }) => quiz::next(app, caller, &item, true).await,
            Some(ComponentId::QuizMe { item }) => quiz::next(app, caller, &item, false).await,
            None => Err(UserError::StaleButton.into()),
        };
        finish(app, result, caller, InteractionKind::Button, what)
    }
    .instrument(span)
    .await
}

/// How the reply to a button press will be delivered, known before the work is done: what a
/// deferral must promise. (A reply that turns out different, such as an error, follows up.)
pub fn press_delivery(press: &Press) -> Delivery {
    match ComponentId::parse(&press.custom_id) {
        Some(
            ComponentId::RoadmapPage { .. }
            | ComponentId::QuizAnswer { .. }
            | ComponentId::QuizNext { .. },
        ) => Delivery::UpdateMessage,
        Some(ComponentId::Board { owner, .. })
            if leaderboard::press_updates_in_place(press.caller.user_id, owner) =>
        {
            Delivery::UpdateMessage
        }
        _ => Delivery::NewMessage,
    }
}

/// The kind of a button, for metrics.
fn button_name(component: Option<&ComponentId>) -> &'static str {
    match component {
        Some(ComponentId::RoadmapPage { .. }) => "roadmap_page",
        Some(ComponentId::Mark { .. }) => "mark",
        Some(ComponentId::Board { .. }) => "leaderboard_page",
        Some(ComponentId::ShareCard { .. }) => "share_card",
        Some(ComponentId::QuizAnswer { .. }) => "quiz_answer",
        Some(ComponentId::QuizNext { .. }) => "quiz_next",
        Some(ComponentId::QuizMe { .. }) => "quiz_me",
        None => "stale",
    }
}

/// Suggestions for the option being typed. Never fails: on an internal error the member simply
/// sees no choices, and the cause is logged. Every choice fits Discord's limits, whatever the
/// member typed (one that does not would make Discord refuse them all).
pub async fn autocomplete(app: &App, request: &AutocompleteRequest) -> Vec<Choice> {
    let caller = &request.caller;
    let choices = match (request.command.key, request.option) {
        ("roadmap", _) | ("quiz", _) => Ok(roadmap::choices(
            &app.roadmap,
            &request.partial,
            caller.locale,
        )),
        (_, "item") => done::autocomplete_item(app, request).await,
        ("leaderboard", "section") | ("prompts", "section") | ("rewards", "section") => Ok(
            roadmap::section_choices(&app.roadmap, &request.partial, caller.locale),
        ),
        ("config", "zone") | ("prompts", "timezone") => {
            Ok(config::timezone_choices(&request.partial))
        }
        ("prompts", "days") => Ok(prompts::days_choices(&request.partial, caller.locale)),
        _ => Ok(Vec::new()),
    };
    match choices {
        Ok(mut choices) => {
            app.metrics.interaction(
                InteractionKind::Autocomplete,
                request.command.key,
                Outcome::Ok,
            );
            choices.retain(Choice::fits);
            choices.truncate(crate::reply::limits::CHOICES);
            choices
        }
        Err(error) => {
            app.metrics.interaction(
                InteractionKind::Autocomplete,
                request.command.key,
                Outcome::InternalError,
            );
            tracing::error!(command = request.command.key, error = %error.chain(), "autocomplete failed");
            Vec::new()
        }
    }
}

/// A notice waiting for the member (their streak reminder was turned off because Discord
/// refused the DM), shown once, above the reply. Only on a private reply: a public one would
/// tell the channel about the member's DMs, so the notice waits for the next private one.
async fn with_notice(app: &App, caller: &Caller, mut reply: Reply) -> Reply {
    let Some(guild) = caller.guild_id.filter(|_| reply.ephemeral) else {
        return reply;
    };
    match app.store.take_reminder_notice(guild, caller.user_id).await {
        Ok(true) => {
            let notice = caller.locale.texts().streak_notice_dms_closed;
            reply.content = Some(match reply.content.take() {
                Some(content) => crate::reply::truncate(
                    &format!("{notice}\n\n{content}"),
                    crate::reply::limits::CONTENT,
                ),
                None => notice.to_string(),
            });
            reply
        }
        Ok(false) => reply,
        Err(error) => {
            tracing::warn!(%error, "could not read the member's notices");
            reply
        }
    }
}

/// Turns a result into the reply the member sees, counting how it ended.
fn finish(
    app: &App,
    result: Result<Reply, CommandError>,
    caller: &Caller,
    kind: InteractionKind,
    what: &str,
) -> Reply {
    let outcome = match &result {
        Ok(_) => Outcome::Ok,
        Err(CommandError::User(_)) => Outcome::UserError,
        Err(CommandError::Busy(_)) => Outcome::Busy,
        Err(CommandError::Internal(_)) => Outcome::InternalError,
    };
    app.metrics.interaction(kind, what, outcome);
    match result {
        Ok(reply) => reply,
        Err(CommandError::User(error)) => {
            tracing::debug!(?error, "member mistake");
            crate::render::errors::user_error(&app.roadmap, &error, caller.locale)
        }
        Err(CommandError::Busy(error)) => {
            tracing::warn!(
                error = format!("{error:#}"),
                "database busy; the member was asked to try again"
            );
            crate::render::errors::busy(caller.locale)
        }
        Err(CommandError::Internal(error)) => {
            tracing::error!(error = format!("{error:#}"), "command failed");
            crate::render::errors::internal_error(caller.locale)
        }
    }
}
