//! `/done`, `/learning`, `/skip`, `/undo` (and the buttons that do the same), `/progress`,
//! `/next`, and the item autocomplete they share.

use std::collections::HashMap;

use jiff::tz::TimeZone;

use super::{App, AutocompleteRequest, Caller};
use crate::error::{CommandError, UserError};
use crate::i18n::Locale;
use crate::progress::next::next_step;
use crate::progress::standing::{achievements, standing};
use crate::progress::tally::{all_writes, change_writes};
use crate::progress::{ItemStates, State, states_of};
use crate::render::progress as view;
use crate::render::roadmap::choice_label;
use crate::reply::{Choice, Reply, limits};
use crate::roadmap::{ItemIdx, Node, Roadmap};
use crate::store::{Change, GuildSettings, Target};

/// The server's time zone (the default when the stored name is unknown to this build).
pub(super) fn timezone(settings: &GuildSettings) -> TimeZone {
    TimeZone::get(&settings.timezone)
        .or_else(|_| TimeZone::get(crate::store::DEFAULT_TIMEZONE))
        .unwrap_or(TimeZone::UTC)
}

/// Where the fingerprint of the roadmap the tallies were built for is kept.
pub(super) const FINGERPRINT_KEY: &str = "tallies_roadmap";

/// What tallies depend on: which items exist and which section each belongs to.
pub(super) fn roadmap_fingerprint(roadmap: &Roadmap) -> String {
    let mut pairs: Vec<String> = roadmap
        .items()
        .map(|(_, i)| format!("{}={}", i.id, roadmap.section(i.section).id))
        .collect();
    pairs.sort();
    pairs.join(";")
}

/// Resolves an item argument: an id from autocomplete, or what the member typed.
pub(super) fn resolve_item(roadmap: &Roadmap, query: &str) -> Result<ItemIdx, CommandError> {
    let query = query.trim();
    if let Some(item) = roadmap.item_by_id(query) {
        return Ok(item);
    }
    let resolution = roadmap.resolve(query);
    match resolution.found {
        Some(Node::Item(item)) => Ok(item),
        Some(node) => {
            let items: Vec<ItemIdx> = match node {
                Node::Section(s) => roadmap.section(s).items.clone(),
                Node::Group(g) => roadmap.group(g).items.clone(),
                Node::Item(_) => unreachable!("handled above"),
            };
            Err(UserError::NotAnItem { node, items }.into())
        }
        None => {
            let suggestions = roadmap
                .suggest(query, 5, |n| matches!(n, Node::Item(_)))
                .into_iter()
                .map(|s| s.node)
                .collect();
            Err(UserError::UnknownItem {
                query: query.to_string(),
                suggestions,
            }
            .into())
        }
    }
}

/// Marks an item for the caller, from a command or a button.
pub(super) async fn mark(
    app: &App,
    caller: &Caller,
    item: ItemIdx,
    target: Target,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let roadmap = &app.roadmap;
    let settings = app.store.guild_settings(guild).await?;
    let tz = timezone(&settings);
    let now = app.clock.now();
    let item_id = roadmap.item(item).id.clone();
    let change = Change {
        guild,
        user: caller.user_id,
        item_id: &item_id,
        target,
        at: now,
    };
    let outcome = app
        .store
        .apply(&change, |input| {
            change_writes(roadmap, &tz, now, &item_id, input)
        })
        .await?;
    if outcome.nothing_to_undo {
        return Err(UserError::NothingToUndo { item }.into());
    }
    let before = standing(roadmap, &states_of(roadmap, &outcome.before));
    let after_states = states_of(roadmap, &outcome.after);
    let after = standing(roadmap, &after_states);
    let achieved = achievements(&before, &after);
    Ok(view::marked(
        roadmap,
        item,
        &outcome,
        &after_states,
        &achieved,
        caller.locale,
    ))
}

pub(super) async fn run_mark(
    app: &App,
    caller: &Caller,
    query: &str,
    target: Target,
) -> Result<Reply, CommandError> {
    caller.guild()?;
    let item = resolve_item(&app.roadmap, query)?;
    mark(app, caller, item, target).await
}

async fn member_states(app: &App, guild: u64, user: u64) -> Result<ItemStates, CommandError> {
    let marks = app.store.member_marks(guild, user).await?;
    Ok(states_of(&app.roadmap, &marks))
}

/// How often an interaction refreshes the record of a member's presence.
const PRESENCE_REFRESH: i64 = 3600;

/// Records that the caller is in the server (rebuilding their tallies if they had left).
pub(super) async fn touch(app: &App, caller: &Caller) -> Result<(), CommandError> {
    let Some(guild) = caller.guild_id else {
        return Ok(());
    };
    // Reads are cheap and concurrent; write only when the record is stale or they had left.
    if app
        .store
        .member_seen_since(guild, caller.user_id, app.clock.now() - PRESENCE_REFRESH)
        .await?
    {
        return Ok(());
    }
    let settings = app.store.guild_settings(guild).await?;
    let tz = timezone(&settings);
    let now = app.clock.now();
    app.store
        .member_present(guild, caller.user_id, now, |marks| {
            all_writes(&app.roadmap, &tz, now, marks)
        })
        .await?;
    Ok(())
}

