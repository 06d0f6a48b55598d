//! `/done`, and its siblings `/learning`, `/skip` and `/undo`: marking an item, from a command
//! or from the buttons on replies and study prompts; and the item autocomplete they share.

use futures_util::future::BoxFuture;

use super::args::Caller;
use super::define::{AutocompleteRequest, CommandSpec, Complete, Ctx, Leaf, handler, options};
use super::error::CommandError;
use super::marks::member_states;
use crate::app::App;
use crate::error::UserError;
use crate::i18n::Locale;
use crate::lookups::Lookups;
use crate::progress::change::{Change, Target};
use crate::progress::standing::{achievements, standing};
use crate::progress::tally::change_writes;
use crate::progress::{ItemStates, State, states_of};
use crate::render::progress as view;
use crate::render::roadmap::choice_label;
use crate::reply::{Choice, Reply, limits};
use crate::roadmap::{ItemIdx, Node, Roadmap};

options! {
    /// An item to mark: its id (from autocomplete) or what the member typed.
    pub struct ItemOption {
        item: String => ANY_ITEM,
    }
}

options! {
    /// An item to undo: autocomplete offers only the member's marked items.
    pub struct MarkedItemOption {
        item: String => MARKED_ITEM,
    }
}

/// Items, what the member is learning first.
pub const ANY_ITEM: Complete = Complete::Member(any_item);
/// The items the member has marked.
pub const MARKED_ITEM: Complete = Complete::Member(marked_item);

type Choices<'a> = BoxFuture<'a, Result<Vec<Choice>, CommandError>>;

fn any_item<'a>(app: &'a App, request: &'a AutocompleteRequest) -> Choices<'a> {
    Box::pin(autocomplete_item(app, request, ItemFilter::Any))
}

fn marked_item<'a>(app: &'a App, request: &'a AutocompleteRequest) -> Choices<'a> {
    Box::pin(autocomplete_item(app, request, ItemFilter::Marked))
}

pub static DONE: CommandSpec = CommandSpec::member("done", handler::<Done>());
pub static LEARNING: CommandSpec = CommandSpec::member("learning", handler::<Learning>());
pub static SKIP: CommandSpec = CommandSpec::member("skip", handler::<Skip>());
pub static UNDO: CommandSpec = CommandSpec::member("undo", handler::<Undo>());

struct Done;
struct Learning;
struct Skip;
struct Undo;

impl Leaf for Done {
    type Options = ItemOption;
    async fn run(ctx: Ctx<'_>, o: ItemOption) -> Result<Reply, CommandError> {
        run(ctx, &o.item, Target::Set(Some(State::Done))).await
    }
}

impl Leaf for Learning {
    type Options = ItemOption;
    async fn run(ctx: Ctx<'_>, o: ItemOption) -> Result<Reply, CommandError> {
        run(ctx, &o.item, Target::Set(Some(State::Learning))).await
    }
}

impl Leaf for Skip {
    type Options = ItemOption;
    async fn run(ctx: Ctx<'_>, o: ItemOption) -> Result<Reply, CommandError> {
        run(ctx, &o.item, Target::Set(Some(State::Skipped))).await
    }
}

impl Leaf for Undo {
    type Options = MarkedItemOption;
    async fn run(ctx: Ctx<'_>, o: MarkedItemOption) -> Result<Reply, CommandError> {
        run(ctx, &o.item, Target::Undo).await
    }
}

/// `/done <item>` and its siblings: `query` is an id from autocomplete or what the member typed.
async fn run(ctx: Ctx<'_>, query: &str, target: Target) -> Result<Reply, CommandError> {
    ctx.caller.guild()?;
    let item = resolve_item(&ctx.app.roadmap, query)?;
    mark(ctx.app, ctx.lookups, ctx.caller, item, target).await
}

/// Resolves an item argument: an id from autocomplete, or what the member typed.
fn resolve_item(roadmap: &Roadmap, query: &str) -> Result<ItemIdx, CommandError> {
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
    lookups: &dyn Lookups,
    caller: &Caller,
    item: ItemIdx,
    target: Target,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let roadmap = &app.roadmap;
    let tz = app.store.guild_settings(guild).await?.timezone();
    let now = app.clock.now();
    let item_id = roadmap.item(item).id.clone();
    let appearance = crate::guild::Appearance {
        name: caller.names.first().cloned(),
        avatar_hash: caller.avatar.clone(),
    };
    let change = Change {
        guild,
        user: caller.user_id,
        item_id: &item_id,
        target,
        at: now,
        day: crate::progress::streak::day_of(now, &tz),
        appearance: (!caller.names.is_empty()).then_some(&appearance),
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
    if outcome.changed {
        // Reward roles follow the change after the reply: REST calls never hold it up.
        app.roles()
            .apply_in_background(lookups.shared(), guild, caller.user_id);
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

async fn autocomplete_item(
    app: &App,
    request: &AutocompleteRequest,
    filter: ItemFilter,
) -> Result<Vec<Choice>, CommandError> {
    let states = match request.caller.guild_id {
        Some(guild) => member_states(app, guild, request.caller.user_id).await?,
        None => ItemStates::new(),
    };
    Ok(item_choices(
        &app.roadmap,
        &request.partial,
        &states,
        filter,
        request.caller.locale,
    ))
}
