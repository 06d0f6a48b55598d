//! The one dispatch the bot and `trilha ask` share: an invocation, a button press or an
//! autocomplete request in, a reply (or choices) out, whatever happens. Member mistakes become
//! localized explanations, a busy database a "try again", internal faults a generic apology
//! (their cause chain goes to the log); each outcome is counted.

use super::args::{Caller, Press};
use super::define::{AutocompleteRequest, Complete, Ctx, Invocation, ParseError};
use super::error::CommandError;
use super::{done, leaderboard, progress, quiz, roadmap};
use crate::app::App;
use crate::component::{ComponentId, MarkAction};
use crate::error::UserError;
use crate::lookups::Lookups;
use crate::ops::metrics::{InteractionKind, Outcome};
use crate::progress::change::Target;
use crate::progress::{MemberView, State};
use crate::reply::{Choice, Delivery, Reply};

/// Who asked what, for the span a transport opens around an interaction.
#[derive(Clone, Copy, Debug)]
pub struct Handover<'a> {
    pub interaction_id: u64,
    pub kind: InteractionKind,
    /// The command's name, or the kind of button.
    pub command: &'a str,
    pub guild_id: Option<u64>,
    pub user_id: u64,
    /// The gateway shard it came through (none offline or over HTTP).
    pub shard: Option<u32>,
}

/// The span every transport opens where it hands an interaction over: everything done for it
/// (the work, the responder, autocomplete, the bookkeeping after the reply) is recorded under
/// it, and it is given the `outcome` and `elapsed_ms` when the answer is out. It never holds
/// the interaction's token.
pub fn interaction_span(handover: &Handover<'_>) -> tracing::Span {
    tracing::info_span!(
        "interaction",
        interaction_id = handover.interaction_id,
        kind = handover.kind.as_str(),
        command = handover.command,
        guild_id = handover.guild_id,
        user_id = handover.user_id,
        shard = handover.shard,
        outcome = tracing::field::Empty,
        elapsed_ms = tracing::field::Empty,
    )
}

/// Runs a command and always produces a reply.
pub async fn respond(app: &App, lookups: &dyn Lookups, invocation: &Invocation) -> Reply {
    let caller = &invocation.caller;
    // One read before the work: what the reply needs of the member (their marks, a notice).
    let member = member_view(app, caller).await;
    let ctx = Ctx {
        app,
        lookups,
        caller,
        member: member.as_ref(),
    };
    let result = execute(ctx, invocation).await;
    let reply = finish(
        app,
        result,
        caller,
        InteractionKind::Command,
        invocation.command.key,
    );
    match member.is_some_and(|m| m.notice_pending) {
        true => with_notice(app, caller, reply).await,
        false => reply,
    }
}

/// The caller's marks and notices in the server; `None` outside one, or when they cannot be
/// read (logged: the command then reads what it needs itself, and reports a failure).
async fn member_view(app: &App, caller: &Caller) -> Option<MemberView> {
    let guild = caller.guild_id?;
    match app.store.member_view(guild, caller.user_id).await {
        Ok(view) => Some(view),
        Err(error) => {
            tracing::warn!(%error, "could not read the member's marks and notices");
            None
        }
    }
}

/// Checks who may run the command, then runs the leaf the invocation names.
async fn execute(ctx: Ctx<'_>, invocation: &Invocation) -> Result<Reply, CommandError> {
    let (spec, caller) = (invocation.command, &invocation.caller);
    if spec.needs_guild {
        caller.guild()?;
    }
    if spec.manage_guild && !caller.can_manage_guild {
        return Err(UserError::NeedsManageGuild.into());
    }
    let handler = match invocation.subcommand {
        Some(sub) => sub.handler,
        None => spec.handler.ok_or_else(|| {
            CommandError::Internal(
                ParseError::Unknown {
                    command: spec.key.to_string(),
                }
                .into(),
            )
        })?,
    };
    (handler.run)(ctx, &invocation.args, spec.key).await
}

/// Answers a button press.
pub async fn press(app: &App, lookups: &dyn Lookups, press: &Press) -> Reply {
    let caller = &press.caller;
    let component = ComponentId::parse(&press.custom_id);
    let what = button_name(component.as_ref());
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
        Some(ComponentId::FullMap { owner, member }) => {
            progress::full_map(app, caller, owner, member).await
        }
        Some(ComponentId::QuizAnswer { ask, slot }) => {
            quiz::answer(app, lookups, caller, ask, slot).await
        }
        Some(ComponentId::QuizNext { item }) => quiz::next(app, caller, &item, true).await,
        Some(ComponentId::QuizMe { item }) => quiz::next(app, caller, &item, false).await,
        None => Err(UserError::StaleButton.into()),
    };
    finish(app, result, caller, InteractionKind::Button, what)
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

/// The kind of a button, for metrics and logs.
pub fn button_name(component: Option<&ComponentId>) -> &'static str {
    match component {
        Some(ComponentId::RoadmapPage { .. }) => "roadmap_page",
        Some(ComponentId::Mark { .. }) => "mark",
        Some(ComponentId::Board { .. }) => "leaderboard_page",
        Some(ComponentId::ShareCard { .. }) => "share_card",
        Some(ComponentId::FullMap { .. }) => "full_map",
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
    let choices = match request.option.complete {
        Some(Complete::Typed(complete)) => {
            Ok(complete(&app.roadmap, &request.partial, caller.locale))
        }
        Some(Complete::Member(complete)) => complete(app, request).await,
        None => Ok(Vec::new()),
    };
    let command = request.command.key;
    match choices {
        Ok(mut choices) => {
            app.metrics
                .interaction(InteractionKind::Autocomplete, command, Outcome::Ok);
            tracing::Span::current().record("outcome", Outcome::Ok.as_str());
            choices.retain(Choice::fits);
            choices.truncate(crate::reply::limits::CHOICES);
            choices
        }
        Err(error) => {
            app.metrics.interaction(
                InteractionKind::Autocomplete,
                command,
                Outcome::InternalError,
            );
            tracing::error!(command, error = %error.chain(), "autocomplete failed");
            Vec::new()
        }
    }
}

/// A notice waiting for the member (their streak reminder was turned off because Discord
/// refused the DM), shown once, above the reply. Only on a private reply: a public one would
/// tell the channel about the member's DMs, so the notice waits for the next private one.
async fn with_notice(app: &App, caller: &Caller, reply: Reply) -> Reply {
    let Some(guild) = caller.guild_id.filter(|_| reply.ephemeral) else {
        return reply;
    };
    match app.store.take_reminder_notice(guild, caller.user_id).await {
        Ok(true) => crate::render::streak::with_dms_closed_notice(reply, caller.locale),
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
    tracing::Span::current().record("outcome", outcome.as_str());
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