/// [`touch`] as bookkeeping that never holds up a reply: it runs on its own task (a held write
/// lock delays it, not the member), and its failure is only logged. Await the handle to use its
/// result (bounded by a timeout) where it matters.
pub(super) fn touch_in_background(app: &App, caller: &Caller) -> tokio::task::JoinHandle<()> {
    let (app_, caller) = (app.clone(), caller.clone());
    app.background.spawn(async move {
        let app = app_;
        if let Err(error) = touch(&app, &caller).await {
            tracing::warn!(
                guild_id = caller.guild_id,
                user_id = caller.user_id,
                error = %error.chain(),
                "could not record the member's presence"
            );
        }
    })
}

/// `/progress [member]`.
pub(super) async fn progress(
    app: &App,
    caller: &Caller,
    member: Option<u64>,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let user = member.unwrap_or(caller.user_id);
    let states = member_states(app, guild, user).await?;
    let standing = standing(&app.roadmap, &states);
    Ok(view::progress(
        &app.roadmap,
        user,
        user == caller.user_id,
        &states,
        &standing,
        caller.locale,
    ))
}

/// How popular each item is in a server.
async fn popularity(app: &App, guild: u64) -> Result<HashMap<ItemIdx, u64>, CommandError> {
    Ok(app
        .store
        .item_counts(guild)
        .await?
        .into_iter()
        .filter_map(|(id, learning, done)| {
            app.roadmap.item_by_id(&id).map(|i| (i, learning + done))
        })
        .collect())
}

/// `/next`.
pub(super) async fn next(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let states = member_states(app, guild, caller.user_id).await?;
    let standing = standing(&app.roadmap, &states);
    let popularity = popularity(app, guild).await?;
    let step = next_step(&app.roadmap, &standing, &states, &popularity);
    Ok(view::next(
        &app.roadmap,
        &step,
        &states,
        &popularity,
        caller.locale,
    ))
}

/// Which items an item option offers, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemFilter {
    /// Everything, the member's learning items first.
    Any,
    /// Only items the member has marked (for /undo).
    Marked,
}

pub fn item_choices(
    roadmap: &Roadmap,
    partial: &str,
    states: &ItemStates,
    filter: ItemFilter,
    locale: Locale,
) -> Vec<Choice> {
    let label = |i: ItemIdx| {
        let name = choice_label(roadmap, Node::Item(i), locale);
        match states.get(&i) {
            Some(state) => format!("{} {name}", state.marker()),
            None => name,
        }
    };
    let allowed = |i: ItemIdx| filter == ItemFilter::Any || states.contains_key(&i);
    let items: Vec<ItemIdx> = if partial.trim().is_empty() {
        // Nothing typed yet: what the member is working on comes first.
        let mut order: Vec<(u8, ItemIdx)> = roadmap
            .items()
            .map(|(i, _)| i)
            .filter(|&i| allowed(i))
            .map(|i| {
                (
                    match states.get(&i) {
                        Some(State::Learning) => 0,
                        Some(State::Done) => 1,
                        Some(State::Skipped) => 2,
                        None => 3,
                    },
                    i,
                )
            })
            .collect();
        order.sort();
        order.into_iter().map(|(_, i)| i).collect()
    } else {
        roadmap
            .suggest(
                partial,
                roadmap.item_count(),
                |n| matches!(n, Node::Item(i) if allowed(i)),
            )
            .into_iter()
            .filter_map(|s| match s.node {
                Node::Item(i) => Some(i),
                _ => None,
            })
            .collect()
    };
    items
        .into_iter()
        .take(limits::CHOICES)
        .map(|i| Choice::new(&label(i), roadmap.item(i).id.clone()))
        .collect()
}

pub(super) async fn autocomplete_item(
    app: &App,
    request: &AutocompleteRequest,
) -> Result<Vec<Choice>, CommandError> {
    let states = match request.caller.guild_id {
        Some(guild) => member_states(app, guild, request.caller.user_id).await?,
        None => ItemStates::new(),
    };
    let filter = if request.command.key == "undo" {
        ItemFilter::Marked
    } else {
        ItemFilter::Any
    };
    Ok(item_choices(
        &app.roadmap,
        &request.partial,
        &states,
        filter,
        request.caller.locale,
    ))
}

/// The caller's states, for `/roadmap` views (empty outside a server).
pub(super) async fn caller_states(
    app: &App,
    caller: &Caller,
) -> Result<Option<ItemStates>, CommandError> {
    match caller.guild_id {
        Some(guild) => Ok(Some(member_states(app, guild, caller.user_id).await?)),
        None => Ok(None),
    }
}
